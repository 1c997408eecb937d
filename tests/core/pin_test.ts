import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { refuseAutomaticLogin, scopedPin, takePin, withPin } from "../../src/core/pin.ts";
import { Pkcs11exError } from "../../src/core/errors.ts";

const reason = (r: string) => (err: unknown) => err instanceof Pkcs11exError && err.reason === r;

describe("PIN handling", () => {
  test("takePin copies into a buffer the library owns and zeroes a caller's bytes", () => {
    const caller = new TextEncoder().encode("1234");
    const owned = takePin(caller);
    assert.deepEqual(owned, new TextEncoder().encode("1234"));
    assert.ok(caller.every((b) => b === 0));
    assert.throws(() => takePin(""), TypeError);
    assert.throws(() => takePin(1234), TypeError);
  });

  test("withPin scopes a PIN to one call tree and zeroes it afterwards", async () => {
    const caller = new TextEncoder().encode("9876");
    let seen: Uint8Array | undefined;
    await withPin(caller, async () => {
      await Promise.resolve();
      seen = scopedPin();
    });
    assert.deepEqual(seen, new TextEncoder().encode("9876"));
    assert.equal(scopedPin(), undefined, "no PIN outside the scope");
    assert.ok(caller.every((b) => b === 0));
  });

  test("lockout protection: a locked PIN or a final try is not spent automatically", () => {
    assert.throws(() => refuseAutomaticLogin("s", ["CKF_USER_PIN_LOCKED"]), reason("pin_locked"));
    assert.throws(
      () => refuseAutomaticLogin("s", ["CKF_USER_PIN_FINAL_TRY"]),
      reason("pin_final_try"),
    );
    // SoftHSM2 reports only CKF_USER_PIN_COUNT_LOW after failures (no final-try / lock flags).
    refuseAutomaticLogin("s", ["CKF_USER_PIN_INITIALIZED", "CKF_USER_PIN_COUNT_LOW"]);
  });
});
