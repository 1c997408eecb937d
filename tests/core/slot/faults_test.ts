import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { Pkcs11ex, slotActors } from "../../../src/core/pkcs11ex.ts";
import { Pkcs11exError } from "../../../src/core/errors.ts";
import { Pkcs11Module } from "../../../src/ffi/module.ts";
import { type TelemetryEvent, watchTelemetry } from "../../../src/core/telemetry.ts";
import { makeSlotToken, nodeVerifies, slotConfig, SOFTHSM_DRIVER } from "./_fixture.ts";

const token = await makeSlotToken("faults");
const message = new TextEncoder().encode("fault tolerance\n");
const reason = (r: string) => (err: unknown) => err instanceof Pkcs11exError && err.reason === r;

describe("slot actor faults and load", () => {
  test("a pool of 2 serves 2,000 concurrent requests; none is lost and each verifies", async () => {
    const { config, pinCalls } = slotConfig(token, { sessionPoolSize: 2 });
    await using p11 = await Pkcs11ex.start(config);
    const data = Array.from({ length: 2000 }, (_, i) => new TextEncoder().encode(`request ${i}`));
    const signatures = await Promise.all(data.map((d) => p11.signBytes(d, { signer: "ec" })));
    assert.equal(signatures.length, 2000);
    signatures.forEach((sig, i) =>
      assert.ok(nodeVerifies(token.keys.ec.certificateDer, "ES256", data[i], sig), `#${i}`)
    );
    assert.equal(pinCalls(), 1);
    assert.equal(slotActors.get(p11)!.get("platform")!.workerCount, 2);
  });

  test("a token slot runs on exactly one worker and serializes concurrent calls", async () => {
    const { config } = slotConfig(token, { type: "token" });
    await using p11 = await Pkcs11ex.start(config);
    const data = Array.from({ length: 50 }, (_, i) => new TextEncoder().encode(`token ${i}`));
    const signatures = await Promise.all(data.map((d) => p11.signBytes(d, { signer: "ec" })));
    signatures.forEach((sig, i) =>
      assert.ok(nodeVerifies(token.keys.ec.certificateDer, "ES256", data[i], sig))
    );
    assert.equal(slotActors.get(p11)!.get("platform")!.workerCount, 1);
  });

  test("a worker that dies rejects its in-flight calls with worker_failed and is restarted", async () => {
    const { config } = slotConfig(token);
    await using p11 = await Pkcs11ex.start(config);
    await p11.signBytes(message, { signer: "ec" });
    const actor = slotActors.get(p11)!.get("platform")!;
    const inFlight = Array.from(
      { length: 60 },
      () => p11.signBytes(message, { signer: "signing", alg: "RS256" }),
    );
    await new Promise((r) => setTimeout(r, 20));
    actor.killWorker(1);
    const results = await Promise.allSettled(inFlight);
    for (const r of results) {
      if (r.status === "rejected") assert.ok(reason("worker_failed")(r.reason), String(r.reason));
    }
    assert.ok(results.some((r) => r.status === "rejected"), "the kill hit calls in flight");
    // The replacement worker serves the next calls.
    let signature: Uint8Array | undefined;
    for (let i = 0; i < 50 && signature === undefined; i++) {
      try {
        signature = await p11.signBytes(message, { signer: "ec" });
      } catch (err) {
        assert.ok(reason("worker_failed")(err));
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.ok(signature && nodeVerifies(token.keys.ec.certificateDer, "ES256", message, signature));
  });

  test("sessions closed from outside the actor are reopened and logged in again, once", async () => {
    const { config, pinCalls } = slotConfig(token, { sessionPoolSize: 2 });
    await using p11 = await Pkcs11ex.start(config);
    await Promise.all([
      p11.signBytes(message, { signer: "ec" }),
      p11.signBytes(message, { signer: "ec" }),
    ]);
    // Another user of the module in this process closes every session on the slot.
    const outside = await Pkcs11Module.load(SOFTHSM_DRIVER);
    outside.closeAllSessions(outside.findSlotByTokenLabel(token.label));
    const again = await Promise.all(
      Array.from({ length: 10 }, () => p11.signBytes(message, { signer: "ec" })),
    );
    again.forEach((sig) =>
      assert.ok(nodeVerifies(token.keys.ec.certificateDer, "ES256", message, sig))
    );
    assert.equal(pinCalls(), 2, "one new login through the callback");
  });

  test("a saturated pool rejects with session_pool_exhausted instead of queueing forever", async () => {
    const { config } = slotConfig(token, {}, { poolWaitTimeout: 1 });
    await using p11 = await Pkcs11ex.start(config);
    await p11.signBytes(message, { signer: "signing" });
    const burst = Array.from(
      { length: 400 },
      () => p11.signBytes(message, { signer: "signing", alg: "RS256" }),
    );
    const results = await Promise.allSettled(burst);
    const rejected = results.filter((r) => r.status === "rejected");
    assert.ok(rejected.length > 0, "some requests waited too long");
    for (const r of rejected) {
      assert.ok(reason("session_pool_exhausted")((r as PromiseRejectedResult).reason));
    }
  });

  test("telemetry covers the run and never carries a PIN, payload or signature", async () => {
    const events: TelemetryEvent[] = [];
    const stop = watchTelemetry((event) => events.push(structuredClone(event)));
    const payload = "payload-that-must-not-leak";
    let signatureHex = "";
    try {
      const { config } = slotConfig(token, {}, { sessionTimeout: 100 });
      await using p11 = await Pkcs11ex.start(config);
      const sig = await p11.signBytes(payload, { signer: "ec" });
      signatureHex = Buffer.from(sig).toString("hex");
      await new Promise((r) => setTimeout(r, 300));
      await p11.signBytes(payload, { signer: "ec" });
      await assert.rejects(p11.signBytes(payload, { signer: "ec", alg: "PS256" }));
    } finally {
      stop();
    }
    const kinds = new Set(events.map((e) => `${e.kind}:${e.phase}`));
    for (
      const k of [
        "driverLoad:event",
        "sessionOpen:event",
        "login:stop",
        "sign:stop",
        "sign:exception",
        "sessionTimeout:event",
        "sessionClose:event",
      ]
    ) {
      assert.ok(kinds.has(k), `saw ${k}`);
    }
    const stopEvent = events.find((e) => e.kind === "sign" && e.phase === "stop")!;
    assert.equal(stopEvent.context.metadata.slotRef, "platform");
    assert.equal(stopEvent.context.metadata.alg, "ES256");
    assert.equal(typeof stopEvent.context.measurements.duration, "number");
    assert.equal(stopEvent.context.measurements.byteCount, payload.length);
    const text = JSON.stringify(events, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    for (
      const secret of [
        token.userPin,
        payload,
        signatureHex,
        Buffer.from(token.userPin).toString("hex"),
      ]
    ) {
      assert.equal(text.includes(secret), false, "no secret in telemetry");
    }
  });

  test("close() leaves no worker or session behind: the process exits on its own", () => {
    const script = fileURLToPath(new URL("./_close_child.ts", import.meta.url));
    const isBun = (globalThis as { Bun?: unknown }).Bun !== undefined;
    const args = isBun ? [script] : ["run", "-A", "--no-check", script];
    const res = spawnSync(process.execPath, args, {
      env: { ...process.env, TOKEN_LABEL: token.label, TOKEN_PIN: token.userPin },
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(res.signal, null, `the child did not exit by itself: ${res.stderr}`);
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /signed and closed/);
  });
});
