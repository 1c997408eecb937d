import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Pkcs11Module } from "../../src/ffi/module.ts";
import { CKM, rvName } from "../../src/ffi/constants.ts";
import { Pkcs11exError } from "../../src/core/errors.ts";
import { makeTestToken, SOFTHSM_DRIVER } from "../_support/softhsm.ts";
import { makeTempDir } from "../_support/tmp.ts";

const token = await makeTestToken([{ label: "rsa", type: "rsa" }], "module");

describe("Pkcs11Module", () => {
  test("a second load in the process finds the module already initialized", async () => {
    const again = await Pkcs11Module.load(SOFTHSM_DRIVER);
    assert.equal(again.wasAlreadyInitialized, true);
  });

  test("info reports SoftHSM and Cryptoki 2.40 with trimmed strings", () => {
    const info = token.module.info();
    assert.equal(info.manufacturerId, "SoftHSM");
    assert.deepEqual(info.cryptokiVersion, { major: 2, minor: 40 });
    assert.equal(info.libraryDescription, "Implementation of PKCS11");
  });

  test("discovers the token by label with trimmed, padded fields", () => {
    assert.equal(token.module.findSlotByTokenLabel(token.label), token.slot);
    const info = token.module.tokenInfo(token.slot);
    assert.equal(info.label, token.label);
    assert.equal(info.manufacturerId, "SoftHSM project");
    assert.ok(info.flagNames.includes("CKF_TOKEN_INITIALIZED"));
    assert.ok(info.flagNames.includes("CKF_USER_PIN_INITIALIZED"));
    assert.equal(typeof info.maxPinLen, "number");
    const slot = token.module.slotInfo(token.slot);
    assert.equal(slot.tokenPresent, true);
    assert.ok(slot.description.length > 0 && !slot.description.endsWith(" "));
  });

  test("an unknown token label is slot_not_found", () => {
    assert.throws(
      () => token.module.findSlotByTokenLabel("no-such-token"),
      (err: unknown) => err instanceof Pkcs11exError && err.reason === "slot_not_found",
    );
  });

  test("lists mechanisms with their key sizes and flags", () => {
    const mechanisms = token.module.mechanisms(token.slot);
    for (const m of [CKM.CKM_SHA256_RSA_PKCS_PSS, CKM.CKM_RSA_PKCS, CKM.CKM_ECDSA, CKM.CKM_EDDSA]) {
      assert.ok(mechanisms.includes(m), `missing ${m}`);
    }
    const pss = token.module.mechanismInfo(token.slot, CKM.CKM_SHA256_RSA_PKCS_PSS);
    assert.equal(pss.name, "CKM_SHA256_RSA_PKCS_PSS");
    assert.ok(pss.minKeySize <= 2048 && pss.maxKeySize >= 4096);
    assert.ok(pss.flagNames.includes("CKF_SIGN") && pss.flagNames.includes("CKF_VERIFY"));
  });

  test("a wrong PIN is pin_incorrect and names C_Login", () => {
    using session = token.module.openSession(token.slot);
    const pin = new TextEncoder().encode("wrong-pin");
    assert.throws(
      () => session.login(pin),
      (err: unknown) =>
        err instanceof Pkcs11exError && err.reason === "pin_incorrect" &&
        err.detail.rv === "CKR_PIN_INCORRECT" && err.detail.fn === "C_Login",
    );
    assert.ok(pin.every((b) => b === 0), "PIN bytes are zeroed after the call");
  });

  test("logging in twice is not a failure and the session reports the user state", () => {
    using session = token.openUserSession();
    session.login(new TextEncoder().encode(token.userPin));
    assert.equal(session.info().loggedIn, true);
  });

  test("a driver pin mismatch is refused before dlopen", async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const fake = join(dir, "libfake.so");
      writeFileSync(fake, "not a library");
      await assert.rejects(
        Pkcs11Module.load(fake, { sha256: "00".repeat(32) }),
        (err: unknown) =>
          err instanceof Pkcs11exError && err.reason === "driver_pin_mismatch" &&
          err.detail.got === createHash("sha256").update("not a library").digest("hex"),
      );
      // The right pin passes the check, then dlopen fails on the non-library file.
      await assert.rejects(
        Pkcs11Module.load(fake, {
          sha256: createHash("sha256").update("not a library").digest("hex"),
        }),
        (err: unknown) => err instanceof Pkcs11exError && err.reason === "driver_load_failed",
      );
    } finally {
      cleanup();
    }
  });

  test("the correct pin of the real driver loads it", async () => {
    const sha256 = createHash("sha256").update(readFileSync(SOFTHSM_DRIVER)).digest("hex");
    const loaded = await Pkcs11Module.load(SOFTHSM_DRIVER, { sha256 });
    assert.equal(loaded.info().manufacturerId, "SoftHSM");
  });

  test("a missing driver file is driver_load_failed", async () => {
    await assert.rejects(
      Pkcs11Module.load("/nonexistent/libnothing.so"),
      (err: unknown) => err instanceof Pkcs11exError && err.reason === "driver_load_failed",
    );
    await assert.rejects(
      Pkcs11Module.load("/nonexistent/libnothing.so", { sha256: "ab".repeat(32) }),
      (err: unknown) =>
        err instanceof Pkcs11exError && err.reason === "driver_load_failed" &&
        err.detail.posix === "ENOENT",
    );
  });

  test("every CK_RV prints as its name", () => {
    assert.equal(rvName(0xa0), "CKR_PIN_INCORRECT");
    assert.equal(rvName(0x191), "CKR_CRYPTOKI_ALREADY_INITIALIZED");
    assert.equal(rvName(0x80000001), "CKR_VENDOR_DEFINED+0x1");
    assert.equal(rvName(0x7777), "CKR_0x7777");
  });
});
