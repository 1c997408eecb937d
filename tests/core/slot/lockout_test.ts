/**
 * Lockout protection against a real PKCS#11 module and real slot workers: a shim module over
 * SoftHSM2 (tests/_support/native/pin_flags_shim.c) reports the PIN flags a token raises
 * after failed logins, which SoftHSM2 itself never does.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Pkcs11ex } from "../../../src/core/pkcs11ex.ts";
import { Pkcs11exError } from "../../../src/core/errors.ts";
import { buildPinFlagsShim } from "../../_support/pin_flags_shim.ts";
import { makeTempDir } from "../../_support/tmp.ts";
import { makeSlotToken, nodeVerifies, slotConfig } from "./_fixture.ts";

const token = await makeSlotToken("lockout");
const { dir, cleanup } = makeTempDir();
const shim = buildPinFlagsShim(dir);
const message = new TextEncoder().encode("lockout protection\n");
const reason = (r: string) => (err: unknown) => err instanceof Pkcs11exError && err.reason === r;
const ecCert = token.keys.ec.certificateDer;

/** A token slot over the shim, with a counting PIN callback. */
function config() {
  return slotConfig(token, { type: "token", driver: shim.driver, sessionPoolSize: 1 });
}

describe("lockout protection (a module that reports PIN flags)", () => {
  after(() => {
    shim.setFlags([]);
    cleanup();
  });

  test("a final PIN try is never spent by the callback; an explicit login may spend it", async () => {
    shim.setFlags(["CKF_USER_PIN_FINAL_TRY", "CKF_USER_PIN_COUNT_LOW"]);
    const { config: cfg, pinCalls } = config();
    await using p11 = await Pkcs11ex.start(cfg);
    await assert.rejects(p11.signBytes(message, { signer: "ec" }), reason("pin_final_try"));
    await assert.rejects(p11.signBytes(message, { signer: "ec" }), reason("pin_final_try"));
    assert.equal(pinCalls(), 0, "the callback was not asked for the last try");
    await p11.slot.login("platform", { pin: token.userPin });
    const sig = await p11.signBytes(message, { signer: "ec", alg: "ES256" });
    assert.ok(nodeVerifies(ecCert, "ES256", message, sig));
    assert.equal(pinCalls(), 0);
  });

  test("a locked PIN is pin_locked before any callback", async () => {
    shim.setFlags(["CKF_USER_PIN_LOCKED"]);
    const { config: cfg, pinCalls } = config();
    await using p11 = await Pkcs11ex.start(cfg);
    const err = await p11.signBytes(message, { signer: "ec" }).catch((e) => e);
    assert.ok(reason("pin_locked")(err), String(err));
    assert.equal((err as Pkcs11exError).detail.slotRef, "platform");
    assert.equal(pinCalls(), 0);
  });

  test("a low count alone still logs in through the callback, once", async () => {
    shim.setFlags(["CKF_USER_PIN_COUNT_LOW"]);
    const { config: cfg, pinCalls } = config();
    await using p11 = await Pkcs11ex.start(cfg);
    const sig = await p11.signBytes(message, { signer: "ec", alg: "ES256" });
    assert.ok(nodeVerifies(ecCert, "ES256", message, sig));
    assert.equal(pinCalls(), 1);
  });

  test("flags raised while the slot runs are honoured at the next login", async () => {
    shim.setFlags([]);
    const { config: cfg, pinCalls } = config();
    await using p11 = await Pkcs11ex.start(cfg);
    await p11.signBytes(message, { signer: "ec" });
    await p11.slot.logout("platform");
    shim.setFlags(["CKF_USER_PIN_FINAL_TRY"]);
    await assert.rejects(p11.signBytes(message, { signer: "ec" }), reason("pin_final_try"));
    assert.equal(pinCalls(), 1);
  });
});
