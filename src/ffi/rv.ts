/**
 * The one place every `CK_RV` is checked. A failure becomes a `Pkcs11exError` that names
 * the C function and the `CKR_` name, with the spec's friendly reason where one applies.
 *
 * @module
 */
import { Pkcs11exError, type Pkcs11exReason } from "../core/errors.ts";
import { CKR, rvName } from "./constants.ts";
import type { FunctionName } from "./function_list.ts";

const friendlyReasons: ReadonlyMap<number, Pkcs11exReason> = new Map<number, Pkcs11exReason>([
  [CKR.CKR_PIN_INCORRECT, "pin_incorrect"],
  [CKR.CKR_PIN_LOCKED, "pin_locked"],
  [CKR.CKR_USER_NOT_LOGGED_IN, "slot_not_logged_in"],
]);

/** The error for a failed call: `pin_incorrect`, `pin_locked`, … or `pkcs11_error`. */
export function pkcs11Error(rv: number, fn: FunctionName): Pkcs11exError {
  const name = rvName(rv);
  const reason = friendlyReasons.get(rv) ?? "pkcs11_error";
  return new Pkcs11exError(reason, `${fn} failed: ${name}`, { detail: { rv: name, fn } });
}

/** Throws the error of a failed call; returns when `rv` is `CKR_OK`. */
export function checkRv(rv: number, fn: FunctionName): void {
  if (rv !== CKR.CKR_OK) throw pkcs11Error(rv, fn);
}
