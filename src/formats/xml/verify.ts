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
import type { XmlElement } from "./dom.ts";
import { xmlError } from "./errors.ts";
import { indexIds } from "./ids.ts";
import { issuerSerialMatches } from "./issuer_serial.ts";
import { parseXml, type XmlLimits } from "./parser.ts";
import {
  findSignatures,
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

/** Steps 1 and 2: parse, refuse duplicate Ids, locate the single signature, read it. */
function locate(
  doc: string | Uint8Array,
  limits?: XmlLimits,
): { parts: SignatureParts; root: XmlElement; docC14n: (p: SignatureParts) => Uint8Array } {
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
  const parts = readSignature(parsed, signatures[0], ids);
  return {
    parts,
    root: parsed.root,
    docC14n: (p) =>
      canonicalize(p.data.wholeDocument ? parsed : parsed.root, {
        // URI="" and #id node-sets carry no comments, whatever the c14n variant.
        inclusivePrefixes: p.data.c14n.inclusivePrefixes,
        exclude: p.signature,
      }),
  };
}

/**
 * Verifies an enveloped XAdES signature (api §3.4), in order: (1) locate the single
 * `ds:Signature`; (2) extract KeyInfo and the XAdES context with the wrapping checks;
 * (3) the trust pipeline on the KeyInfo chain (which also does the signature math of
 * step 7 over the canonical SignedInfo); (4) SigningCertificateV2 binds the leaf;
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
  const { parts, root, docC14n } = locate(doc, opts.limits);
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
  // Step 4: SigningCertificateV2 binds the KeyInfo leaf.
  const leaf = parseCertificate(parts.certificates[0]);
  if (!same(parts.certDigest.value, digest(parts.certDigest.method, leaf.der))) {
    throw xmlError(
      "xades_cert_digest_mismatch",
      "Cannot verify the XML signature: CertDigest does not match the KeyInfo leaf",
    );
  }
  if (parts.issuerSerialV2 !== undefined && !issuerSerialMatches(parts.issuerSerialV2, leaf)) {
    throw xmlError(
      "xades_issuer_serial_mismatch",
      "Cannot verify the XML signature: IssuerSerialV2 does not name the KeyInfo leaf",
    );
  }
  // Steps 5 and 6: the data and SignedProperties digests.
  const signedBytes = docC14n(parts);
  checkReference(parts.data, signedBytes, "data");
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
    root,
    signedBytes,
    certificate: leaf,
    certificates: parts.certificates,
    signingTime: parts.signingTime,
    timestamps,
  };
}
