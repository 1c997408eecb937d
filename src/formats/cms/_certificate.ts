/**
 * The certificate facts the CMS layer needs beyond {@linkcode X509Certificate}: the issuer
 * `Name` and raw serial INTEGER content as @peculiar objects, and issuer/serial matching.
 *
 * @module
 */
import { bytesToSignedBigInt } from "../../core/_bigint.ts";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Name } from "@peculiar/asn1-x509";
import { IssuerAndSerialNumber } from "@peculiar/asn1-cms";
import type { X509Certificate } from "../../core/x509.ts";
import { decodeName, dnToString, normalizeDn } from "../../core/x509/dn.ts";
import { readChildren, readWhole } from "../../core/x509/der.ts";

/** The raw content octets of the certificate's serialNumber INTEGER. */
function rawSerial(cert: X509Certificate): ArrayBuffer {
  const tbs = readChildren(cert.der, readWhole(cert.der, 0x30))[0];
  const fields = readChildren(cert.der, tbs);
  const serial = fields[fields[0].tag === 0xa0 ? 1 : 0];
  return cert.der.slice(serial.contentStart, serial.end).buffer;
}

/** The IssuerAndSerialNumber that names `cert`. */
export function issuerAndSerialOf(cert: X509Certificate): IssuerAndSerialNumber {
  return new IssuerAndSerialNumber({
    issuer: AsnConvert.parse(cert.issuerDer, Name),
    serialNumber: rawSerial(cert),
  });
}

function sameName(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length === b.length && a.every((v, i) => v === b[i])) return true;
  try {
    return dnToString(normalizeDn(decodeName(a))) === dnToString(normalizeDn(decodeName(b)));
  } catch {
    return false;
  }
}

/** Whether `cert` has the given issuer `Name` (DER, compared per RFC 5280 §7.1) and serial. */
export function matchesIssuerSerial(
  cert: X509Certificate,
  issuerDer: Uint8Array,
  serial: Uint8Array,
): boolean {
  return bytesToSignedBigInt(serial) === cert.serialNumber.value &&
    sameName(cert.issuerDer, issuerDer);
}
