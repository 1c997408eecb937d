/**
 * The one error of the B-T step: reason `bt_failed` with the spec's tag in `detail.kind`.
 *
 * @module
 */
import { Pkcs11exError } from "../../core/errors.ts";

/** The kinds of `bt_failed` (api §4.1, plus the checks of the token itself). */
export type BtFailedKind =
  | "tsa_http"
  | "tsa_http_status"
  | "tsa_status"
  | "missing_time_stamp_token"
  | "malformed_tsa_response"
  | "imprint_mismatch"
  | "nonce_mismatch"
  | "tsa_signature_invalid";

/** A `bt_failed` error with `{ kind, ...extra }` as detail. */
export function btFailed(
  kind: BtFailedKind,
  message: string,
  extra: Record<string, unknown> = {},
  cause?: unknown,
): Pkcs11exError {
  return new Pkcs11exError("bt_failed", `Cannot time-stamp: ${message}`, {
    cause,
    detail: { kind, ...extra },
  });
}
