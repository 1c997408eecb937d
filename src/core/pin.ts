/**
 * PIN handling (api §1.3, §3.6): PINs come from a slot's `pinCallback`, from a one-shot
 * `p11.slot.login(ref, { pin })`, or from a {@linkcode withPin} scope. A PIN is turned into
 * bytes the library owns, transferred to the slot worker once for `C_Login`, and zeroed
 * there; no PIN is kept in any state. (A PIN given as a string cannot be wiped from
 * memory by JavaScript: pass a `Uint8Array` to have the caller's bytes zeroed too.)
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { Pkcs11exError } from "./errors.ts";

const scope = new AsyncLocalStorage<Uint8Array>();

/**
 * Copies a PIN into a fresh buffer the library owns; a `Uint8Array` source is zeroed.
 *
 * @throws {TypeError} when the PIN is neither a string nor bytes, or is empty.
 */
export function takePin(pin: unknown): Uint8Array {
  let bytes: Uint8Array;
  if (typeof pin === "string") bytes = new TextEncoder().encode(pin);
  else if (pin instanceof Uint8Array) {
    bytes = pin.slice();
    pin.fill(0);
  } else throw new TypeError("A PIN must be a string or a Uint8Array");
  if (bytes.length === 0) throw new TypeError("A PIN must not be empty");
  return bytes;
}

/**
 * Scopes a PIN to one async call tree: logins that happen inside `fn` use it instead of the
 * slot's `pinCallback`. The PIN bytes are zeroed when `fn` settles.
 *
 * @example
 * ```ts ignore
 * const jws = await withPin(Deno.env.get("TOKEN_PIN")!, () =>
 *   p11.jws.sign(payload, { signer: ["legal_proxy", "signing"] }));
 * ```
 */
export async function withPin<T>(pin: string | Uint8Array, fn: () => T | Promise<T>): Promise<T> {
  const bytes = takePin(pin);
  try {
    return await scope.run(bytes, fn);
  } finally {
    bytes.fill(0);
  }
}

/** A copy of the PIN of the current {@linkcode withPin} scope, if any. */
export function scopedPin(): Uint8Array | undefined {
  return scope.getStore()?.slice();
}

/**
 * Protects a token from lockout: before a login through the `pinCallback`, a token whose
 * flags say the PIN is locked (`CKF_USER_PIN_LOCKED`) or has one try left
 * (`CKF_USER_PIN_FINAL_TRY`) is not tried automatically — the operator logs in explicitly
 * with `p11.slot.login`.
 *
 * @throws {Pkcs11exError} `pin_locked` or `pin_final_try`.
 */
export function refuseAutomaticLogin(slotRef: string, tokenFlags: readonly string[]): void {
  if (tokenFlags.includes("CKF_USER_PIN_LOCKED")) {
    throw new Pkcs11exError("pin_locked", `The user PIN of slot "${slotRef}" is locked`, {
      detail: { slotRef },
    });
  }
  if (tokenFlags.includes("CKF_USER_PIN_FINAL_TRY")) {
    throw new Pkcs11exError(
      "pin_final_try",
      `Slot "${slotRef}" has one PIN try left; log in explicitly with p11.slot.login`,
      { detail: { slotRef } },
    );
  }
}
