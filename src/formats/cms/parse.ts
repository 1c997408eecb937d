/**
 * Parse a CMS SignedData with one SignerInfo (PAdES, CAdES, RFC 3161 tokens) into the facts
 * a verifier needs, refusing every shape api §4.1 names with its typed reason. Hostile
 * input (truncated, bit-flipped, huge lengths, deep nesting) is `cms_codec`, never a crash.
 *
 * @module
 */
import type { SignerInfo } from "@peculiar/asn1-cms";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Time } from "@peculiar/asn1-x509";
import { Pkcs11exError } from "../../core/errors.ts";
import { parseCertificate, type X509Certificate } from "../../core/x509.ts";
import { readOid, readWhole } from "../../core/x509/der.ts";
import {
  type CmsSignatureAlgorithm,
  digestFromAlgorithm,
  type DigestName,
  signatureFromAlgorithm,
} from "./algorithms.ts";
import { decodeSigningCertificateV1, decodeSigningCertificateV2, type EssCertRef } from "./ess.ts";
import * as oid from "./oids.ts";
import { requireAttribute, singleValues } from "./signed_attributes.ts";
import { matchesIssuerSerial } from "./_certificate.ts";
import { decodeSignedData, sidIssuerDer, signedAttrsDer } from "./_decode.ts";

/** An attribute as found: its type and every value as DER. */
export interface RawAttribute {
  /** The attribute type OID. */
  oid: string;
  /** The values, DER each. */
  values: Uint8Array[];
}

/** The one SignerInfo of a parsed SignedData. */
export interface ParsedSignerInfo {
  /** The issuerAndSerialNumber: issuer `Name` DER and raw serial INTEGER content. */
  sid: { issuerDer: Uint8Array; serialNumber: Uint8Array };
  /** The digest algorithm of the content and the signed attributes. */
  digestAlgorithm: DigestName;
  /** The signature algorithm, resolved (with PSS parameters when PSS). */
  signatureAlgorithm: CmsSignatureAlgorithm;
  /** The signature value (DER for ECDSA). */
  signature: Uint8Array;
  /** The signed attributes re-encoded as a `SET OF` (tag 0x31): what the signature covers. */
  signedAttrsDer?: Uint8Array;
  /** The message-digest attribute value (absent only without signed attributes). */
  messageDigest?: Uint8Array;
  /** The content-type attribute value. */
  contentType?: string;
  /** The signing-certificate-v2 references, if present. */
  signingCertificateV2?: EssCertRef[];
  /** The signing-certificate (v1) references, if present. */
  signingCertificateV1?: EssCertRef[];
  /** The signing-time attribute, if present. */
  signingTime?: Date;
  /** Every unsigned attribute. */
  unsignedAttrs: RawAttribute[];
  /** The first signature-time-stamp token (a ContentInfo DER), if present. */
  timeStampToken?: Uint8Array;
}

/** A parsed SignedData. */
export interface ParsedSignedData {
  /** The eContentType (id-data for PAdES, id-ct-TSTInfo for time-stamp tokens). */
  encapContentType: string;
  /** The encapsulated content, when not detached (a TSTInfo for time-stamp tokens). */
  encapContent?: Uint8Array;
  /** The one SignerInfo. */
  signerInfo: ParsedSignerInfo;
  /** Every embedded certificate as DER, in the order found. */
  certificates: Uint8Array[];
  /** The index in `certificates` of the signer's certificate. */
  leafIndex: number;
  /** The signer's certificate, parsed. */
  leaf: X509Certificate;
}

/**
 * Most certificates one CMS may carry (a signer, its chain and a few more for time-stamps or
 * revocation fit many times over). Each is parsed, at about a millisecond apiece: thousands
 * in a hostile signature would hold a verifier for seconds.
 */
export const MAX_EMBEDDED_CERTIFICATES = 100;

function readCertificates(raw: ArrayBuffer[] | undefined): X509Certificate[] {
  if (!raw || raw.length === 0) {
    throw new Pkcs11exError(
      "no_certificates",
      "Cannot parse the CMS: it carries no certificates",
    );
  }
  if (raw.length > MAX_EMBEDDED_CERTIFICATES) {
    throw new Pkcs11exError(
      "cms_codec",
      `Cannot parse the CMS: ${raw.length} certificates is more than ${MAX_EMBEDDED_CERTIFICATES}`,
      { detail: { type: "CertificateSet", count: raw.length } },
    );
  }
  return raw.map((buf, index) => {
    const der = new Uint8Array(buf);
    if (der[0] !== 0x30) {
      throw new Pkcs11exError(
        "unsupported_certificate_choice",
        `Cannot parse the CMS: certificate ${index} is not a plain X.509 certificate`,
        { detail: { index, tag: der[0] } },
      );
    }
    try {
      return parseCertificate(der);
    } catch (cause) {
      throw new Pkcs11exError(
        "invalid_embedded_certificate",
        `Cannot parse the CMS: certificate ${index} is not a valid X.509 certificate`,
        { cause, detail: { index } },
      );
    }
  });
}

function attributeValue<T>(type: string, read: () => T): T {
  try {
    return read();
  } catch (cause) {
    if (cause instanceof Pkcs11exError) throw cause;
    throw new Pkcs11exError("cms_codec", `Cannot decode the CMS ${type} attribute`, {
      cause,
      detail: { type },
    });
  }
}

