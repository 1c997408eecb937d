/**
 * The one table from a {@linkcode Pkcs11exReason} to the spec's error class (api §4.1), used
 * for the `errorClass` metadata of telemetry events.
 *
 * @module
 */

import { isPkcs11exError, type Pkcs11exReason } from "./errors.ts";

/** The spec's error classes (api §4.1), plus `exception` for anything that is not a Pkcs11exError. */
export type ErrorClass =
  | "slot/session"
  | "key/cert"
  | "pin"
  | "pdf"
  | "xml"
  | "jws"
  | "cms"
  | "trust_policy"
  | "crypto"
  | "pkcs12"
  | "config"
  | "exception";

/**
 * Every reason's class. Typed as a total record so that a reason added to errors.ts without a
 * class here fails `deno check`. Reasons the spec lists under both PDF and XML
 * (`bt_failed`, `multiple_signatures_unsupported_in_v1`) default to `pdf` and follow the
 * span's `format` metadata when it is `xml`.
 */
const CLASS_OF_REASON: Readonly<Record<Pkcs11exReason, ErrorClass>> = {
  slot_not_found: "slot/session",
  slot_not_logged_in: "slot/session",
  reauthentication_required: "slot/session",
  session_pool_exhausted: "slot/session",
  driver_load_failed: "slot/session",
  driver_pin_mismatch: "slot/session",
  slot_closed: "slot/session",
  worker_failed: "slot/session",
  key_not_found: "key/cert",
  key_ambiguous: "key/cert",
  cert_not_found: "key/cert",
  incompatible_alg: "key/cert",
  no_signing_slot: "config",
  pin_required: "pin",
  pin_incorrect: "pin",
  pin_locked: "pin",
  pin_final_try: "pin",
  no_signature: "pdf",
  multiple_signatures_unsupported_in_v1: "pdf",
  malformed_signature_contents: "pdf",
  byte_range_out_of_bounds: "pdf",
  byte_range_invalid: "pdf",
  message_digest_mismatch: "pdf",
  incremental_update_after_signature: "pdf",
  malformed_pdf: "pdf",
  encrypted_pdf_unsupported: "pdf",
  writer: "pdf",
  bt_failed: "pdf",
  malformed_xml: "xml",
  no_signature_element: "xml",
  digest_mismatch: "xml",
  xades_cert_digest_mismatch: "xml",
  xades_issuer_serial_mismatch: "xml",
  c14n: "xml",
  unsupported_signature_method: "xml",
  signature_wrapping: "xml",
  malformed_jws: "jws",
  missing_required_header: "jws",
  b64_crit_violation: "jws",
  disallowed_alg: "jws",
  unsupported_alg: "jws",
  reserved_header: "jws",
  body_already_consumed: "jws",
  body_too_large: "jws",
  cms_codec: "cms",
  missing_digest: "cms",
  invalid_digest: "cms",
  empty_certificate_chain: "cms",
  unsupported_digest_algorithm: "cms",
  unsupported_signature_algorithm: "cms",
  invalid_leaf_certificate: "cms",
  invalid_certificate_entry: "cms",
  not_signed_data: "cms",
  no_signer_info: "cms",
  multiple_signer_info_unsupported_in_v1: "cms",
  no_certificates: "cms",
  unsupported_certificate_choice: "cms",
  invalid_embedded_certificate: "cms",
  leaf_certificate_not_found_in_chain: "cms",
  subject_key_identifier_unsupported_in_v1: "cms",
  missing_attribute: "cms",
  multi_value_attribute: "cms",
  unknown_signer: "trust_policy",
  hint_mismatch: "trust_policy",
  untrusted_signer: "trust_policy",
  cert_expired: "trust_policy",
  cert_not_yet_valid: "trust_policy",
  chain_invalid: "trust_policy",
  incomplete_chain: "trust_policy",
  cert_revoked: "trust_policy",
  crl_unavailable: "trust_policy",
  ocsp_unavailable: "trust_policy",
  revocation_unknown: "trust_policy",
  policy_failed: "trust_policy",
  unexpected_subject: "trust_policy",
  malformed_certificate: "trust_policy",
  signature_invalid: "crypto",
  pkcs11_error: "crypto",
  p12_invalid: "pkcs12",
  p12_password_incorrect: "pkcs12",
  p12_chain_too_long: "pkcs12",
  p12_unsupported_kdf: "pkcs12",
  invalid_config: "config",
};

/** The reasons the spec lists under both PDF and XML. */
const SHARED_PDF_XML: ReadonlySet<string> = new Set([
  "bt_failed",
  "multiple_signatures_unsupported_in_v1",
]);

/** The `errorReason` and `errorClass` of a failure inside a span of the given `format`. */
export function describeError(
  err: unknown,
  format: unknown,
): { errorReason: string; errorClass: ErrorClass } {
  if (!isPkcs11exError(err)) return { errorReason: "exception", errorClass: "exception" };
  const known = Object.hasOwn(CLASS_OF_REASON, err.reason);
  const cls = known ? CLASS_OF_REASON[err.reason] : "exception";
  const errorClass = cls === "pdf" && format === "xml" && SHARED_PDF_XML.has(err.reason)
    ? "xml"
    : cls;
  return { errorReason: err.reason, errorClass };
}
