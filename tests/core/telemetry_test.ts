import { describe, test } from "node:test";
import assert from "node:assert/strict";
import diagnosticsChannel from "node:diagnostics_channel";
import { Pkcs11exError } from "../../src/core/errors.ts";
import {
  CHANNEL_NAMES,
  createTelemetry,
  EVENT_KINDS,
  isSecretKey,
  sanitizeMetadata,
  SPAN_KINDS,
  type SpanContext,
  type TelemetryEvent,
  watchTelemetry,
} from "../../src/core/telemetry.ts";

type Seen = {
  event: string;
  metadata: Record<string, unknown>;
  measurements: SpanContext["measurements"];
  error?: unknown;
};

let prefixCounter = 0;
/** A fresh prefix per test: channels are process-wide. */
const freshPrefix = (): string => `telemetry_test_${++prefixCounter}`;

/** Subscribes to every event of one tracing channel; returns the log and an unsubscribe. */
function recordSpan(name: string): { seen: Seen[]; stop: () => void } {
  const seen: Seen[] = [];
  const tc = diagnosticsChannel.tracingChannel<SpanContext>(name);
  const snap = (event: string) => (ctx: SpanContext & { error?: unknown }) =>
    seen.push({
      event,
      metadata: { ...ctx.metadata },
      measurements: { ...ctx.measurements },
      error: ctx.error,
    });
  const handlers = {
    start: snap("start"),
    end: snap("end"),
    asyncStart: snap("asyncStart"),
    asyncEnd: snap("asyncEnd"),
    error: snap("error"),
  };
  tc.subscribe(handlers);
  return { seen, stop: () => tc.unsubscribe(handlers) };
}

function recordEvent(name: string): { seen: SpanContext[]; stop: () => void } {
  const seen: SpanContext[] = [];
  const onMessage = (m: unknown) => seen.push(m as SpanContext);
  diagnosticsChannel.subscribe(name, onMessage);
  return { seen, stop: () => diagnosticsChannel.unsubscribe(name, onMessage) };
}

