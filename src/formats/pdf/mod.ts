/**
 * PAdES for PDF: a bounded reader, the two-phase incremental-update signature writer,
 * signing over a {@linkcode DocumentSigner}, and structural inspection plus verification
 * orchestration of every signature.
 *
 * @module
 */
export type { DocumentSigner } from "../../core/signer.ts";
export { type PdfReadLimits } from "./_limits.ts";
export { PdfDocument, PdfView, readPdf } from "./reader.ts";
export {
  PLACEHOLDER_RANGE,
  type PreparedPdf,
  type PreparePdfOptions,
  preparePdfSignature,
} from "./prepare.ts";
export { signPdf, type SignPdfOptions, type TimeStamper } from "./sign.ts";
export { inspectPdfSignatures, type PdfInspection, type PdfSignatureInfo } from "./inspect.ts";
export type { ChangesAfter } from "./_changes.ts";
export {
  type PdfSignatureOutcome,
  type PdfSignatureToVerify,
  type PdfVerification,
  verifyPdf,
  type VerifyPdfOptions,
  verifyPdfSignatures,
} from "./verify.ts";
export {
  type PdfTimestampResult,
  type PdfTrustResult,
  pdfTrustStep,
  verifyPdfSignaturesWithPolicy,
  verifyPdfWithPolicy,
  type VerifyPdfWithPolicyOptions,
} from "./verify_policy.ts";
