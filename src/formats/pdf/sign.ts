/**
 * PAdES signing entry: prepare the to-be-signed document → build the CMS over the
 * `/ByteRange` digest → optionally add an RFC 3161 signature time-stamp (B-T) → finish.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { Pkcs11exError } from "../../core/errors.ts";
import type { DocumentSigner } from "../../core/signer.ts";
import {
  addTimeStampToken,
  buildSignedData,
  estimateSignedDataSize,
  parseSignedData,
} from "../cms/mod.ts";
import { requestTimestamp } from "../tsp/mod.ts";
import { PLACEHOLDER_RANGE, type PreparePdfOptions, preparePdfSignature } from "./prepare.ts";

/** Gets an RFC 3161 TimeStampToken (ContentInfo DER) over a signature value. */
export type TimeStamper = (
  signatureValue: Uint8Array,
  opts: { tsaUrl?: string; timeoutMs?: number },
) => Promise<Uint8Array>;

/** Options of {@linkcode signPdf}. */
export interface SignPdfOptions extends Omit<PreparePdfOptions, "subFilter"> {
  /** RFC 3161 TSA URL: when set, the signature is time-stamped (PAdES B-T). */
  tsaUrl?: string;
  /** Timeout of the TSA request in milliseconds. */
  tsaTimeoutMs?: number;
  /** The time-stamp client (default: RFC 3161 over HTTP with `src/formats/tsp`). */
  timeStamper?: TimeStamper;
}

async function defaultTimeStamper(
  signatureValue: Uint8Array,
  opts: { tsaUrl?: string; timeoutMs?: number },
): Promise<Uint8Array> {
  const digest = new Uint8Array(createHash("sha256").update(signatureValue).digest());
  const res = await requestTimestamp({ tsaUrl: opts.tsaUrl!, digest, timeoutMs: opts.timeoutMs });
  return res.tokenDer;
}

/** Extra placeholder room for a signature time-stamp token. */
const TST_ROOM = 12 * 1024;
/** Slack over the CMS dry-run estimate. */
const SLACK = 512;

/** Attaches the token; bytes the CMS writer cannot embed are a malformed TSA response. */
function attachToken(cms: Uint8Array, token: Uint8Array): Uint8Array {
  try {
    return addTimeStampToken(cms, token);
  } catch (cause) {
    if (cause instanceof Pkcs11exError && cause.reason !== "cms_codec") throw cause;
    throw new Pkcs11exError("bt_failed", "Cannot time-stamp: the token cannot be embedded", {
      cause,
      detail: { kind: "malformed_tsa_response" },
    });
  }
}

/**
 * Signs `pdf` as PAdES B-B (or B-T with `tsaUrl`) by one incremental update.
 *
 * @param pdf The PDF; its bytes are kept exactly.
 * @param signer Signs the CMS signed attributes; its certificates go in the CMS.
 * @param opts Signature dictionary entries, field, placeholder size and B-T options.
 * @returns The signed PDF.
 * @throws {Pkcs11exError} `malformed_pdf`, `encrypted_pdf_unsupported`, `writer`, the CMS
 *   builder's reasons, `bt_failed` (from the time-stamp client), and whatever the signer
 *   throws.
 *
 * @example
 * ```ts ignore
 * const signed = await signPdf(pdfBytes, signer, { reason: "approved" });
 * ```
 */
export async function signPdf(
  pdf: Uint8Array,
  signer: DocumentSigner,
  opts: SignPdfOptions = {},
): Promise<Uint8Array> {
  const bt = opts.tsaUrl !== undefined;
  const placeholderSize = opts.placeholderSize ??
    Math.min(
      PLACEHOLDER_RANGE[1],
      estimateSignedDataSize(signer) + SLACK + (bt ? TST_ROOM : 0),
    );
  const prepared = preparePdfSignature(pdf, { ...opts, placeholderSize });
  let cms = await buildSignedData({ signer, contentDigest: prepared.digest("sha256") });
  if (bt) {
    const value = parseSignedData(cms).signerInfo.signature;
    const token = await (opts.timeStamper ?? defaultTimeStamper)(value, {
      tsaUrl: opts.tsaUrl,
      timeoutMs: opts.tsaTimeoutMs,
    });
    cms = attachToken(cms, token);
  }
  return prepared.finish(cms);
}
