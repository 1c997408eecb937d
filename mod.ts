/**
 * pkcs11ex: sign and verify JWS, PAdES (PDF) and XAdES (XML) with keys that never leave a
 * PKCS#11 device, on Deno and Bun, through the runtime's own FFI.
 *
 * Subpaths: `./jws` (detached JWS), `./hono` (verify middleware), `./policy` (trust
 * policies and the verification pipeline), `./pkcs12` (read-only PKCS#12 loader).
 *
 * @module
 */
export { ConfigError, isPkcs11exError, Pkcs11exError } from "./src/core/errors.ts";
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
} from "./src/core/errors.ts";
export type { DocumentSigner, EncodingContext } from "./src/core/signer.ts";
export { digest, digestStream } from "./src/core/digest.ts";
export type { DigestInput, DigestOptions } from "./src/core/digest.ts";
export { verifyBytes } from "./src/core/verify_bytes.ts";
export type {
  VerifyBackend,
  VerifyBytesOptions,
  VerifyKey,
  VerifyRequest,
} from "./src/core/verify_bytes.ts";
export { parseCertificate, parsePemCertificates } from "./src/core/x509.ts";
export type {
  Dn,
  DnAttribute,
  KeyType,
  KeyUsageType,
  NamedCurve,
  X509Certificate,
} from "./src/core/x509.ts";
export {
  BUILTIN_ALGORITHMS,
  createAlgorithmRegistry,
  ecdsaAlgorithm,
  ed25519Algorithm,
  rsaPkcs1Algorithm,
  rsaPssAlgorithm,
} from "./src/core/algorithms/mod.ts";
export type {
  Algorithm,
  AlgorithmRegistry,
  HashName,
  MechanismSpec,
  ShaName,
  SignPlan,
  VerifySpec,
} from "./src/core/algorithms/mod.ts";
export { Pkcs11Module } from "./src/ffi/module.ts";
export type {
  LoadOptions,
  MechanismInfo,
  ModuleInfo,
  SlotInfo,
  TokenInfo,
  Version,
} from "./src/ffi/module.ts";
export { Session } from "./src/ffi/session.ts";
export type { KeyPairHandles, SessionInfo } from "./src/ffi/session.ts";
export type { NativeMechanism, PssParams } from "./src/ffi/mechanism.ts";
export type { AttributeTemplate, AttributeValue } from "./src/ffi/attributes.ts";
export { CKA, CKF_TOKEN, CKK, CKM, CKO, CKR, rvName } from "./src/ffi/constants.ts";
export type { AttributeName, MechanismName, RvName } from "./src/ffi/constants.ts";
