import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Pkcs11ex } from "../../../src/core/pkcs11ex.ts";
import { Pkcs11exError } from "../../../src/core/errors.ts";
import { withPin } from "../../../src/core/pin.ts";
import { parseCertificate } from "../../../src/core/x509.ts";
import { makeSlotToken, nodeVerifies, slotConfig } from "./_fixture.ts";

const token = await makeSlotToken("p11");
const cert = (label: string) => token.keys[label].certificateDer;
const reason = (r: string) => (err: unknown) => err instanceof Pkcs11exError && err.reason === r;
const message = new TextEncoder().encode("signed through Pkcs11ex.start\n");

describe("Pkcs11ex signing on a soft_hsm slot", () => {
  test("signs with every algorithm; outside verification accepts each signature", async () => {
    const { config, pinCalls } = slotConfig(token);
    await using p11 = await Pkcs11ex.start(config);
    for (
      const [key, alg] of [["signing", "PS256"], ["signing", "RS256"], ["ec", "ES256"], [
        "ed",
        "EdDSA",
      ]] as const
    ) {
      const signature = await p11.signBytes(message, { signer: key, alg });
      const label = key === "signing" ? "rsa" : key;
      assert.ok(nodeVerifies(cert(label), alg, message, signature), `${alg} verifies`);
      await p11.verifyBytes(message, signature, parseCertificate(cert(label)), { alg });
    }
    assert.equal(pinCalls(), 1, "one login for the whole run");
    assert.equal(p11.slot.status("platform").state, "logged_in");
  });

  test("the default alg is the first allowed one the key can make; ES256 in jose context is r||s", async () => {
    const { config } = slotConfig(token);
    await using p11 = await Pkcs11ex.start(config);
    const rsa = await p11.signBytes(message); // default signer "signing" on the default slot
    assert.ok(nodeVerifies(cert("rsa"), "PS256", message, rsa));
    const jose = await p11.signBytes(message, {
      signer: ["platform", "ec"],
      encodingContext: "jose",
    });
    assert.equal(jose.length, 64);
  });

  test("streams are hashed and signed as a digest; precomputed digests sign too", async () => {
    const { config } = slotConfig(token);
    await using p11 = await Pkcs11ex.start(config);
    async function* chunks() {
      yield message.subarray(0, 7);
      yield message.subarray(7);
    }
    const streamed = await p11.signBytes(chunks(), { signer: "signing", alg: "RS256" });
    const whole = await p11.signBytes(message, { signer: "signing", alg: "RS256" });
    assert.deepEqual(streamed, whole, "PKCS#1 v1.5 is deterministic");
    const digest = new Uint8Array(createHash("sha256").update(message).digest());
    const pre = await p11.signBytes(digest, {
      signer: "ec",
      alg: "ES256",
      precomputedDigest: true,
    });
    assert.ok(nodeVerifies(cert("ec"), "ES256", message, pre));
    await assert.rejects(
      p11.signBytes(chunks(), { signer: "ec", precomputedDigest: true }),
      TypeError,
    );
    // A "digest" of another length, or one for EdDSA (which hashes inside), is never signed.
    for (const bad of [digest.subarray(1), new Uint8Array(1000)]) {
      await assert.rejects(
        p11.signBytes(bad, { signer: "ec", alg: "ES256", precomputedDigest: true }),
        RangeError,
      );
    }
    await assert.rejects(
      p11.signBytes(digest, { signer: "ed", alg: "EdDSA", precomputedDigest: true }),
      RangeError,
    );
    const ed = await p11.signBytes(
      new ReadableStream({
        start(c) {
          c.enqueue(message);
          c.close();
        },
      }),
      { signer: "ed" },
    );
    assert.ok(nodeVerifies(cert("ed"), "EdDSA", message, ed));
  });

  test("wrong algorithms and unknown refs are refused with the spec's reasons", async () => {
    const { config } = slotConfig(token, { allowedAlgs: ["PS256", "ES256"] });
    await using p11 = await Pkcs11ex.start(config);
    await assert.rejects(
      p11.signBytes(message, { signer: "ec", alg: "PS256" }),
      reason("incompatible_alg"),
    );
    await assert.rejects(
      p11.signBytes(message, { signer: "signing", alg: "RS256" }),
      reason("disallowed_alg"),
    );
    await assert.rejects(p11.signBytes(message, { signer: "nope" }), reason("key_not_found"));
    // Names of Object.prototype members are no key refs (the token's keys are not listed under them).
    for (const name of ["toString", "constructor", "hasOwnProperty", "__proto__", "valueOf"]) {
      await assert.rejects(p11.signBytes(message, { signer: name }), reason("key_not_found"), name);
      await assert.rejects(
        p11.signBytes(message, { signer: ["platform", name] }),
        reason("key_not_found"),
      );
    }
    assert.throws(() => p11.format("toString"), RangeError);
    await assert.rejects(
      p11.signBytes(message, { signer: "ec", encodingContext: "bogus" as never }),
      TypeError,
    );
    for (const signer of [5, {}, ["platform"], ["platform", 1]]) {
      await assert.rejects(p11.signBytes(message, { signer: signer as never }), TypeError);
    }
    await assert.rejects(
      p11.signBytes(message, { signer: ["other", "signing"] }),
      reason("slot_not_found"),
    );
  });

  test("a DocumentSigner carries the token certificate", async () => {
    const { config } = slotConfig(token);
    await using p11 = await Pkcs11ex.start(config);
    const signer = await p11.signer("ec");
    assert.equal(signer.alg, "ES256");
    assert.deepEqual(signer.certificates[0], cert("ec"));
    assert.ok(nodeVerifies(cert("ec"), "ES256", message, await signer.sign(message, "der")));
  });

  test("C_Verify on the token accepts a good signature and rejects a tampered one", async () => {
    const { config } = slotConfig(token);
    await using p11 = await Pkcs11ex.start(config);
    const signature = await p11.signBytes(message, { signer: "signing", alg: "PS256" });
    await p11.slot.verify("platform", "signing", message, signature, { alg: "PS256" });
    signature[5] ^= 1;
    await assert.rejects(
      p11.slot.verify("platform", "signing", message, signature, { alg: "PS256" }),
      reason("signature_invalid"),
    );
  });

  test("verify-only deployments start without slots and refuse to sign", async () => {
    await using p11 = await Pkcs11ex.start({ allowedAlgs: ["PS256"] });
    assert.deepEqual(p11.slot.list(), []);
    await assert.rejects(p11.signBytes(message), reason("no_signing_slot"));
  });
});

