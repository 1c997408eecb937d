/**
 * Build a detached CMS SignedData (RFC 5652) with one SignerInfo, for PAdES and CAdES:
 * issuerAndSerialNumber, signed attributes content-type, message-digest and
 * signing-certificate-v2 (DER-sorted), the chain in `certificates`, no signing-time unless
 * asked (PAdES baseline puts the time in `/M`). Two-phase, like every format here:
 * {@linkcode prepareSignedData} gives the bytes to sign and assembles the result;
 * {@linkcode estimateSignedDataSize} dry-runs it with a maximal dummy signature.
 *
 * @module
 */
import { SignerIdentifier, SignerInfo } from "@peculiar/asn1-cms";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { Time } from "@peculiar/asn1-x509";
import { Pkcs11exError } from "../../core/errors.ts";
import type { DocumentSigner } from "../../core/signer.ts";
import { parseCertificate, type X509Certificate } from "../../core/x509.ts";
import { encodeTlv } from "../../core/x509/der.ts";
import { digestAlgorithmIdentifier, signatureAlgorithmIdentifier } from "./algorithms.ts";
import { encodeSigningCertificateV2 } from "./ess.ts";
import * as oid from "./oids.ts";
import { type AttributeInput, encodeAttributeSet } from "./signed_attributes.ts";
import { issuerAndSerialOf } from "./_certificate.ts";
import { RawCertSignedData } from "./_schemas.ts";
import { encodeSignedData } from "./_decode.ts";

/** Options of {@linkcode buildSignedData}. */
export interface BuildSignedDataOptions {
  /** Signs the DER of the signed attributes; its certificates (leaf first) go in the CMS. */
  signer: DocumentSigner;
  /** SHA-256 of the detached content (e.g. the PDF bytes covered by /ByteRange). */
  contentDigest: Uint8Array;
  /** The eContentType and content-type attribute (default id-data). */
  contentType?: string;
  /** Add signing-certificate-v2 (RFC 5035); default true, as PAdES and CAdES require. */
  signingCertificateV2?: boolean;
  /** Add a signing-time attribute; omitted by default (PAdES puts the time in `/M`). */
  signingTime?: Date;
  /** Unsigned attributes to carry from the start (a time-stamp is added after signing). */
  unsignedAttributes?: readonly AttributeInput[];
}

/** The first phase of a CMS signature: what to sign, and how to finish. */
export interface PreparedSignedData {
  /** The DER `SET OF Attribute` (tag 0x31) the signature covers. */
  readonly toBeSigned: Uint8Array;
  /** The upper bound of the signature length for this signer's key. */
  readonly maxSignatureLength: number;
  /** Assembles the ContentInfo DER around `signature` (DER-encoded for ECDSA). */
  assemble(signature: Uint8Array): Uint8Array;
}

type PrepareOptions = Omit<BuildSignedDataOptions, "signer"> & {
  signer: Pick<DocumentSigner, "alg" | "certificates">;
};

function checkDigest(digest: unknown): Uint8Array {
  if (digest === undefined || digest === null) {
    throw new Pkcs11exError("missing_digest", "Cannot build the CMS: contentDigest is missing");
  }
  if (!(digest instanceof Uint8Array) || digest.length !== 32) {
    throw new Pkcs11exError(
      "invalid_digest",
      "Cannot build the CMS: contentDigest must be the 32-byte SHA-256 of the content",
    );
  }
  return digest;
}

function parseChain(certificates: readonly unknown[]): X509Certificate[] {
  if (!Array.isArray(certificates) || certificates.length === 0) {
    throw new Pkcs11exError(
      "empty_certificate_chain",
      "Cannot build the CMS: the signer has no certificate",
    );
  }
  return certificates.map((der, index) => {
    try {
      if (!(der instanceof Uint8Array)) throw new TypeError("not a Uint8Array");
      return parseCertificate(der);
    } catch (cause) {
      throw index === 0
        ? new Pkcs11exError(
          "invalid_leaf_certificate",
          "Cannot build the CMS: the signer's certificate is not an X.509 certificate",
          { cause },
        )
        : new Pkcs11exError(
          "invalid_certificate_entry",
          `Cannot build the CMS: chain entry ${index} is not an X.509 certificate`,
          { cause, detail: { index } },
        );
    }
  });
}

function maxSignatureLength(alg: string, leaf: X509Certificate): number {
  const fits = alg === "ES256"
    ? leaf.keyType === "ec" && leaf.curve === "P-256"
    : leaf.keyType === "rsa" && leaf.keySize >= 2048;
  if (!fits) {
    throw new Pkcs11exError(
      "incompatible_alg",
      `Cannot build the CMS: ${alg} does not fit the signer's ${leaf.keyType} key`,
      { detail: { alg, keyType: leaf.keyType } },
    );
  }
  // ECDSA P-256 DER: SEQUENCE { INTEGER (≤ 33 bytes), INTEGER (≤ 33 bytes) } ≤ 72 bytes.
  return alg === "ES256" ? 72 : Math.ceil(leaf.keySize / 8);
}

