/**
 * PAdES verification through the shared trust pipeline (api §3.3 over §2.3.1). Per
 * signature, after the structural steps of {@linkcode verifyPdfSignatures}: the allowlist
 * gate (alg gate, `resolve`, validity, alg/key fit, `validate`) → the message digest → the
 * CMS signature math → expectedSubject → (B-T) the signature time-stamp token's own
 * signature, imprint and, with `tsaPolicy`, the TSA's trust. A document time-stamp
 * (`/SubFilter /ETSI.RFC3161`) goes through the same gate with the TSA as signer.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { TSTInfo } from "@peculiar/asn1-tsp";
import type { AlgorithmRegistry } from "../../core/algorithms/types.ts";
import { Pkcs11exError } from "../../core/errors.ts";
import type { X509Certificate } from "../../core/x509.ts";
import type { PipelineOptions } from "../../policy/pipeline.ts";
import type { Policy } from "../../policy/types.ts";
import {
  OID_TST_INFO,
  type ParsedSignedData,
  parseSignedData,
  verifySignerInfoMath,
} from "../cms/mod.ts";
import { type TimestampInfo, verifyTimestampToken } from "../tsp/mod.ts";
import { type CmsPipelineSettings, runCmsPipeline } from "./_cms_pipeline.ts";
import type { PdfReadLimits } from "./_limits.ts";
import {
  type PdfSignatureToVerify,
  type PdfVerification,
  verifyPdf,
  verifyPdfSignatures,
} from "./verify.ts";

/** Options of {@linkcode verifyPdfWithPolicy}. */
export interface VerifyPdfWithPolicyOptions extends PipelineOptions {
  /** The trust policy of the signers (and of document time-stamps without `tsaPolicy`). */
  policy: Policy;
  /** Allowed algorithms by JOSE name (`PS256`, `RS256`, `ES256`…); CMS algorithms map 1:1. */
  allowedAlgs: readonly string[];
  /** The algorithm registry (default: the built-ins). */
  algorithms?: AlgorithmRegistry;
  /**
   * The trust policy of time-stamping authorities. Without it a signature time-stamp is
   * checked for integrity only (`trusted: false`) and never moves the validation time.
   */
  tsaPolicy?: Policy;
  /** The algorithm allowlist of TSAs (default `allowedAlgs`). */
  tsaAllowedAlgs?: readonly string[];
  /** Accept changes after a signature other than signature additions (default false). */
  allowChangesAfter?: boolean;
  /** Reader limits. */
  limits?: PdfReadLimits;
}

/** A verified time-stamp. */
export interface PdfTimestampResult {
  /** The time the TSA vouches for. */
  genTime: Date;
  /** The TSA's certificate. */
  tsaCertificate: X509Certificate;
  /** Whether `tsaPolicy` accepted the TSA. */
  trusted: boolean;
  /** The TSA's subject id under `tsaPolicy`. */
  tsaSubjectId?: string;
}

/** What one verified signature yields. */
export interface PdfTrustResult {
  /** A signature, or a document time-stamp (`ETSI.RFC3161`). */
  kind: "signature" | "document_timestamp";
  /** The policy's subject id of the signer (the TSA for a document time-stamp). */
  subjectId: string;
  /** The signer's certificate. */
  certificate: X509Certificate;
  /** The rest of the chain the policy resolved. */
  chain: X509Certificate[];
  /** The verified algorithm. */
  alg: string;
  /** The time the certificates were judged at. */
  validationTime: Date;
  /** The signature time-stamp (B-T), or the document time-stamp itself. */
  timestamp?: PdfTimestampResult;
}

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** A time-stamp token parsed once (undefined when it is not a readable CMS). */
function parseToken(token: Uint8Array): ParsedSignedData | undefined {
  try {
    return parseSignedData(token);
  } catch {
    return undefined;
  }
}

/** The genTime a parsed token claims, unverified (undefined when it cannot be read). */
function claimedGenTime(tsaCms: ParsedSignedData | undefined): Date | undefined {
  try {
    return tsaCms?.encapContent && AsnConvert.parse(tsaCms.encapContent, TSTInfo).genTime;
  } catch {
    return undefined;
  }
}

