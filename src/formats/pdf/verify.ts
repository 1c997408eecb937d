/**
 * PAdES verification orchestration (api §3.3), every step a refusal point, per signature:
 * locate the signature dictionaries → `/ByteRange` and `/Contents` structure → changes after
 * the signed revision (append / shadow attacks) → CMS parse → the caller's trust step, which
 * runs the allowlist gate, then {@linkcode PdfSignatureToVerify.checkMessageDigest}, then the
 * signature math. A trust step that never calls `checkMessageDigest` still gets it checked
 * after it returns: the digest is never skipped.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { Pkcs11exError } from "../../core/errors.ts";
import { AsnConvert } from "@peculiar/asn1-schema";
import { TSTInfo } from "@peculiar/asn1-tsp";
import {
  OID_SHA256,
  OID_SHA384,
  OID_SHA512,
  OID_TST_INFO,
  type ParsedSignedData,
  parseSignedData,
} from "../cms/mod.ts";
import { cmsSignerHint } from "./_cms_pipeline.ts";
import type { PdfReadLimits } from "./_limits.ts";
import { inspectPdfSignatures, type PdfSignatureInfo } from "./inspect.ts";

/** What the trust step receives for one signature. */
export interface PdfSignatureToVerify {
  /** The structural facts of the signature. */
  info: PdfSignatureInfo;
  /** The parsed CMS (its certificates are untrusted input). */
  cms: ParsedSignedData;
  /** The two signed ranges, as views of the input. */
  signedRanges: [Uint8Array, Uint8Array];
  /** A JOSE-style signer hint synthesized from the CMS certificates (leaf first). */
  hint: { x5c: string[] };
  /**
   * Compares the hash of the signed ranges with the CMS messageDigest (a document
   * time-stamp: with its TSTInfo message imprint); throws `message_digest_mismatch`.
   * Without signed attributes there is nothing to compare (the math covers the content).
   */
  checkMessageDigest: () => void;
}

/** Options of {@linkcode verifyPdf}. */
export interface VerifyPdfOptions<T> {
  /** The trust pipeline and signature math for one signature; throws to refuse it. */
  verifyCms: (sig: PdfSignatureToVerify) => Promise<T>;
  /** Accept changes after a signature other than signature additions (default false). */
  allowChangesAfter?: boolean;
  /** Reader limits. */
  limits?: PdfReadLimits;
}

/** The outcome for one signature. */
export type PdfSignatureOutcome<T> =
  | { info: PdfSignatureInfo; ok: true; result: T; cms: ParsedSignedData }
  | { info: PdfSignatureInfo; ok: false; error: Pkcs11exError };

/** The outcome of {@linkcode verifyPdfSignatures}: every signature, in document order. */
export interface PdfVerification<T> {
  /** One outcome per signature dictionary, in file order. */
  signatures: PdfSignatureOutcome<T>[];
}

/**
 * Verifies every signature of `pdf` and reports each outcome (never throws for one
 * signature's failure; throws when the PDF cannot be read or has no signature).
 */
export async function verifyPdfSignatures<T>(
  pdf: Uint8Array,
  opts: VerifyPdfOptions<T>,
): Promise<PdfVerification<T>> {
  const inspection = inspectPdfSignatures(pdf, { limits: opts.limits });
  if (inspection.signatures.length === 0) {
    throw new Pkcs11exError(
      "no_signature",
      "Cannot verify the PDF: it has no signature dictionary",
      {
        detail: { kind: "no_signature" },
      },
    );
  }
  const signatures: PdfSignatureOutcome<T>[] = [];
  for (const info of inspection.signatures) {
    try {
      if (inspection.trailingBytes > 0) {
        throw afterSignature("trailing_bytes", "bytes follow the last revision");
      }
      signatures.push(await verifyOne(pdf, info, opts));
    } catch (err) {
      if (!(err instanceof Pkcs11exError)) throw err;
      signatures.push({ info, ok: false, error: err });
    }
  }
  return { signatures };
}

