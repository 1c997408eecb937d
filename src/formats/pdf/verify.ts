/**
 * PAdES verification orchestration (api §3.3), every step a refusal point, per signature:
 * locate the signature dictionaries → `/ByteRange` and `/Contents` structure → changes after
 * the signed revision (append / shadow attacks) → CMS parse → message digest → the caller's
 * trust pipeline and signature math.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { Pkcs11exError } from "../../core/errors.ts";
import { type ParsedSignedData, parseSignedData } from "../cms/mod.ts";
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
  const md = cms.signerInfo.messageDigest;
  if (md) {
    const h = createHash(cms.signerInfo.digestAlgorithm);
    for (const r of signedRanges) h.update(r);
    const actual = new Uint8Array(h.digest());
    if (!sameBytes(actual, md)) {
      throw new Pkcs11exError(
        "message_digest_mismatch",
        "Cannot verify the PDF signature: the signed bytes do not match the CMS messageDigest",
      );
    }
  }
  const hint = {
    x5c: [cms.leaf.der, ...cms.certificates.filter((_, i) => i !== cms.leafIndex)]
      .map((d) => Buffer.from(d).toString("base64")),
  };
  const result = await opts.verifyCms({ info, cms, signedRanges, hint });
  return { info, ok: true, result, cms };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