function refuseWeakDigest(cms: ParsedSignedData): void {
  if (cms.signerInfo.digestAlgorithm === "sha1") {
    throw new Pkcs11exError(
      "disallowed_alg",
      "Cannot verify the PDF signature: its digest algorithm is SHA-1",
      { detail: { digest: "sha1" } },
    );
  }
}

function settings(opts: VerifyPdfWithPolicyOptions, policy: Policy, at: Date): CmsPipelineSettings {
  return {
    policy,
    allowedAlgs: policy === opts.policy
      ? opts.allowedAlgs
      : opts.tsaAllowedAlgs ?? opts.allowedAlgs,
    algorithms: opts.algorithms,
    opts: {
      maxClockSkew: opts.maxClockSkew,
      expectedSubject: policy === opts.policy ? opts.expectedSubject : undefined,
      policyOpts: opts.policyOpts,
      validationTime: at,
    },
  };
}

/** A trust failure of a TSA is the B-T step's failure. */
function asBtFailed(err: unknown): unknown {
  if (!(err instanceof Pkcs11exError) || err.reason === "bt_failed") return err;
  return new Pkcs11exError("bt_failed", "Cannot accept the time-stamp: its TSA is not trusted", {
    cause: err,
    detail: { kind: "tsa_untrusted", tsaReason: err.reason },
  });
}

async function verifySignatureTimestamp(
  token: Uint8Array,
  tsaCms: ParsedSignedData | undefined,
  signatureValue: Uint8Array,
  opts: VerifyPdfWithPolicyOptions,
): Promise<PdfTimestampResult> {
  const digest = sha256(signatureValue);
  if (!opts.tsaPolicy) {
    const info = verifyTimestampToken(token, digest);
    return { genTime: info.genTime, tsaCertificate: info.tsaCertificate, trusted: false };
  }
  if (!tsaCms) {
    throw new Pkcs11exError("bt_failed", "Cannot accept the time-stamp: it is not a CMS", {
      detail: { kind: "malformed_tsa_response" },
    });
  }
  let info: TimestampInfo | undefined;
  const at = claimedGenTime(tsaCms) ?? new Date();
  try {
    const r = await runCmsPipeline(tsaCms, settings(opts, opts.tsaPolicy, at), () => {
      info = verifyTimestampToken(token, digest);
    });
    return {
      genTime: info!.genTime,
      tsaCertificate: r.certificate,
      trusted: true,
      tsaSubjectId: r.subjectId,
    };
  } catch (err) {
    throw asBtFailed(err);
  }
}

async function verifySignature(
  sig: PdfSignatureToVerify,
  opts: VerifyPdfWithPolicyOptions,
): Promise<PdfTrustResult> {
  const { cms } = sig;
  refuseWeakDigest(cms);
  const token = cms.signerInfo.timeStampToken;
  const tsaCms = token && opts.tsaPolicy ? parseToken(token) : undefined;
  const claimed = claimedGenTime(tsaCms);
  const validationTime = opts.validationTime ?? claimed ?? new Date();
  const r = await runCmsPipeline(cms, settings(opts, opts.policy, validationTime), () => {
    sig.checkMessageDigest();
    const content = cms.signerInfo.signedAttrsDer
      ? undefined
      : new Uint8Array(Buffer.concat(sig.signedRanges));
    verifySignerInfoMath(cms, { content });
  });
  const timestamp = token
    ? await verifySignatureTimestamp(token, tsaCms, cms.signerInfo.signature, opts)
    : undefined;
  return { kind: "signature", ...r, validationTime, timestamp };
}

