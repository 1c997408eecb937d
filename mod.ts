/**
 * pkcs11ex: sign and verify JWS, PAdES (PDF) and XAdES (XML) with keys that never leave a
 * PKCS#11 device, on Deno and Bun, through the runtime's own FFI.
 *
 * @module
 */
export { ConfigError, isPkcs11exError, Pkcs11exError } from "./src/core/errors.ts";
export type { Pkcs11exErrorOptions, Pkcs11exReason } from "./src/core/errors.ts";
export type { DocumentSigner, EncodingContext } from "./src/core/signer.ts";