describe("Pkcs11ex slot lifecycle", () => {
  test("lazy slots open on first use; eager slots open at start", async () => {
    const lazy = slotConfig(token, { lazy: true });
    await using p11 = await Pkcs11ex.start(lazy.config);
    assert.equal(p11.slot.status("platform").state, "uninitialized");
    assert.equal(lazy.pinCalls(), 0);
    await p11.signBytes(message);
    assert.equal(p11.slot.status("platform").state, "logged_in");
    const eager = slotConfig(token, { lazy: false });
    await using p11b = await Pkcs11ex.start(eager.config);
    assert.equal(p11b.slot.status("platform").state, "open");
  });

  test("an eager slot that matches no token fails the start", async () => {
    const { config } = slotConfig(token, {
      lazy: false,
      slotMatch: { tokenLabel: "no-such-token" },
    });
    await assert.rejects(Pkcs11ex.start(config), reason("slot_not_found"));
  });

  test("a wrong PIN is pin_incorrect; an explicit one-shot login then works", async () => {
    const { config } = slotConfig(token, { pinCallback: () => "wrong-pin" });
    await using p11 = await Pkcs11ex.start(config);
    await assert.rejects(p11.signBytes(message), reason("pin_incorrect"));
    await p11.slot.login("platform", { pin: token.userPin });
    assert.ok(nodeVerifies(cert("rsa"), "PS256", message, await p11.signBytes(message)));
  });

  test("withPin scopes a PIN to one call tree instead of the callback", async () => {
    const { config, pinCalls } = slotConfig(token, { pinCallback: undefined, type: "soft_hsm" });
    await using p11 = await Pkcs11ex.start(config);
    await assert.rejects(p11.signBytes(message), reason("pin_required"));
    const sig = await withPin(token.userPin, () => p11.signBytes(message));
    assert.ok(nodeVerifies(cert("rsa"), "PS256", message, sig));
    assert.equal(pinCalls(), 0);
  });

  test("concurrent first calls log in once", async () => {
    const { config, pinCalls } = slotConfig(token, { sessionPoolSize: 2 });
    await using p11 = await Pkcs11ex.start(config);
    await Promise.all(Array.from({ length: 20 }, () => p11.signBytes(message, { signer: "ec" })));
    assert.equal(pinCalls(), 1);
  });

  test("inactivity logs out; reauthentication prompt calls the callback again", async () => {
    const { config, pinCalls } = slotConfig(token, {}, { sessionTimeout: 150 });
    await using p11 = await Pkcs11ex.start(config);
    await p11.signBytes(message, { signer: "ec" });
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(p11.slot.status("platform").state, "open");
    await p11.signBytes(message, { signer: "ec" });
    assert.equal(pinCalls(), 2);
  });

  test("reauthentication fail refuses until an explicit login", async () => {
    const { config, pinCalls } = slotConfig(token, { reauthentication: "fail" }, {
      sessionTimeout: 150,
    });
    await using p11 = await Pkcs11ex.start(config);
    await p11.signBytes(message, { signer: "ec" });
    await new Promise((r) => setTimeout(r, 400));
    await assert.rejects(
      p11.signBytes(message, { signer: "ec" }),
      reason("reauthentication_required"),
    );
    await p11.slot.login("platform");
    await p11.signBytes(message, { signer: "ec" });
    assert.equal(pinCalls(), 2);
  });

  test("close() settles every call in flight with slot_closed, a pending login included", async () => {
    const { config } = slotConfig(token, { pinCallback: () => new Promise(() => {}) });
    const p11 = await Pkcs11ex.start({ ...config, poolWaitTimeout: 60_000 });
    const calls = Array.from({ length: 5 }, () => p11.signBytes(message, { signer: "ec" }));
    const settling = Promise.allSettled(calls);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the login waits for a person
    await p11.close();
    const outcomes = await settling;
    for (const o of outcomes) {
      assert.ok(
        o.status === "rejected" && reason("slot_closed")(o.reason),
        String(o.status === "rejected" && o.reason),
      );
    }
    const started = slotConfig(token);
    const busy = await Pkcs11ex.start({ ...started.config, poolWaitTimeout: 60_000 });
    const many = Promise.allSettled(
      Array.from({ length: 40 }, () => busy.signBytes(message, { signer: "ec" })),
    );
    await busy.close();
    const settled = await many;
    for (const o of settled) {
      assert.ok(
        o.status === "fulfilled" || reason("slot_closed")(o.reason),
        String(o.status === "rejected" && o.reason),
      );
    }
  });

  test("a pinCallback that returns no PIN is pin_required", async () => {
    for (const value of [undefined, 1234, "", new String("x")]) {
      const { config } = slotConfig(token, { pinCallback: () => value as string });
      await using p11 = await Pkcs11ex.start(config);
      await assert.rejects(
        p11.signBytes(message, { signer: "ec" }),
        reason("pin_required"),
        String(value),
      );
    }
  });

  test("logout forces a new login through the callback", async () => {
    const { config, pinCalls } = slotConfig(token);
    await using p11 = await Pkcs11ex.start(config);
    await p11.signBytes(message, { signer: "ec" });
    await p11.slot.logout("platform");
    assert.equal(p11.slot.status("platform").state, "open");
    await p11.signBytes(message, { signer: "ec" });
    assert.equal(pinCalls(), 2);
  });

  test("list, listKeys, listTokenKeys and getConfig describe the slot without the PIN callback", async () => {
    const { config } = slotConfig(token);
    await using p11 = await Pkcs11ex.start(config);
    assert.deepEqual(p11.slot.list(), [{ ref: "platform", type: "soft_hsm", state: "open" }]);
    assert.deepEqual(p11.slot.listKeys("platform").map((k) => k.ref), ["signing", "ec", "ed"]);
    const onToken = await p11.slot.listTokenKeys("platform");
    assert.deepEqual(onToken.map((k) => k.label).sort(), ["ec", "ed", "rsa"]);
    assert.ok(onToken.every((k) => k.hasCertificate));
    assert.equal("pinCallback" in p11.slot.getConfig("platform"), false);
  });
});