describe("telemetry spans", () => {
  test("channel names follow the prefix", () => {
    assert.deepEqual(CHANNEL_NAMES("pkcs11ex"), {
      sign: "pkcs11ex:sign",
      verify: "pkcs11ex:verify",
      digest: "pkcs11ex:digest",
      login: "pkcs11ex:login",
      sessionOpen: "pkcs11ex:session:open",
      sessionClose: "pkcs11ex:session:close",
      sessionTimeout: "pkcs11ex:session:timeout",
      driverLoad: "pkcs11ex:driver:load",
    });
    assert.equal(createTelemetry().prefix, "pkcs11ex");
  });

  test("every span channel fires start/end/asyncStart/asyncEnd with metadata and measurements", async () => {
    const prefix = freshPrefix();
    const telemetry = createTelemetry(prefix);
    for (const kind of SPAN_KINDS) {
      const rec = recordSpan(CHANNEL_NAMES(prefix)[kind]);
      try {
        const before = Date.now();
        const signature = new Uint8Array([1, 2, 3]);
        const out = await telemetry[kind](
          { slotRef: "platform", keyRef: "signing", alg: "PS256", format: "raw" },
          async (ctx) => {
            await new Promise((r) => setTimeout(r, 5));
            ctx.measurements.byteCount = 1234;
            ctx.measurements.queueTime = 0.5;
            ctx.metadata.workerIndex = 1;
            ctx.metadata.subjectId = "acme";
            return signature;
          },
        );
        assert.equal(out, signature, `${kind}: the result is returned unchanged`);
        assert.deepEqual(rec.seen.map((s) => s.event), ["start", "end", "asyncStart", "asyncEnd"]);
        const [start, , , stop] = rec.seen;
        assert.deepEqual(start.metadata, {
          slotRef: "platform",
          keyRef: "signing",
          alg: "PS256",
          format: "raw",
        });
        assert.ok(start.measurements.systemTime! >= before);
        assert.equal(start.measurements.duration, undefined);
        assert.deepEqual(stop.metadata, {
          slotRef: "platform",
          keyRef: "signing",
          alg: "PS256",
          format: "raw",
          workerIndex: 1,
          subjectId: "acme",
        });
        assert.equal(stop.measurements.byteCount, 1234);
        assert.equal(stop.measurements.queueTime, 0.5);
        assert.ok(
          stop.measurements.duration! >= 4,
          `${kind}: duration ${stop.measurements.duration}`,
        );
        assert.ok(!Number.isInteger(stop.measurements.duration), "duration is high-resolution");
      } finally {
        rec.stop();
      }
    }
  });

  test("subscribers never see the operation's result", async () => {
    const prefix = freshPrefix();
    const telemetry = createTelemetry(prefix);
    const results: unknown[] = [];
    const tc = diagnosticsChannel.tracingChannel<SpanContext & { result?: unknown }>(
      CHANNEL_NAMES(prefix).sign,
    );
    const handlers = {
      asyncEnd: (ctx: SpanContext & { result?: unknown }) => results.push(ctx.result),
    };
    tc.subscribe(handlers);
    try {
      const out = await telemetry.sign({}, () => Promise.resolve(new Uint8Array([9, 9])));
      assert.deepEqual(out, new Uint8Array([9, 9]));
      assert.deepEqual(results, [undefined]);
    } finally {
      tc.unsubscribe(handlers);
    }
  });

  test("a Pkcs11exError gets errorReason and errorClass and is rethrown unchanged", async () => {
    const prefix = freshPrefix();
    const telemetry = createTelemetry(prefix);
    const rec = recordSpan(CHANNEL_NAMES(prefix).login);
    try {
      const err = new Pkcs11exError("pin_incorrect", "Cannot log in: the PIN is incorrect");
      await assert.rejects(
        telemetry.login({ slotRef: "legal_proxy" }, () => Promise.reject(err)),
        (e) => e === err,
      );
      assert.deepEqual(rec.seen.map((s) => s.event), [
        "start",
        "end",
        "error",
        "asyncStart",
        "asyncEnd",
      ]);
      const failed = rec.seen[2];
      assert.equal(failed.error, err);
      assert.deepEqual(failed.metadata, {
        slotRef: "legal_proxy",
        errorReason: "pin_incorrect",
        errorClass: "pin",
      });
      assert.ok(typeof failed.measurements.duration === "number");
    } finally {
      rec.stop();
    }
  });

  test("errorClass follows the spec's table, and the format for reasons shared by PDF and XML", async () => {
    const prefix = freshPrefix();
    const telemetry = createTelemetry(prefix);
    const rec = recordSpan(CHANNEL_NAMES(prefix).verify);
    const cases: [string, string | undefined, string][] = [
      ["slot_not_found", undefined, "slot/session"],
      ["key_not_found", undefined, "key/cert"],
      ["no_signing_slot", undefined, "config"],
      ["malformed_pdf", "pdf", "pdf"],
      ["digest_mismatch", "xml", "xml"],
      ["malformed_jws", "jws", "jws"],
      ["cms_codec", "pdf", "cms"],
      ["unknown_signer", "jws", "trust_policy"],
      ["signature_invalid", "raw", "crypto"],
      ["p12_invalid", undefined, "pkcs12"],
      ["invalid_config", undefined, "config"],
      ["bt_failed", "pdf", "pdf"],
      ["bt_failed", "xml", "xml"],
      ["multiple_signatures_unsupported_in_v1", "xml", "xml"],
    ];
    try {
      for (const [reason, format, errorClass] of cases) {
        rec.seen.length = 0;
        const err = new Pkcs11exError(reason as "slot_not_found", "x");
        await assert.rejects(telemetry.verify({ format }, () => Promise.reject(err)));
        const failed = rec.seen.find((s) => s.event === "error")!;
        assert.equal(failed.metadata.errorReason, reason);
        assert.equal(failed.metadata.errorClass, errorClass, `${reason} in ${format}`);
      }
    } finally {
      rec.stop();
    }
  });

  test("any other exception is reason and class 'exception', rethrown unchanged", async () => {
    const prefix = freshPrefix();
    const telemetry = createTelemetry(prefix);
    const rec = recordSpan(CHANNEL_NAMES(prefix).digest);
    try {
      const err = new TypeError("data must be bytes");
      await assert.rejects(telemetry.digest({}, () => Promise.reject(err)), (e) => e === err);
      const failed = rec.seen.find((s) => s.event === "error")!;
      assert.equal(failed.metadata.errorReason, "exception");
      assert.equal(failed.metadata.errorClass, "exception");
      // A synchronous throw inside fn is also caught, tagged and rethrown.
      await assert.rejects(
        telemetry.digest({}, () => {
          throw err;
        }),
        (e) => e === err,
      );
    } finally {
      rec.stop();
    }
  });

  test("spans nest: an inner span runs while the outer one is open", async () => {
    const prefix = freshPrefix();
    const telemetry = createTelemetry(prefix);
    const outer = recordSpan(CHANNEL_NAMES(prefix).sign);
    const inner = recordSpan(CHANNEL_NAMES(prefix).login);
    try {
      const v = await telemetry.sign(
        { slotRef: "a" },
        () => telemetry.login({ slotRef: "a" }, () => Promise.resolve(7)),
      );
      assert.equal(v, 7);
      assert.equal(outer.seen.length, 4);
      assert.equal(inner.seen.length, 4);
    } finally {
      outer.stop();
      inner.stop();
    }
  });
});

