/**
 * The canonical reading of basicConstraints, keyUsage and extendedKeyUsage (api §2.3.3).
 *
 * @module
 */
import type { KeyUsageType, X509Certificate } from "../../core/x509.ts";

/** anyExtendedKeyUsage (RFC 5280 §4.2.1.12). */
export const ANY_EKU = "2.5.29.37.0";

/**
 * Whether basicConstraints fit the cert's role: a CA must have `cA: true`; a leaf must not
 * (absent counts as false).
 */
export function basicConstraintsOk(cert: X509Certificate, role: "leaf" | "ca" = "leaf"): boolean {
  const ca = cert.basicConstraints?.cA === true;
  return role === "ca" ? ca : !ca;
}

/** Whether keyUsage allows `usage`; an absent keyUsage allows any usage (RFC 5280 §4.2.1.3). */
export function keyUsageIncludes(cert: X509Certificate, usage: KeyUsageType): boolean {
  return cert.keyUsage === undefined || cert.keyUsage.includes(usage);
}

/**
 * Whether extendedKeyUsage allows one of `oids`; an absent EKU or anyExtendedKeyUsage
 * passes, as does an empty list.
 */
export function ekuIncludes(cert: X509Certificate, oids: string | readonly string[]): boolean {
  const wanted = typeof oids === "string" ? [oids] : oids;
  const eku = cert.extendedKeyUsage;
  if (wanted.length === 0 || eku === undefined || eku.includes(ANY_EKU)) return true;
  return wanted.some((oid) => eku.includes(oid));
}