/**
 * Verifies every signature of `pdf`; resolves with all outcomes when each one holds, and
 * rejects with the first refusal in document order otherwise.
 *
 * @example
 * ```ts ignore
 * const { signatures } = await verifyPdf(pdf, { verifyCms: (sig) => pipeline(sig.hint, …) });
 * ```
 */
export async function verifyPdf<T>(
  pdf: Uint8Array,
  opts: VerifyPdfOptions<T>,
): Promise<PdfVerification<T>> {
  const result = await verifyPdfSignatures(pdf, opts);
  for (const s of result.signatures) if (!s.ok) throw s.error;
  return result;
}

function afterSignature(kind: string, message: string, extra = {}): Pkcs11exError {
  return new Pkcs11exError(
    "incremental_update_after_signature",
    `Cannot verify the PDF signature: ${message}`,
    { detail: { kind, ...extra } },
  );
}

async function verifyOne<T>(
  pdf: Uint8Array,
  info: PdfSignatureInfo,
  opts: VerifyPdfOptions<T>,
): Promise<PdfSignatureOutcome<T>> {
  if (info.problem) throw info.problem;
  if (info.changesAfter === "other" && !opts.allowChangesAfter) {
    throw afterSignature(
      "changes_after_signature",
      "later revisions change the document, not only add signatures",
      { objects: info.otherChangedObjects.slice(0, 20) },
    );
  }
  const [, a, b, c] = info.byteRange!;
  const signedRanges: [Uint8Array, Uint8Array] = [pdf.subarray(0, a), pdf.subarray(b, b + c)];
  const cms = parseSignedData(info.contentsDer!);
  const hint = cmsSignerHint(cms);
  let digestChecked = false;
  const checkMessageDigest = (): void => {
    checkRangesDigest(cms, signedRanges);
    digestChecked = true;
  };
  const result = await opts.verifyCms({ info, cms, signedRanges, hint, checkMessageDigest });
  if (!digestChecked) checkMessageDigest();
  return { info, ok: true, result, cms };
}

function checkRangesDigest(cms: ParsedSignedData, ranges: Uint8Array[]): void {
  const expected = cms.encapContentType === OID_TST_INFO
    ? tstImprint(cms)
    : cms.signerInfo.messageDigest && {
      hash: cms.signerInfo.digestAlgorithm as string,
      value: cms.signerInfo.messageDigest,
    };
  if (!expected) return;
  const h = createHash(expected.hash);
  for (const r of ranges) h.update(r);
  if (!sameBytes(new Uint8Array(h.digest()), expected.value)) {
    throw new Pkcs11exError(
      "message_digest_mismatch",
      "Cannot verify the PDF signature: the signed bytes do not match the CMS messageDigest",
    );
  }
}

/** The message imprint of a document time-stamp's TSTInfo. */
function tstImprint(cms: ParsedSignedData): { hash: string; value: Uint8Array } {
  let imprint;
  try {
    imprint = AsnConvert.parse(cms.encapContent!, TSTInfo).messageImprint;
  } catch (cause) {
    throw new Pkcs11exError("cms_codec", "Cannot decode the document time-stamp's TSTInfo", {
      cause,
      detail: { type: "TSTInfo" },
    });
  }
  const hash = DIGESTS[imprint.hashAlgorithm.algorithm];
  if (!hash) {
    throw new Pkcs11exError(
      "unsupported_digest_algorithm",
      "Cannot verify the document time-stamp: unknown message imprint hash",
      { detail: { oid: imprint.hashAlgorithm.algorithm } },
    );
  }
  return { hash, value: new Uint8Array(imprint.hashedMessage.buffer) };
}

const DIGESTS: Record<string, string> = {
  [OID_SHA256]: "sha256",
  [OID_SHA384]: "sha384",
  [OID_SHA512]: "sha512",
};

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
