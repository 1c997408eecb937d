/**
 * The one error class of pkcs11ex and its stable reasons.
 *
 * Every failure the library reports is a {@linkcode Pkcs11exError} whose `reason` is one of
 * the spec's reasons (api §4.1) as a string. Reasons that the spec writes as tagged tuples
 * (`{:pkcs11_error, :CKR_PIN_INCORRECT}`, `{:malformed_pdf, :startxref_not_found}`) keep the
 * tag as `reason` and carry the payload in `detail` (`{ rv: "CKR_PIN_INCORRECT" }`,
 * `{ kind: "startxref_not_found" }`). Bad arguments (a number where bytes were expected)
 * are plain `TypeError` / `RangeError`, not a `Pkcs11exError`.
 *
 * @module
 */

/** Reasons of the slot, session and driver class. */
export type SlotReason =
  | "slot_not_found"
  | "slot_not_logged_in"
  | "reauthentication_required"
  | "session_pool_exhausted"
  | "driver_load_failed"
  | "driver_pin_mismatch"
  | "slot_closed"
  | "worker_failed";

/** Reasons of the key and certificate class. */
export type KeyReason =
  | "key_not_found"
  | "key_ambiguous"
  | "cert_not_found"
  | "incompatible_alg"
  | "no_signing_slot";

/** Reasons of the PIN class. */
export type PinReason = "pin_required" | "pin_incorrect" | "pin_locked" | "pin_final_try";

/** Reasons a PDF is refused or cannot be signed. */
export type PdfReason =
  | "no_signature"
  | "multiple_signatures_unsupported_in_v1"
  | "malformed_signature_contents"
  | "byte_range_out_of_bounds"
  | "byte_range_invalid"
  | "message_digest_mismatch"
  | "incremental_update_after_signature"
  | "malformed_pdf"
  | "encrypted_pdf_unsupported"
  | "writer";

/** Reasons an XML document is refused or cannot be signed. */
export type XmlReason =
  | "malformed_xml"
  | "no_signature_element"
  | "multiple_signatures_unsupported_in_v1"
  | "digest_mismatch"
  | "xades_cert_digest_mismatch"
  | "xades_issuer_serial_mismatch"
  | "c14n"
  | "unsupported_signature_method"
  | "signature_wrapping";

/** Reasons of the B-T (RFC 3161 time-stamp) step. */
export type TimestampReason = "bt_failed";

/** Reasons a JWS is refused or cannot be signed. */
export type JwsReason =
  | "malformed_jws"
  | "missing_required_header"
  | "b64_crit_violation"
  | "disallowed_alg"
  | "unsupported_alg"
  | "reserved_header"
  | "body_already_consumed"
  | "body_too_large";

/** Reasons raised by the CMS codec. */
export type CmsReason =
  | "cms_codec"
  | "missing_digest"
  | "invalid_digest"
  | "empty_certificate_chain"
  | "unsupported_digest_algorithm"
  | "unsupported_signature_algorithm"
  | "invalid_leaf_certificate"
  | "invalid_certificate_entry"
  | "not_signed_data"
  | "no_signer_info"
  | "multiple_signer_info_unsupported_in_v1"
  | "no_certificates"
  | "unsupported_certificate_choice"
  | "invalid_embedded_certificate"
  | "leaf_certificate_not_found_in_chain"
  | "subject_key_identifier_unsupported_in_v1"
  | "missing_attribute"
  | "multi_value_attribute";

/** Reasons of the trust policy and the verification pipeline (api §2.3.6). */
export type TrustReason =
  | "unknown_signer"
  | "hint_mismatch"
  | "untrusted_signer"
  | "cert_expired"
  | "cert_not_yet_valid"
  | "chain_invalid"
  | "incomplete_chain"
  | "cert_revoked"
  | "crl_unavailable"
  | "ocsp_unavailable"
  | "revocation_unknown"
  | "policy_failed"
  | "unexpected_subject"
  | "malformed_certificate";

/** Reasons of the cryptographic layer. */
export type CryptoReason = "signature_invalid" | "pkcs11_error";

/** Reasons of the PKCS#12 loader. */
export type Pkcs12Reason =
  | "p12_invalid"
  | "p12_password_incorrect"
  | "p12_chain_too_long"
  | "p12_unsupported_kdf";

/** Reason of an invalid configuration (thrown as {@linkcode ConfigError}). */
export type ConfigReason = "invalid_config";

/** Every reason a {@linkcode Pkcs11exError} can carry; switch on it. */
export type Pkcs11exReason =
  | SlotReason
  | KeyReason
  | PinReason
  | PdfReason
  | XmlReason
  | TimestampReason
  | JwsReason
  | CmsReason
  | TrustReason
  | CryptoReason
  | Pkcs12Reason
  | ConfigReason;

/** Options of the {@linkcode Pkcs11exError} constructor. */
export interface Pkcs11exErrorOptions {
  /** The payload of a tagged reason, e.g. `{ rv: "CKR_PIN_INCORRECT", fn: "C_Login" }`. */
  detail?: Record<string, unknown>;
  /** The lower-level error that caused this one. */
  cause?: unknown;
}

/**
 * The error every pkcs11ex operation rejects with.
 *
 * @example Switch on the reason
 * ```ts
 * import { Pkcs11exError } from "@pkcs11ex/pkcs11ex";
 *
 * const err = new Pkcs11exError("pin_incorrect", "Cannot log in: the PIN is incorrect");
 * if (err instanceof Pkcs11exError && err.reason === "pin_incorrect") {
 *   console.log(err.message);
 * }
 * ```
 */
export class Pkcs11exError extends Error {
  /** The spec's reason, stable across versions. */
  readonly reason: Pkcs11exReason;
  /** The payload of a tagged reason (never a PIN, key material or payload bytes). */
  readonly detail: Readonly<Record<string, unknown>>;

  /**
   * Makes an error with a reason, a message and optional detail and cause.
   *
   * @param reason The spec's reason.
   * @param message A sentence that names the action that failed.
   * @param options `detail` and `cause`.
   */
  constructor(reason: Pkcs11exReason, message: string, options: Pkcs11exErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "Pkcs11exError";
    this.reason = reason;
    this.detail = Object.freeze({ ...options.detail });
  }
}

/**
 * Thrown by `Pkcs11ex.start` when the configuration breaks a rule of api §1.5.
 *
 * @example
 * ```ts
 * import { ConfigError } from "@pkcs11ex/pkcs11ex";
 *
 * const err = new ConfigError("slots.legal_proxy.pinCallback", 'missing for type "token"');
 * console.log(err.message); // slots.legal_proxy.pinCallback: missing for type "token"
 * ```
 */
export class ConfigError extends Pkcs11exError {
  /** The dotted path of the offending configuration key. */
  readonly path: string;

  /**
   * Makes a configuration error for the key at `path`.
   *
   * @param path The dotted key path, e.g. `slots.legal_proxy.pinCallback`.
   * @param problem What is wrong with it.
   * @param options `detail` and `cause`.
   */
  constructor(path: string, problem: string, options: Pkcs11exErrorOptions = {}) {
    super("invalid_config", path === "" ? problem : `${path}: ${problem}`, options);
    this.name = "ConfigError";
    this.path = path;
  }
}

/** Whether `err` is a {@linkcode Pkcs11exError} with the given reason. */
export function isPkcs11exError(err: unknown, reason?: Pkcs11exReason): err is Pkcs11exError {
  return err instanceof Pkcs11exError && (reason === undefined || err.reason === reason);
}
