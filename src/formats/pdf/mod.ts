/**
 * PAdES for PDF: the two-phase incremental-update signature writer, signing over a
 * {@linkcode DocumentSigner} (B-B, B-T), structural inspection, and verification of every
 * signature through a trust policy ({@linkcode verifyPdfWithPolicy}).
 *
 * @module
 */
export type { DocumentSigner } from "../../core/signer.ts";
export { type PdfReadLimits } from "./_limits.ts";
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
export { Pkcs11exError } from "../../core/errors.ts";
export type {
  CmsReason,
  ConfigReason,
  CryptoReason,
  JwsReason,
  KeyReason,
  PdfReason,
  PinReason,
  Pkcs11exErrorOptions,
  Pkcs11exReason,
  Pkcs12Reason,
  SlotReason,
  TimestampReason,
  TrustReason,
  XmlReason,
} from "../../core/errors.ts";
export type { EncodingContext } from "../../core/signer.ts";
export type {
  Dn,
  DnAttribute,
  KeyType,
  KeyUsageType,
  NamedCurve,
  X509Certificate,
} from "../../core/x509.ts";
export type {
  Algorithm,
  AlgorithmRegistry,
  HashName,
  MechanismSpec,
  ShaName,
  SignPlan,
  VerifySpec,
} from "../../core/algorithms/mod.ts";
export type { PipelineOptions } from "../../policy/pipeline.ts";
export type { Policy, PolicyContext, Resolved, SignerHint } from "../../policy/types.ts";
export type {
  CmsSignatureAlgorithm,
  DigestName,
  EssCertRef,
  ParsedSignedData,
  ParsedSignerInfo,
  PssParams as CmsPssParams,
  RawAttribute,
} from "../cms/mod.ts";
export type { PssParams } from "../../ffi/mechanism.ts";
export { CKM } from "../../ffi/constants.ts";
