/**
 * The RFC 5035 `IssuerSerial` (`SEQUENCE { issuer GeneralNames, serialNumber INTEGER }`)
 * that XAdES IssuerSerialV2 carries in base64.
 *
 * @module
 */
import { encodeTlv, encodeUnsignedInteger } from "../../core/x509/der.ts";
import type { X509Certificate } from "../../core/x509.ts";
import { dnToString, normalizeDn, parseDnString } from "../../core/x509/dn.ts";

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The DER IssuerSerial of a certificate (issuer as a directoryName GeneralName). */
export function encodeIssuerSerial(cert: X509Certificate): Uint8Array {
  const generalNames = encodeTlv(0x30, encodeTlv(0xa4, cert.issuerDer));
  return encodeTlv(
    0x30,
    concat(generalNames, encodeUnsignedInteger(hexBytes(cert.serialNumber.hex))),
  );
}

/** Whether a DER IssuerSerial is byte for byte the one of this certificate. */
export function issuerSerialMatches(der: Uint8Array, cert: X509Certificate): boolean {
  const expected = encodeIssuerSerial(cert);
  return der.length === expected.length && der.every((b, i) => b === expected[i]);
}

/** Whether an XML-DSig X509IssuerName (RFC 4514 text) and decimal serial name this certificate. */
export function issuerNameSerialMatches(
  issuerName: string,
  serialDecimal: string,
  cert: X509Certificate,
): boolean {
  if (!/^[0-9]{1,80}$/.test(serialDecimal) || BigInt(serialDecimal) !== cert.serialNumber.value) {
    return false;
  }
  try {
    return dnToString(normalizeDn(parseDnString(issuerName.trim()))) === cert.issuerNormalized;
  } catch {
    return false;
  }
}
