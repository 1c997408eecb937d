/**
 * Verifies an enveloped XAdES B-B / B-T signature in the seven steps of api §3.4, through the
 * shared trust pipeline (api §2.3.1), safe against signature wrapping: only the document
 * element (`URI=""`, no URI, or `#rootId`, always with the enveloped-signature transform) and
 * this signature's own SignedProperties may be referenced, Ids must be unique, and the result
 * carries exactly the element and canonical bytes that were verified.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { AlgorithmRegistry } from "../../core/algorithms/types.ts";
import type { VerifyBackend } from "../../core/verify_bytes.ts";
import type { X509Certificate } from "../../core/x509.ts";
import { encodeBase64 } from "../../core/x509/pem.ts";
import { type PipelineOptions, verifyPipeline } from "../../policy/pipeline.ts";
import type { Policy } from "../../policy/types.ts";
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
import { type VerifiedTimeStamp, verifySignatureTimeStamp } from "./timestamp.ts";
import { algOfSignatureMethodElement } from "./signature_method.ts";
import { hashOfDigestMethod } from "./uris.ts";

/** Options of {@linkcode verifyXml}: the trust settings of api §2.3.1 and parser bounds. */
export interface XmlVerifyOptions extends PipelineOptions {
  /** The trust policy (api §2.3): the KeyInfo chain is untrusted until it resolves. */
  policy: Policy;
  /** The effective algorithm allowlist (`PS256`, `RS256`, `ES256`). */
  allowedAlgs: readonly string[];
  /** The algorithm registry (default: the built-ins). */
  algorithms?: AlgorithmRegistry;
  /** Where the public-key math runs (default: WebCrypto). */
  backend?: VerifyBackend;
  /** Parser bounds. */
  limits?: XmlLimits;
}

/** The result of a successful {@linkcode verifyXml}. */
export interface XmlVerifyResult {
  /** The subject the policy resolved. */
  readonly subjectId: string;
  /** The JOSE name of the signature algorithm. */
  readonly alg: string;
  /** The document element the data reference covered (the only content to trust). */
  readonly root: XmlElement;
  /** The exact canonical bytes the data reference digest covered. */
  readonly signedBytes: Uint8Array;
  /** The signer's certificate, bound by SigningCertificate(V2). */
  readonly certificate: X509Certificate;
  /** The rest of the chain the policy resolved. */
  readonly chain: readonly X509Certificate[];
  /** The KeyInfo certificates as DER, in document order. */
  readonly certificates: readonly Uint8Array[];
  /** The signed XAdES SigningTime, verbatim. */
  readonly signingTime?: string;
  /** The verified SignatureTimeStamp tokens (B-T); the TSA's trust is the caller's call. */
  readonly timestamps: readonly VerifiedTimeStamp[];
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

/** Steps 5 and 6: the data and SignedProperties digests; returns the signed data bytes. */
function checkReferences(
  doc: XmlDocument,
  ids: ReadonlyMap<string, XmlElement>,
  parts: SignatureParts,
): Uint8Array {
  // Step 5: the data reference covers the document element, minus this signature.
  const data = readDataReference(doc, parts, ids);
  const signedBytes = canonicalize(data.wholeDocument ? doc : doc.root, {
    // URI="" and #Id node-sets carry no comments, whatever the c14n variant.
    inclusive: data.c14n.inclusive,
    inclusivePrefixes: data.c14n.inclusivePrefixes,
    exclude: parts.signature,
  });
  checkReference(data, signedBytes, "data");
  // Step 6.
  const props = parts.signedProperties;
  checkReference(props, canonicalize(props.target, props.c14n), "SignedProperties");
  return signedBytes;
}

/**
 * A policy whose `validate` also runs `afterAuthorization` on the resolved certificate: the
 * XAdES steps 4–6 then sit after the allowlist gate (step 3) and before the math (step 7).
 */
function gateThen(policy: Policy, afterAuthorization: (cert: X509Certificate) => void): Policy {
  return {
    resolve: (hint, ctx) => policy.resolve(hint, ctx),
    async validate(certificate, chain, ctx): Promise<string> {
      const subjectId = await policy.validate(certificate, chain, ctx);
      afterAuthorization(certificate);
      return subjectId;
    },
  };
}

/**
 * Verifies an enveloped XAdES signature (api §3.4), in order: (1) locate the single
 * `ds:Signature`; (2) extract KeyInfo and the XAdES context with the wrapping checks;
 * (3) the allowlist gate: the trust pipeline (alg allowlist, policy resolve, validity,
 * alg/key fit, policy validate) on the KeyInfo chain, so an unknown signer is refused before
 * any digest or math; (4) SigningCertificate(V2) binds the resolved certificate; (5) the
 * data digest; (6) the SignedProperties digest; (7) the signature math over the canonical
 * SignedInfo, then `expectedSubject`; finally each SignatureTimeStamp is verified over the
 * canonical SignatureValue.
 *
 * @param doc The signed document, as text or bytes (UTF-8, US-ASCII or ISO-8859-1).
 * @param opts The policy, the algorithm allowlist and the pipeline options.
 * @returns The subject, the verified root element and bytes, the signer and time-stamps.
 * @throws {Pkcs11exError} `malformed_xml`, `no_signature_element`,
 *   `multiple_signatures_unsupported_in_v1`, `signature_wrapping`, `c14n`,
 *   `unsupported_signature_method`, the pipeline's reasons (`disallowed_alg`,
 *   `unknown_signer`, `cert_expired`, …), `xades_cert_digest_mismatch`,
 *   `xades_issuer_serial_mismatch`, `digest_mismatch`, `signature_invalid`,
 *   `unexpected_subject`, `bt_failed`.
 *
 * @example
 * ```ts ignore
 * const policy = new PinnedRegistry({ pins: { [spkiSha256Hex]: "acme" } });
 * const { subjectId, root } = await verifyXml(signed, { policy, allowedAlgs: ["PS256"] });
 * ```
 */
export async function verifyXml(
  doc: string | Uint8Array,
  opts: XmlVerifyOptions,
): Promise<XmlVerifyResult> {
  const { doc: parsed, ids, parts } = locate(doc, opts.limits);
  const alg = algOfSignatureMethodElement(parts.signatureMethod);
  let signedBytes: Uint8Array = new Uint8Array();
  const policy = gateThen(opts.policy, (certificate) => {
    checkSigningCertificate(parts, certificate);
    signedBytes = checkReferences(parsed, ids, parts);
  });
  const { subjectId, certificate, chain } = await verifyPipeline({
    parsed: {
      signedInput: canonicalize(parts.signedInfo, parts.c14n),
      signature: parts.signatureValue,
      alg,
      encodingContext: "jose",
      signerHint: { x5c: parts.certificates.map(encodeBase64) },
    },
    policy,
    allowedAlgs: opts.allowedAlgs,
    algorithms: opts.algorithms,
    backend: opts.backend,
    opts,
  });
  const timestamps = parts.timestamps.map((ts) =>
    verifySignatureTimeStamp(ts.token, parts.signatureValueElement, ts.c14n)
  );
  return {
    subjectId,
    alg,
    root: parsed.root,
    signedBytes,
    certificate,
    chain,
    certificates: parts.certificates,
    signingTime: parts.signingTime,
    timestamps,
  };
}