/**
 * Phase one: checks the inputs and encodes the signed attributes.
 *
 * @param opts The signer (only `alg` and `certificates` are used) and the content digest.
 * @returns The bytes to sign and an `assemble(signature)` function.
 * @throws {Pkcs11exError} `missing_digest`, `invalid_digest`, `empty_certificate_chain`,
 *   `invalid_leaf_certificate`, `invalid_certificate_entry`, `unsupported_signature_algorithm`,
 *   `incompatible_alg`.
 */
export function prepareSignedData(opts: PrepareOptions): PreparedSignedData {
  const digest = checkDigest(opts.contentDigest);
  const sigAlg = signatureAlgorithmIdentifier(opts.signer.alg);
  const chain = parseChain(opts.signer.certificates);
  const leaf = chain[0];
  const maxLen = maxSignatureLength(opts.signer.alg, leaf);
  const contentType = opts.contentType ?? oid.OID_DATA;
  const attrs: AttributeInput[] = [
    { oid: oid.OID_ATTR_CONTENT_TYPE, valueDer: encodeOid(contentType) },
    {
      oid: oid.OID_ATTR_MESSAGE_DIGEST,
      valueDer: new Uint8Array(AsnConvert.serialize(new OctetString(digest))),
    },
  ];
  if (opts.signingCertificateV2 !== false) {
    attrs.push({
      oid: oid.OID_ATTR_SIGNING_CERTIFICATE_V2,
      valueDer: encodeSigningCertificateV2(leaf),
    });
  }
  if (opts.signingTime) {
    attrs.push({
      oid: oid.OID_ATTR_SIGNING_TIME,
      valueDer: new Uint8Array(AsnConvert.serialize(new Time(opts.signingTime))),
    });
  }
  const signed = encodeAttributeSet(attrs);
  const unsigned = opts.unsignedAttributes?.length
    ? encodeAttributeSet(opts.unsignedAttributes).attributes
    : undefined;
  const sid = new SignerIdentifier({ issuerAndSerialNumber: issuerAndSerialOf(leaf) });
  return {
    toBeSigned: signed.setDer,
    maxSignatureLength: maxLen,
    assemble(signature: Uint8Array): Uint8Array {
      const signerInfo = new SignerInfo({
        version: 1,
        sid,
        digestAlgorithm: digestAlgorithmIdentifier("sha256"),
        signedAttrs: signed.attributes,
        signatureAlgorithm: sigAlg,
        signature: new OctetString(signature),
        unsignedAttrs: unsigned,
      });
      const sd = new RawCertSignedData();
      sd.version = contentType === oid.OID_DATA ? 1 : 3;
      sd.digestAlgorithms = [digestAlgorithmIdentifier("sha256")];
      sd.encapContentInfo.eContentType = contentType;
      sd.certificates = chain.map((c) => c.der.slice().buffer);
      sd.signerInfos = [signerInfo];
      return encodeSignedData(sd);
    },
  };
}

/** DER of an OBJECT IDENTIFIER (the content-type attribute value). */
function encodeOid(value: string): Uint8Array {
  const arcs = value.split(".").map(BigInt);
  const body: number[] = [];
  for (const arc of [arcs[0] * 40n + arcs[1], ...arcs.slice(2)]) {
    const bytes = [Number(arc & 0x7fn)];
    for (let n = arc >> 7n; n > 0n; n >>= 7n) bytes.unshift(Number(n & 0x7fn) | 0x80);
    body.push(...bytes);
  }
  return encodeTlv(0x06, new Uint8Array(body));
}

/**
 * Builds a detached CMS SignedData, signing its signed attributes with `opts.signer`.
 *
 * @param opts The signer, the SHA-256 of the detached content and options.
 * @returns The ContentInfo DER.
 * @throws {Pkcs11exError} as {@linkcode prepareSignedData}, and whatever the signer throws.
 *
 * @example
 * ```ts ignore
 * const cms = await buildSignedData({ signer, contentDigest: sha256(pdfRanges) });
 * ```
 */
export async function buildSignedData(opts: BuildSignedDataOptions): Promise<Uint8Array> {
  const prepared = prepareSignedData(opts);
  return prepared.assemble(await opts.signer.sign(prepared.toBeSigned, "der"));
}

/**
 * The largest ContentInfo DER {@linkcode buildSignedData} can produce for this signer and
 * options, without signing (a dry run with a zero signature of the maximal length). PDF
 * sizes its `/Contents` placeholder from it; add room for a time-stamp token when B-T.
 *
 * @param signer The signer whose algorithm and certificates will be used.
 * @param opts The same options as for the real build (the digest is not needed).
 * @returns The size in bytes.
 */
export function estimateSignedDataSize(
  signer: Pick<DocumentSigner, "alg" | "certificates">,
  opts: Omit<BuildSignedDataOptions, "signer" | "contentDigest"> = {},
): number {
  const prepared = prepareSignedData({ ...opts, signer, contentDigest: new Uint8Array(32) });
  return prepared.assemble(new Uint8Array(prepared.maxSignatureLength)).length;
}