type SignedAttrFacts = Pick<
  ParsedSignerInfo,
  | "signedAttrsDer"
  | "messageDigest"
  | "contentType"
  | "signingCertificateV2"
  | "signingCertificateV1"
  | "signingTime"
>;

function readSignedAttrs(si: SignerInfo): SignedAttrFacts {
  if (!si.signedAttrs) return {};
  const values = singleValues(si.signedAttrs);
  const ct = requireAttribute(values, oid.OID_ATTR_CONTENT_TYPE);
  const md = requireAttribute(values, oid.OID_ATTR_MESSAGE_DIGEST);
  const v2 = values.get(oid.OID_ATTR_SIGNING_CERTIFICATE_V2);
  const v1 = values.get(oid.OID_ATTR_SIGNING_CERTIFICATE);
  const st = values.get(oid.OID_ATTR_SIGNING_TIME);
  return {
    signedAttrsDer: signedAttrsDer(si),
    contentType: attributeValue("ContentType", () => readOid(ct, readWhole(ct, 0x06))),
    messageDigest: attributeValue("MessageDigest", () => {
      const tlv = readWhole(md, 0x04);
      return md.slice(tlv.contentStart, tlv.end);
    }),
    signingCertificateV2: v2 ? decodeSigningCertificateV2(v2) : undefined,
    signingCertificateV1: v1 ? decodeSigningCertificateV1(v1) : undefined,
    signingTime: st
      ? attributeValue("SigningTime", () => AsnConvert.parse(st, Time).getTime())
      : undefined,
  };
}

function readSignerInfo(si: SignerInfo): ParsedSignerInfo {
  const ias = si.sid.issuerAndSerialNumber;
  if (!ias) {
    throw new Pkcs11exError(
      "subject_key_identifier_unsupported_in_v1",
      "Cannot parse the CMS: the SignerInfo names its signer by subjectKeyIdentifier",
    );
  }
  const digestAlgorithm = digestFromAlgorithm(si.digestAlgorithm);
  const signatureAlgorithm = signatureFromAlgorithm(si.signatureAlgorithm, digestAlgorithm);
  const unsignedAttrs = (si.unsignedAttrs ?? []).map((a) => ({
    oid: a.attrType,
    values: a.attrValues.map((v) => new Uint8Array(v)),
  }));
  return {
    sid: {
      issuerDer: sidIssuerDer(si, ias.issuer),
      serialNumber: new Uint8Array(ias.serialNumber),
    },
    digestAlgorithm,
    signatureAlgorithm,
    signature: new Uint8Array(si.signature.buffer),
    ...readSignedAttrs(si),
    unsignedAttrs,
    timeStampToken: unsignedAttrs.find((a) => a.oid === oid.OID_ATTR_TIME_STAMP_TOKEN)
      ?.values[0],
  };
}

function readEncapContent(
  sd: { encapContentInfo: { eContent?: unknown } },
): Uint8Array | undefined {
  const e = sd.encapContentInfo.eContent as
    | { single?: { buffer: ArrayBuffer }; any?: ArrayBuffer }
    | undefined;
  if (!e) return undefined;
  if (e.single) return new Uint8Array(e.single.buffer);
  throw new Pkcs11exError("cms_codec", "Cannot decode the CMS encapsulated content", {
    detail: { type: "EncapsulatedContentInfo" },
  });
}

/**
 * Parses a CMS ContentInfo DER that carries a SignedData with exactly one SignerInfo.
 *
 * @param der The ContentInfo DER (e.g. the PDF `/Contents` bytes, trailing zeros removed).
 * @returns The signer info facts, the embedded certificates and the signer's certificate.
 * @throws {Pkcs11exError} `cms_codec`, `not_signed_data`, `no_signer_info`,
 *   `multiple_signer_info_unsupported_in_v1`, `no_certificates`,
 *   `unsupported_certificate_choice`, `invalid_embedded_certificate`,
 *   `subject_key_identifier_unsupported_in_v1`, `unsupported_digest_algorithm`,
 *   `unsupported_signature_algorithm`, `missing_attribute`, `multi_value_attribute`,
 *   `leaf_certificate_not_found_in_chain`.
 * @throws {TypeError} when `der` is not a Uint8Array.
 */
export function parseSignedData(der: Uint8Array): ParsedSignedData {
  const sd = decodeSignedData(der);
  if (sd.signerInfos.length === 0) {
    throw new Pkcs11exError("no_signer_info", "Cannot parse the CMS: it has no SignerInfo");
  }
  if (sd.signerInfos.length > 1) {
    throw new Pkcs11exError(
      "multiple_signer_info_unsupported_in_v1",
      `Cannot parse the CMS: it has ${sd.signerInfos.length} SignerInfos; one is supported`,
    );
  }
  const certs = readCertificates(sd.certificates);
  const signerInfo = readSignerInfo(sd.signerInfos[0]);
  const leafIndex = certs.findIndex((c) =>
    matchesIssuerSerial(c, signerInfo.sid.issuerDer, signerInfo.sid.serialNumber)
  );
  if (leafIndex < 0) {
    throw new Pkcs11exError(
      "leaf_certificate_not_found_in_chain",
      "Cannot parse the CMS: no embedded certificate matches the SignerInfo issuer and serial",
    );
  }
  return {
    encapContentType: sd.encapContentInfo.eContentType,
    encapContent: readEncapContent(sd),
    signerInfo,
    certificates: certs.map((c) => c.der),
    leafIndex,
    leaf: certs[leafIndex],
  };
}