async function verifyDocumentTimestamp(
  sig: PdfSignatureToVerify,
  opts: VerifyPdfWithPolicyOptions,
): Promise<PdfTrustResult> {
  const policy = opts.tsaPolicy ?? opts.policy;
  const validationTime = opts.validationTime ?? new Date();
  let info: TimestampInfo | undefined;
  const r = await runCmsPipeline(sig.cms, settings(opts, policy, validationTime), () => {
    sig.checkMessageDigest();
    info = verifyTimestampToken(sig.info.contentsDer!, sha256(...sig.signedRanges));
  });
  const timestamp = {
    genTime: info!.genTime,
    tsaCertificate: r.certificate,
    trusted: true,
    tsaSubjectId: r.subjectId,
  };
  return { kind: "document_timestamp", ...r, validationTime, timestamp };
}

/**
 * The trust step of {@linkcode verifyPdfSignatures} for `opts`: use it to get every
 * signature's outcome instead of the first refusal.
 *
 * @example
 * ```ts ignore
 * const { signatures } = await verifyPdfSignatures(pdf, { verifyCms: pdfTrustStep(opts) });
 * ```
 */
export function pdfTrustStep(
  opts: VerifyPdfWithPolicyOptions,
): (sig: PdfSignatureToVerify) => Promise<PdfTrustResult> {
  if (!opts || typeof opts.policy?.resolve !== "function") {
    throw new TypeError("Cannot verify the PDF: opts.policy must be a Policy");
  }
  if (!Array.isArray(opts.allowedAlgs)) {
    throw new TypeError("Cannot verify the PDF: opts.allowedAlgs must be an array of alg names");
  }
  return async (sig) => {
    const docTs = sig.cms.encapContentType === OID_TST_INFO;
    if (docTs !== (sig.info.subFilter === "ETSI.RFC3161")) {
      throw new Pkcs11exError(
        "signature_invalid",
        "Cannot verify the PDF signature: /SubFilter and the CMS content type disagree",
        { detail: { kind: "subfilter_mismatch", subFilter: sig.info.subFilter } },
      );
    }
    return await (docTs ? verifyDocumentTimestamp(sig, opts) : verifySignature(sig, opts));
  };
}

/**
 * Verifies every signature of `pdf` against a trust policy (api §3.3); resolves with all
 * outcomes when each holds, rejects with the first refusal in document order otherwise.
 *
 * The certificates are judged at `validationTime` when given; else, for a signature with a
 * time-stamp token that `tsaPolicy` trusts, at the token's genTime; else now.
 *
 * @param pdf The signed PDF.
 * @param opts The policy, the algorithm allowlist and the pipeline options.
 * @returns Every signature with its structural facts (revision, changesAfter, field) and
 *   its {@linkcode PdfTrustResult} (subject id, certificate, time-stamp genTime).
 * @throws {Pkcs11exError} the structural reasons of `verifyPdf`, the pipeline's trust
 *   reasons (`unknown_signer` before any digest or math, `disallowed_alg`,
 *   `cert_expired`…), `message_digest_mismatch`, `signature_invalid`, `bt_failed`.
 * @throws {TypeError} when `policy` or `allowedAlgs` is missing.
 *
 * @example
 * ```ts ignore
 * const policy = new PinnedRegistry({ pins: { [spkiSha256Hex]: "acme" } });
 * const { signatures } = await verifyPdfWithPolicy(pdf, { policy, allowedAlgs: ["PS256"] });
 * signatures[0].ok && signatures[0].result.subjectId; // "acme"
 * ```
 */
export function verifyPdfWithPolicy(
  pdf: Uint8Array,
  opts: VerifyPdfWithPolicyOptions,
): Promise<PdfVerification<PdfTrustResult>> {
  return verifyPdf(pdf, {
    verifyCms: pdfTrustStep(opts),
    allowChangesAfter: opts.allowChangesAfter,
    limits: opts.limits,
  });
}

/** Like {@linkcode verifyPdfWithPolicy}, but reports every signature's outcome instead. */
export function verifyPdfSignaturesWithPolicy(
  pdf: Uint8Array,
  opts: VerifyPdfWithPolicyOptions,
): Promise<PdfVerification<PdfTrustResult>> {
  return verifyPdfSignatures(pdf, {
    verifyCms: pdfTrustStep(opts),
    allowChangesAfter: opts.allowChangesAfter,
    limits: opts.limits,
  });
}