describe("telemetry plain events", () => {
  test("every plain channel fires with sanitized metadata and systemTime", () => {
    const prefix = freshPrefix();
    const telemetry = createTelemetry(prefix);
    for (const kind of EVENT_KINDS) {
      const rec = recordEvent(CHANNEL_NAMES(prefix)[kind]);
      try {
        telemetry[kind]({ slotRef: "platform", workerIndex: 0, pin: "1234" });
        assert.equal(rec.seen.length, 1, kind);
        assert.deepEqual(rec.seen[0].metadata, { slotRef: "platform", workerIndex: 0 });
        assert.ok(typeof rec.seen[0].measurements.systemTime === "number");
      } finally {
        rec.stop();
      }
    }
  });
});

describe("watchTelemetry", () => {
  test("delivers start/stop/exception for every span and event for every plain event", async () => {
    const prefix = freshPrefix();
    const telemetry = createTelemetry(prefix);
    const seen: [string, string, Record<string, unknown>][] = [];
    const stop = watchTelemetry(
      (e: TelemetryEvent) => seen.push([e.kind, e.phase, { ...e.context.metadata }]),
      prefix,
    );
    try {
      for (const kind of SPAN_KINDS) {
        await telemetry[kind]({ slotRef: "s" }, () => Promise.resolve());
        await assert.rejects(
          telemetry[kind]({ slotRef: "s" }, () => Promise.reject(new Error("x"))),
        );
      }
      for (const kind of EVENT_KINDS) telemetry[kind]({ slotRef: "s" });
      const failed = { slotRef: "s", errorReason: "exception", errorClass: "exception" };
      assert.deepEqual(seen, [
        ...SPAN_KINDS.flatMap((k) => [
          [k, "start", { slotRef: "s" }],
          [k, "stop", { slotRef: "s" }],
          [k, "start", { slotRef: "s" }],
          [k, "exception", failed],
        ]),
        ...EVENT_KINDS.map((k) => [k, "event", { slotRef: "s" }]),
      ]);
    } finally {
      stop();
    }
    await telemetry.sign({}, () => Promise.resolve());
    telemetry.driverLoad({});
    assert.equal(seen.length, SPAN_KINDS.length * 4 + EVENT_KINDS.length, "nothing after stop");
    stop();
  });

  test("a listener that throws fails no operation", async () => {
    const prefix = freshPrefix();
    const telemetry = createTelemetry(prefix);
    const stop = watchTelemetry(() => {
      throw new Error("listener bug");
    }, prefix);
    try {
      assert.equal(await telemetry.verify({}, () => Promise.resolve(1)), 1);
      telemetry.sessionOpen({});
    } finally {
      stop();
    }
    assert.throws(() => watchTelemetry(42 as unknown as () => void), TypeError);
  });
});

describe("telemetry with nobody subscribed", () => {
  test("spans run, return and rethrow; events are no-ops", async () => {
    const telemetry = createTelemetry(freshPrefix());
    for (const kind of SPAN_KINDS) {
      assert.equal(await telemetry[kind]({ slotRef: "x" }, () => Promise.resolve(kind)), kind);
      const err = new Pkcs11exError("slot_closed", "closed");
      await assert.rejects(telemetry[kind]({}, () => Promise.reject(err)), (e) => e === err);
      let seenCtx: SpanContext | undefined;
      await telemetry[kind]({ a: 1 }, (ctx) => {
        seenCtx = ctx;
        ctx.measurements.byteCount = 1;
        return Promise.resolve();
      });
      assert.deepEqual(seenCtx!.metadata, { a: 1 });
    }
    for (const kind of EVENT_KINDS) telemetry[kind]({ slotRef: "x" });
  });

  test("after unsubscribing, nothing more is recorded", async () => {
    const prefix = freshPrefix();
    const telemetry = createTelemetry(prefix);
    const rec = recordSpan(CHANNEL_NAMES(prefix).sign);
    await telemetry.sign({}, () => Promise.resolve());
    rec.stop();
    await telemetry.sign({}, () => Promise.resolve());
    assert.equal(rec.seen.length, 4);
  });

  test("the prefix is checked", () => {
    assert.throws(() => createTelemetry(42 as unknown as string), TypeError);
    assert.throws(() => createTelemetry(""), RangeError);
    assert.throws(() => createTelemetry("a b"), RangeError);
  });
});

