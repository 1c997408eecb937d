/**
 * Matching the XAdES IssuerSerialV2 (the RFC 5035 `IssuerSerial` DER, built by
 * src/formats/cms) and the v1 IssuerSerial (X509IssuerName + X509SerialNumber) to a
 * certificate.
 *
 * @module
 */
import { encodeIssuerSerial } from "../cms/ess.ts";
import type { X509Certificate } from "../../core/x509.ts";
import { dnToString, normalizeDn, parseDnString } from "../../core/x509/dn.ts";

/** Whether a DER IssuerSerial is byte for byte the one of this certificate. */
export function issuerSerialMatches(der: Uint8Array, cert: X509Certificate): boolean {
  const expected = encodeIssuerSerial(cert);
  return der.length === expected.length && der.every((b, i) => b === expected[i]);
}

/**
 * Whether an XML-DSig X509IssuerName (RFC 4514 text) and decimal serial name this certificate.
 * The RDNs are accepted in either order: xadesjs writes them in ASN.1 order, not RFC 4514's
 * reversed one. (The binding itself is the CertDigest; this is a consistency check.)
 */
export function issuerNameSerialMatches(
  issuerName: string,
  serialDecimal: string,
  cert: X509Certificate,
): boolean {
  if (!/^[0-9]{1,80}$/.test(serialDecimal) || BigInt(serialDecimal) !== cert.serialNumber.value) {
    return false;
  }
  try {
    const dn = normalizeDn(parseDnString(issuerName.trim()));
    return dnToString(dn) === cert.issuerNormalized ||
      dnToString(dn.reverse()) === cert.issuerNormalized;
  } catch {
    return false;
  }
}
