/**
 * CMS SignedData for PAdES and CAdES: build (two-phase, with a size estimate), parse with
 * the typed refusals of api §4.1, check the signature math, and attach unsigned attributes
 * such as an RFC 3161 signature time-stamp.
 *
 * @module
 */
export {
  buildSignedData,
  type BuildSignedDataOptions,
  estimateSignedDataSize,
  type PreparedSignedData,
  prepareSignedData,
} from "./build.ts";
export {
  type ParsedSignedData,
  type ParsedSignerInfo,
  parseSignedData,
  type RawAttribute,
} from "./parse.ts";
export { verifySignerInfoMath, type VerifySignerInfoOptions } from "./verify.ts";
export { addTimeStampToken, addUnsignedAttribute } from "./unsigned_attributes.ts";
export { encodeIssuerSerial, encodeSigningCertificateV2, type EssCertRef } from "./ess.ts";
export type { CmsSignatureAlgorithm, DigestName, PssParams } from "./algorithms.ts";
export type { AttributeInput } from "./signed_attributes.ts";
export * from "./oids.ts";