describe("metadata sanitizer", () => {
  test("drops bytes, functions, class instances and secret-named keys", () => {
    class FakeKey {
      type = "private";
    }
    const input: Record<string, unknown> = {
      slotRef: "platform",
      keyRef: "signing",
      alg: "PS256",
      format: "jws",
      encodingContext: "jose",
      workerIndex: 2,
      subjectId: "acme",
      signerSubjectId: "beta",
      spinCount: 3,
      ok: true,
      nothing: null,
      big: 10n,
      pin: "1234",
      PIN: "1234",
      userPin: "1234",
      so_pin: "1234",
      "user-pin": "1234",
      userPIN: "1234",
      password: "hunter2",
      p12Password: "hunter2",
      passphrase: "x",
      clientSecret: "x",
      payload: "eyJ",
      rawPayload: "eyJ",
      signature: "abc",
      signatureB64: "abc",
      sig: "abc",
      body: "{}",
      privateKey: "x",
      private_key_pem: "x",
      bytes: new Uint8Array([1]),
      buffer: new ArrayBuffer(2),
      view: new DataView(new ArrayBuffer(2)),
      floats: new Float64Array(1),
      callback: () => "1234",
      key: new FakeKey(),
      when: new Date(0),
      symbol: Symbol("s"),
      nan: Number.NaN,
      huge: "x".repeat(513),
      nested: { fine: "yes", pin: "1234", deeper: { signature: new Uint8Array(1), n: 1 } },
      list: ["a", new Uint8Array(1), { password: "p", b: 2 }],
    };
    assert.deepEqual(sanitizeMetadata(input), {
      slotRef: "platform",
      keyRef: "signing",
      alg: "PS256",
      format: "jws",
      encodingContext: "jose",
      workerIndex: 2,
      subjectId: "acme",
      signerSubjectId: "beta",
      spinCount: 3,
      ok: true,
      nothing: null,
      big: 10n,
      nested: { fine: "yes", deeper: { n: 1 } },
      list: ["a", { b: 2 }],
    });
  });

  test("stops at a bounded depth and survives cycles", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const out = sanitizeMetadata({ cyclic });
    assert.equal(JSON.stringify(out).length < 200, true);
  });

  test("names like a secret", () => {
    for (
      const k of ["pin", "soPin", "SO_PIN", "pinCallback", "newPassword", "sig", "tbsSignature"]
    ) {
      assert.equal(isSecretKey(k), true, k);
    }
    for (const k of ["pinned", "spin", "slotRef", "signerSubjectId", "alg", "keyRef", "design"]) {
      assert.equal(isSecretKey(k), false, k);
    }
  });

  test("secrets a span's fn adds to the metadata never reach a subscriber", async () => {
    const prefix = freshPrefix();
    const telemetry = createTelemetry(prefix);
    const rec = recordSpan(CHANNEL_NAMES(prefix).sign);
    try {
      const err = new Pkcs11exError("pin_incorrect", "Cannot log in: the PIN is incorrect");
      await assert.rejects(telemetry.sign({ pin: "pin-1234", slotRef: "p" }, (ctx) => {
        ctx.metadata.signature = new Uint8Array([1, 2]);
        ctx.metadata.payload = "secret-payload";
        return Promise.reject(err);
      }));
      await telemetry.sign({ password: "hunter2" }, (ctx) => {
        ctx.metadata.privateKey = "-----BEGIN";
        ctx.metadata.alg = "ES256";
        return Promise.resolve();
      });
      const dump = JSON.stringify(rec.seen.map((s) => s.metadata));
      for (const secret of ["pin-1234", "secret-payload", "hunter2", "BEGIN", "signature"]) {
        assert.equal(dump.includes(secret), false, `${secret} leaked: ${dump}`);
      }
      assert.ok(dump.includes("ES256"));
    } finally {
      rec.stop();
    }
  });
});
