/**
 * ESS signing-certificate attributes: build signing-certificate-v2 (RFC 5035: ESSCertIDv2
 * with a SHA-256 certificate hash and IssuerSerial) and read v2 and v1 (RFC 2634).
 * `encodeIssuerSerial` also serves XAdES `IssuerSerialV2`, which is the same DER.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { GeneralName, GeneralNames, type Name } from "@peculiar/asn1-x509";
import { Pkcs11exError } from "../../core/errors.ts";
import type { X509Certificate } from "../../core/x509.ts";
import { digestFromAlgorithm, type DigestName } from "./algorithms.ts";
import { issuerAndSerialOf } from "./_certificate.ts";
import {
  EssCertIdV2,
  IssuerSerial,
  SigningCertificateV1,
  SigningCertificateV2,
} from "./_schemas.ts";

/** One certificate reference of a signing-certificate attribute. */
export interface EssCertRef {
  /** The hash the certificate hash was computed with (sha1 for v1). */
  hash: DigestName;
  /** The certificate hash. */
  certHash: Uint8Array;
  /** The issuer (first directoryName, DER) and serial (raw INTEGER content), if present. */
  issuerSerial?: { issuerDer: Uint8Array; serialNumber: Uint8Array };
}

function issuerSerialOf(cert: X509Certificate): IssuerSerial {
  const ias = issuerAndSerialOf(cert);
  const out = new IssuerSerial();
  out.issuer = new GeneralNames([new GeneralName({ directoryName: ias.issuer })]);
  out.serialNumber = ias.serialNumber;
  return out;
}

/** The DER of RFC 5035 `IssuerSerial` for `cert` (also XAdES `IssuerSerialV2`, base64'd). */
export function encodeIssuerSerial(cert: X509Certificate): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(issuerSerialOf(cert)));
}

/** The DER of a SigningCertificateV2 naming `cert` (SHA-256, the DEFAULT, so no hashAlgorithm). */
export function encodeSigningCertificateV2(cert: X509Certificate): Uint8Array {
  const id = new EssCertIdV2();
  id.certHash = new OctetString(createHash("sha256").update(cert.der).digest());
  id.issuerSerial = issuerSerialOf(cert);
  const attr = new SigningCertificateV2();
  attr.certs = [id];
  return new Uint8Array(AsnConvert.serialize(attr));
}

function refIssuerSerial(
  is: IssuerSerial | undefined,
): EssCertRef["issuerSerial"] {
  if (!is) return undefined;
  const dn = is.issuer.find((g) => g.directoryName !== undefined)?.directoryName;
  if (!dn) return undefined;
  return {
    issuerDer: new Uint8Array(AsnConvert.serialize(dn as Name)),
    serialNumber: new Uint8Array(is.serialNumber),
  };
}

function codec(type: string, cause: unknown): Pkcs11exError {
  if (cause instanceof Pkcs11exError) return cause;
  return new Pkcs11exError("cms_codec", `Cannot decode the ${type} attribute`, {
    cause,
    detail: { type },
  });
}

/** Reads a SigningCertificateV2 attribute value (DER). */
export function decodeSigningCertificateV2(der: Uint8Array): EssCertRef[] {
  try {
    const sc = AsnConvert.parse(der, SigningCertificateV2);
    return sc.certs.map((c) => ({
      hash: c.hashAlgorithm ? digestFromAlgorithm(c.hashAlgorithm) : "sha256",
      certHash: new Uint8Array(c.certHash.buffer),
      issuerSerial: refIssuerSerial(c.issuerSerial),
    }));
  } catch (cause) {
    throw codec("SigningCertificateV2", cause);
  }
}

/** Reads a SigningCertificate (v1, SHA-1) attribute value (DER). */
export function decodeSigningCertificateV1(der: Uint8Array): EssCertRef[] {
  try {
    const sc = AsnConvert.parse(der, SigningCertificateV1);
    return sc.certs.map((c) => ({
      hash: "sha1",
      certHash: new Uint8Array(c.certHash.buffer),
      issuerSerial: refIssuerSerial(c.issuerSerial),
    }));
  } catch (cause) {
    throw codec("SigningCertificate", cause);
  }
}
