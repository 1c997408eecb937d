/**
 * Verifies an enveloped XAdES B-B / B-T signature in the seven steps of api §3.4, safe
 * against signature wrapping: only the document element (`URI=""` or `#rootId` with the
 * enveloped-signature transform) and this signature's own SignedProperties may be
 * referenced, Ids must be unique, and the result carries exactly the element and canonical
 * bytes that were verified.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { Pkcs11exError } from "../../core/errors.ts";
import type { Parsed } from "../../core/format.ts";
import { parseCertificate, type X509Certificate } from "../../core/x509.ts";
import { encodeBase64 } from "../../core/x509/pem.ts";
import { canonicalize } from "./c14n.ts";
import { decodeXml } from "./decode.ts";
import type { XmlDocument, XmlElement } from "./dom.ts";
import { xmlError } from "./errors.ts";
import { indexIds } from "./ids.ts";
import { issuerNameSerialMatches, issuerSerialMatches } from "./issuer_serial.ts";
import { parseXml, type XmlLimits } from "./parser.ts";
import {
  findSignatures,
  readDataReference,
  readSignature,
  type ReferenceParts,
  type SignatureParts,
} from "./signature_reader.ts";
import { algOfSignatureMethod, hashOfDigestMethod } from "./uris.ts";

/** The JOSE-style signer hint handed to the trust pipeline. */
export interface XmlSignerHint {
  /** The KeyInfo certificates, base64 DER, in document order (leaf first). */
  readonly x5c: readonly string[];
}

/**
 * The shared verification pipeline bound to a policy (api §2.3.1): resolves and validates the
 * signer from the hint and checks the signature math; resolves the subject or throws.
 */
export type XmlVerifySignature = (
  parsed: Parsed<XmlSignerHint>,
) => Promise<{ readonly subjectId: unknown }>;

/**
 * Checks one SignatureTimeStamp token (DER) against the canonical SignatureValue bytes it must
 * cover (the verifier hashes them with the token's own messageImprint algorithm).
 */
export type XmlVerifyTimestamp = (token: Uint8Array, coveredBytes: Uint8Array) => Promise<void>;

/** Options of {@linkcode verifyXml}. */
export interface XmlVerifyOptions {
  /** Steps 3 and 7: the trust pipeline call. */
  verifySignature: XmlVerifySignature;
  /** Checks each SignatureTimeStamp; without it, a document carrying one is refused. */
  verifyTimestamp?: XmlVerifyTimestamp;
  /** Parser bounds. */
  limits?: XmlLimits;
}

/** The result of a successful {@linkcode verifyXml}. */
export interface XmlVerifyResult {
  /** The subject the policy resolved. */
  readonly subjectId: unknown;
  /** The JOSE name of the signature algorithm. */
  readonly alg: string;
  /** The document element the data reference covered (the only content to trust). */
  readonly root: XmlElement;
  /** The exact canonical bytes the data reference digest covered. */
  readonly signedBytes: Uint8Array;
  /** The signer's certificate (the KeyInfo leaf, bound by SigningCertificateV2). */
  readonly certificate: X509Certificate;
  /** The KeyInfo chain as DER, leaf first. */
  readonly certificates: readonly Uint8Array[];
  /** The signed XAdES SigningTime, verbatim. */
  readonly signingTime?: string;
  /** The verified SignatureTimeStamp tokens (B-T). */
  readonly timestamps: readonly Uint8Array[];
}

function digest(method: string, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(hashOfDigestMethod(method)).update(data).digest());
}

