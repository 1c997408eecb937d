/**
 * The certificate extensions path validation reads: basicConstraints, keyUsage,
 * extendedKeyUsage, subject and authority key identifiers, plus the list of critical
 * extensions (RFC 5280 §4.2: an unrecognized critical extension makes the cert unusable).
 *
 * @module
 */
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  CRLDistributionPoints,
  ExtendedKeyUsage,
  type Extension,
  KeyUsage,
  type KeyUsageType,
  SubjectKeyIdentifier,
} from "@peculiar/asn1-x509";
import { toHex } from "./hex.ts";

/** The decoded extensions of a certificate; absent extensions are `undefined`. */
export interface CertificateExtensions {
  /** basicConstraints (2.5.29.19). */
  basicConstraints?: { cA: boolean; pathLenConstraint?: number };
  /** keyUsage bits by name (2.5.29.15). */
  keyUsage?: KeyUsageType[];
  /** extendedKeyUsage purpose OIDs (2.5.29.37). */
  extendedKeyUsage?: string[];
  /** subjectKeyIdentifier as lowercase hex (2.5.29.14). */
  subjectKeyIdentifier?: string;
  /** The keyIdentifier of authorityKeyIdentifier as lowercase hex (2.5.29.35). */
  authorityKeyIdentifier?: string;
  /** The URIs of the full names in cRLDistributionPoints (2.5.29.31). */
  crlDistributionPoints?: string[];
  /** OIDs of every extension marked critical. */
  criticalExtensions: string[];
}

/** Decodes the extensions; throws on a malformed extension value or a duplicate OID. */
export function decodeExtensions(
  extensions: readonly Extension[] | undefined,
): CertificateExtensions {
  const out: CertificateExtensions = { criticalExtensions: [] };
  const seen = new Set<string>();
  for (const ext of extensions ?? []) {
    if (seen.has(ext.extnID)) throw new RangeError(`Duplicate extension ${ext.extnID}`);
    seen.add(ext.extnID);
    if (ext.critical) out.criticalExtensions.push(ext.extnID);
    const value = ext.extnValue.buffer;
    switch (ext.extnID) {
      case "2.5.29.19": {
        const bc = AsnConvert.parse(value, BasicConstraints);
        const pathLen = bc.pathLenConstraint;
        if (pathLen !== undefined && !(Number.isSafeInteger(pathLen) && pathLen >= 0)) {
          throw new RangeError("pathLenConstraint is not a non-negative INTEGER");
        }
        out.basicConstraints = { cA: bc.cA === true, pathLenConstraint: pathLen };
        break;
      }
      case "2.5.29.15":
        out.keyUsage = AsnConvert.parse(value, KeyUsage).toJSON();
        break;
      case "2.5.29.37":
        out.extendedKeyUsage = Array.from(AsnConvert.parse(value, ExtendedKeyUsage));
        break;
      case "2.5.29.14":
        out.subjectKeyIdentifier = toHex(
          new Uint8Array(AsnConvert.parse(value, SubjectKeyIdentifier).buffer),
        );
        break;
      case "2.5.29.31":
        out.crlDistributionPoints = AsnConvert.parse(value, CRLDistributionPoints).flatMap(
          (point) => distributionPointUris(point.distributionPoint?.fullName),
        );
        break;
      case "2.5.29.35": {
        const aki = AsnConvert.parse(value, AuthorityKeyIdentifier).keyIdentifier;
        if (aki) out.authorityKeyIdentifier = toHex(new Uint8Array(aki.buffer));
        break;
      }
    }
  }
  return out;
}

/** The URIs among the GeneralNames of a distribution point's full name. */
export function distributionPointUris(
  names: readonly { uniformResourceIdentifier?: string }[] | undefined,
): string[] {
  return (names ?? []).flatMap((n) =>
    n.uniformResourceIdentifier === undefined ? [] : [n.uniformResourceIdentifier]
  );
}
