/**
 * pkcs11ex: sign and verify JWS, PAdES (PDF) and XAdES (XML) with keys that never leave a
 * PKCS#11 device, on Deno and Bun, through the runtime's own FFI.
 *
 * Subpaths: `./jws` (detached JWS), `./pdf` (PAdES), `./xml` (XAdES), `./hono` (verify middleware), `./policy`
 * (trust policies and the verification pipeline), `./pkcs12` (read-only PKCS#12 loader),
 * `./otel` (OpenTelemetry bridge for the telemetry channels).
 *
 * @example Start, sign, verify
 * ```ts ignore
 * import { Pkcs11ex } from "@pkcs11ex/pkcs11ex";
 *
 * await using p11 = await Pkcs11ex.start({
 *   allowedAlgs: ["PS256"],
 *   defaultSlot: "platform",
 *   slots: {
 *     platform: {
 *       type: "soft_hsm",
 *       driver: "/usr/lib/softhsm/libsofthsm2.so",
 *       slotMatch: { tokenLabel: "demo" },
 *       pinCallback: () => Deno.env.get("TOKEN_PIN")!,
 *       keys: { signing: { label: "signing" } },
 *     },
 *   },
 * });
 * const jws = await p11.jws.sign('{"amount":100}');
 * ```
 *
 * @module
 */
export { Pkcs11ex } from "./src/core/pkcs11ex.ts";
export type {
  KeyListing,
  SignBytesOptions,
  SignerRef,
  SlotApi,
  SlotListing,
  SlotStatus,
  VerifyBytesCallOptions,
} from "./src/core/pkcs11ex.ts";
export type { SlotState } from "./src/core/slot/slot_actor.ts";
export type { KeyDescription, ListedKey } from "./src/core/slot/protocol.ts";
export { withPin } from "./src/core/pin.ts";
export type {
  AnyFormat,
  ConfigEnvironment,
  KeyConfig,
  PinCallback,
  PinContext,
  Pkcs11exConfig,
  Reauthentication,
  ResolvedConfig,
  ResolvedKeyConfig,
  ResolvedSlotConfig,
  SlotConfig,
  SlotMatch,
  SlotType,
} from "./src/core/config/mod.ts";
export type {
  JwsApi,
  JwsChainSignOptions,
  JwsSignOptions,
  JwsVerifyOptions,
} from "./src/facade/jws.ts";
export type { PdfApi, PdfSignOptions, PdfVerifyOptions } from "./src/facade/pdf.ts";
export type { XmlApi, XmlApiSignOptions, XmlApiVerifyOptions } from "./src/facade/xml.ts";
export type { FormatApi, FormatSignOptions, FormatVerifyOptions } from "./src/facade/format.ts";
export type { SignInput } from "./src/core/sign_input.ts";
export {
  CHANNEL_NAMES,
  createTelemetry,
  EVENT_KINDS,
  SPAN_KINDS,
  watchTelemetry,
} from "./src/core/telemetry.ts";
export type {
  ChannelNames,
  ErrorClass,
  EventPublisher,
  SpanContext,
  SpanRunner,
  Telemetry,
  TelemetryEvent,
  TelemetryEventKind,
  TelemetrySpanKind,
} from "./src/core/telemetry.ts";
export type { Format, Parsed, Prepared } from "./src/core/format.ts";
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
export {
  createLibcryptoBackend,
  type LibcryptoBackendOptions,
} from "./src/core/verify_backends/libcrypto.ts";
export {
  createThreadedBackend,
  type ThreadedBackend,
  type ThreadedBackendOptions,
} from "./src/core/verify_backends/threaded.ts";
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