function same(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

function checkReference(ref: ReferenceParts, bytes: Uint8Array, which: string): void {
  if (!same(ref.digestValue, digest(ref.digestMethod, bytes))) {
    throw xmlError(
      "digest_mismatch",
      `Cannot verify the XML signature: the ${which} digest does not match`,
      {
        reference: which,
      },
    );
  }
}

interface Located {
  readonly doc: XmlDocument;
  readonly ids: ReadonlyMap<string, XmlElement>;
  readonly parts: SignatureParts;
}

/** Steps 1 and 2: parse, locate the single signature, refuse duplicate Ids, read it. */
function locate(doc: string | Uint8Array, limits?: XmlLimits): Located {
  const parsed = parseXml(decodeXml(doc).text, limits);
  const signatures = findSignatures(parsed);
  if (signatures.length === 0) {
    throw xmlError(
      "no_signature_element",
      "Cannot verify the XML document: it has no ds:Signature",
    );
  }
  if (signatures.length > 1) {
    throw xmlError(
      "multiple_signatures_unsupported_in_v1",
      `Cannot verify the XML document: it has ${signatures.length} ds:Signature elements`,
    );
  }
  const ids = indexIds(parsed);
  return { doc: parsed, ids, parts: readSignature(parsed, signatures[0], ids) };
}

/** Step 4: the SigningCertificate(V2) of the SignedProperties names the KeyInfo leaf. */
function checkSigningCertificate(parts: SignatureParts, leaf: X509Certificate): void {
  if (!same(parts.certDigest.value, digest(parts.certDigest.method, leaf.der))) {
    throw xmlError(
      "xades_cert_digest_mismatch",
      "Cannot verify the XML signature: CertDigest does not match the KeyInfo leaf",
    );
  }
  const v2 = parts.issuerSerialV2;
  const v1 = parts.issuerSerialV1;
  if (
    (v2 !== undefined && !issuerSerialMatches(v2, leaf)) ||
    (v1 !== undefined && !issuerNameSerialMatches(v1.issuerName, v1.serialNumber, leaf))
  ) {
    throw xmlError(
      "xades_issuer_serial_mismatch",
      "Cannot verify the XML signature: the IssuerSerial does not name the KeyInfo leaf",
    );
  }
}

/**
 * Verifies an enveloped XAdES signature (api §3.4), in order: (1) locate the single
 * `ds:Signature`; (2) extract KeyInfo and the XAdES context with the wrapping checks;
 * (3) the trust pipeline on the KeyInfo chain (which also does the signature math of
 * step 7 over the canonical SignedInfo); (4) SigningCertificate(V2) binds the leaf;
 * (5) the data digest; (6) the SignedProperties digest; then each SignatureTimeStamp.
 *
 * @example
 * ```ts ignore
 * const { subjectId, root } = await verifyXml(signed, { verifySignature: (p) => pipeline(p) });
 * ```
 */
export async function verifyXml(
  doc: string | Uint8Array,
  opts: XmlVerifyOptions,
): Promise<XmlVerifyResult> {
  const { doc: parsed, ids, parts } = locate(doc, opts.limits);
  const alg = algOfSignatureMethod(parts.signatureMethod);
  const signedInfo = canonicalize(parts.signedInfo, parts.c14n);
  // Step 3 (and 7): the chain is untrusted until the pipeline resolves and validates it.
  const { subjectId } = await opts.verifySignature({
    signedInput: signedInfo,
    signature: parts.signatureValue,
    alg,
    encodingContext: "jose",
    signerHint: { x5c: parts.certificates.map(encodeBase64) },
  });
  // Step 4.
  const leaf = parseCertificate(parts.certificates[0]);
  checkSigningCertificate(parts, leaf);
  // Step 5: the data reference covers the document element, minus this signature.
  const data = readDataReference(parsed, parts, ids);
  const signedBytes = canonicalize(data.wholeDocument ? parsed : parsed.root, {
    // URI="" and #Id node-sets carry no comments, whatever the c14n variant.
    inclusivePrefixes: data.c14n.inclusivePrefixes,
    exclude: parts.signature,
  });
  checkReference(data, signedBytes, "data");
  // Step 6.
  checkReference(
    parts.signedProperties,
    canonicalize(parts.signedProperties.target, parts.signedProperties.c14n),
    "SignedProperties",
  );
  const timestamps: Uint8Array[] = [];
  for (const ts of parts.timestamps) {
    if (!opts.verifyTimestamp) {
      throw new Pkcs11exError(
        "bt_failed",
        "Cannot verify the SignatureTimeStamp: no time-stamp verifier",
        {
          detail: { kind: "timestamp_verifier_missing" },
        },
      );
    }
    await opts.verifyTimestamp(ts.token, canonicalize(parts.signatureValueElement, ts.c14n));
    timestamps.push(ts.token);
  }
  return {
    subjectId,
    alg,
    root: parsed.root,
    signedBytes,
    certificate: leaf,
    certificates: parts.certificates,
    signingTime: parts.signingTime,
    timestamps,
  };
}
