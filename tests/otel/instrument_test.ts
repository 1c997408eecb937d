import { describe, test } from "node:test";
import process from "node:process";
import assert from "node:assert/strict";
import diagnosticsChannel from "node:diagnostics_channel";
import { context as otelContext, SpanStatusCode, trace } from "@opentelemetry/api";
import { Pkcs11exError } from "../../src/core/errors.ts";
import {
  CHANNEL_NAMES,
  createTelemetry,
  EVENT_KINDS,
  SPAN_KINDS,
} from "../../src/core/telemetry.ts";
import { instrument } from "../../src/otel/mod.ts";
import { AsyncContextManager, FakeTracer } from "./_fake_tracer.ts";

let prefixCounter = 0;
/** A fresh prefix per test: channels are process-wide. */
const freshPrefix = (): string => `otel_test_${++prefixCounter}`;

const tick = (ms = 2) => new Promise((r) => setTimeout(r, ms));

describe("OpenTelemetry bridge", () => {
  test("a sign span becomes pkcs11ex.sign with pkcs11ex.* attributes and its own timing", async () => {
    const tracer = new FakeTracer();
    const otel = instrument({ tracer });
    try {
      const telemetry = createTelemetry();
      const out = await telemetry.sign(
        { slotRef: "platform", keyRef: "signing", alg: "PS256", format: "jws", pin: "1234" },
        async (ctx) => {
          await tick(3);
          ctx.metadata.workerIndex = 1;
          ctx.metadata.encodingContext = "jose";
          ctx.measurements.queueTime = 0.25;
          ctx.measurements.byteCount = 77;
          return "sig";
        },
      );
      assert.equal(out, "sig");
      assert.equal(tracer.spans.length, 1);
      const [span] = tracer.spans;
      assert.equal(span.name, "pkcs11ex.sign");
      assert.equal(span.endCount, 1);
      assert.equal(span.parent, undefined);
      assert.equal(span.status.code, SpanStatusCode.UNSET);
      const { "pkcs11ex.duration": duration, ...rest } = span.attributes;
      assert.deepEqual(rest, {
        "pkcs11ex.slot_ref": "platform",
        "pkcs11ex.key_ref": "signing",
        "pkcs11ex.alg": "PS256",
        "pkcs11ex.format": "jws",
        "pkcs11ex.worker_index": 1,
        "pkcs11ex.encoding_context": "jose",
        "pkcs11ex.queue_time": 0.25,
        "pkcs11ex.byte_count": 77,
      });
      assert.ok(typeof duration === "number" && duration >= 2);
      const start = span.options.startTime as number;
      assert.ok(Math.abs(start - Date.now()) < 5_000);
      assert.equal(span.endTime, start + duration);
    } finally {
      otel.uninstall();
    }
  });

  test("every span channel maps to a span of the same name", async () => {
    const prefix = freshPrefix();
    const tracer = new FakeTracer();
    const otel = instrument({ prefix, tracer });
    try {
      const telemetry = createTelemetry(prefix);
      for (const kind of SPAN_KINDS) {
        await telemetry[kind]({ slotRef: kind }, () => Promise.resolve());
      }
      assert.deepEqual(
        tracer.spans.map((s) => [s.name, s.attributes[`${prefix}.slot_ref`], s.endCount]),
        SPAN_KINDS.map((k) => [`${prefix}.${k}`, k, 1]),
      );
    } finally {
      otel.uninstall();
    }
  });

  test("a failure sets status ERROR with the errorReason and still rethrows", async () => {
    const prefix = freshPrefix();
    const tracer = new FakeTracer();
    const otel = instrument({ prefix, tracer });
    try {
      const telemetry = createTelemetry(prefix);
      const err = new Pkcs11exError("unknown_signer", "No allowlist entry matches the signer");
      await assert.rejects(
        telemetry.verify({ format: "jws" }, () => Promise.reject(err)),
        (e) => e === err,
      );
      const [span] = tracer.spans;
      assert.deepEqual(span.status, { code: SpanStatusCode.ERROR, message: "unknown_signer" });
      assert.equal(span.attributes["error.type"], "unknown_signer");
      assert.equal(span.attributes[`${prefix}.error_reason`], "unknown_signer");
      assert.equal(span.attributes[`${prefix}.error_class`], "trust_policy");
      assert.equal(span.endCount, 1);
    } finally {
      otel.uninstall();
    }
  });

  test("spans nest, concurrent spans stay apart, events land on the span they happen in", async () => {
    const prefix = freshPrefix();
    const tracer = new FakeTracer();
    const otel = instrument({ prefix, tracer });
    try {
      const telemetry = createTelemetry(prefix);
      const one = (slotRef: string) =>
        telemetry.sign({ slotRef }, async () => {
          await tick();
          await telemetry.login({ slotRef }, async () => {
            await tick();
            telemetry.sessionOpen({ slotRef, workerIndex: 0 });
          });
        });
      await Promise.all([one("a"), one("b")]);
      telemetry.sessionTimeout({ slotRef: "a" });

      for (const ref of ["a", "b"]) {
        const sign = tracer.spans.find((s) =>
          s.name === `${prefix}.sign` && s.attributes[`${prefix}.slot_ref`] === ref
        )!;
        const login = tracer.spans.find((s) =>
          s.name === `${prefix}.login` && s.attributes[`${prefix}.slot_ref`] === ref
        )!;
        assert.equal(sign.parent, undefined);
        assert.equal(login.parent, sign, `login ${ref} is a child of sign ${ref}`);
        assert.deepEqual(login.events.map((e) => [e.name, e.attributes]), [[
          `${prefix}.session.open`,
          { [`${prefix}.slot_ref`]: ref, [`${prefix}.worker_index`]: 0 },
        ]]);
        assert.equal(sign.events.length, 0);
      }
      const [timeout] = tracer.named(`${prefix}.session.timeout`);
      assert.equal(timeout.parent, undefined);
      assert.equal(timeout.endCount, 1);
      assert.equal(timeout.endTime, timeout.options.startTime, "a zero-length span");
      assert.deepEqual(timeout.attributes, { [`${prefix}.slot_ref`]: "a" });
    } finally {
      otel.uninstall();
    }
  });

  test("the caller's active OpenTelemetry span is the parent of the outermost span", async () => {
    const prefix = freshPrefix();
    const tracer = new FakeTracer();
    otelContext.setGlobalContextManager(new AsyncContextManager());
    const otel = instrument({ prefix, tracer });
    try {
      const telemetry = createTelemetry(prefix);
      await tracer.startActiveSpan("request", async (request) => {
        await telemetry.verify({}, () => telemetry.digest({}, () => Promise.resolve()));
        request.end();
      });
      const [request] = tracer.named("request");
      const [verify] = tracer.named(`${prefix}.verify`);
      const [digest] = tracer.named(`${prefix}.digest`);
      assert.equal(verify.parent, request);
      assert.equal(digest.parent, verify);
    } finally {
      otel.uninstall();
      otelContext.disable();
    }
  });

  test("every plain event outside a span becomes a zero-length span", () => {
    const prefix = freshPrefix();
    const tracer = new FakeTracer();
    const otel = instrument({ prefix, tracer });
    try {
      const telemetry = createTelemetry(prefix);
      for (const kind of EVENT_KINDS) telemetry[kind]({ slotRef: "p" });
      assert.deepEqual(
        tracer.spans.map((s) => s.name),
        [
          `${prefix}.session.open`,
          `${prefix}.session.close`,
          `${prefix}.session.timeout`,
          `${prefix}.driver.load`,
        ],
      );
    } finally {
      otel.uninstall();
    }
  });

  test("no PIN, payload or signature reaches an attribute or event", async () => {
    const prefix = freshPrefix();
    const tracer = new FakeTracer();
    const otel = instrument({ prefix, tracer });
    try {
      const telemetry = createTelemetry(prefix);
      await telemetry.sign({ pin: "pin-4321", payload: "eyJwYXlsb2FkIn0" }, async (ctx) => {
        telemetry.sessionOpen({ password: "hunter2", slotRef: "s" });
        ctx.metadata.signature = new Uint8Array([0xde, 0xad]);
        ctx.metadata.sig = "c2lnbmF0dXJl";
        return await Promise.resolve(new Uint8Array([0xbe, 0xef]));
      });
      const dump = JSON.stringify(tracer.spans.map((s) => [s.attributes, s.events]));
      // Bytes would appear as a JSON array or as an indexed object; bare numbers would not do as
      // probes (durations and times are full of digits).
      const secrets = ["pin-4321", "eyJwYXlsb2FkIn0", "hunter2", "c2lnbmF0dXJl"];
      const bytes = ["222,173", '"0":222', "190,239", '"0":190'];
      for (const secret of [...secrets, ...bytes]) {
        assert.equal(dump.includes(secret), false, `${secret} leaked: ${dump}`);
      }
    } finally {
      otel.uninstall();
    }
  });

  test("uninstall stops recording, ends open spans, and can be called twice", async () => {
    const prefix = freshPrefix();
    const tracer = new FakeTracer();
    const otel = instrument({ prefix, tracer });
    const telemetry = createTelemetry(prefix);
    let release!: () => void;
    const pending = telemetry.sign({}, () => new Promise<void>((r) => (release = r)));
    await tick();
    otel.uninstall();
    otel.uninstall();
    assert.equal(tracer.spans[0].endCount, 1, "the open span was ended");
    release();
    await pending;
    assert.equal(tracer.spans[0].endCount, 1, "and not ended twice");
    await telemetry.sign({}, () => Promise.resolve());
    telemetry.driverLoad({});
    assert.equal(tracer.spans.length, 1);
    const tc = diagnosticsChannel.tracingChannel(CHANNEL_NAMES(prefix).sign);
    assert.equal(tc.start.hasSubscribers, false);
    assert.equal(tc.asyncEnd.hasSubscribers, false);
    assert.equal(diagnosticsChannel.hasSubscribers(CHANNEL_NAMES(prefix).driverLoad), false);
  });

  test("without a tracer, the global tracer provider is used", async () => {
    const prefix = freshPrefix();
    const tracer = new FakeTracer();
    trace.setGlobalTracerProvider({ getTracer: () => tracer });
    const otel = instrument({ prefix });
    try {
      await createTelemetry(prefix).sign({}, () => Promise.resolve());
      assert.deepEqual(tracer.spans.map((s) => s.name), [`${prefix}.sign`]);
    } finally {
      otel.uninstall();
      trace.disable();
    }
  });

  test("with no provider registered, recording is a no-op that breaks nothing", async () => {
    const prefix = freshPrefix();
    const otel = instrument({ prefix });
    try {
      assert.equal(await createTelemetry(prefix).login({}, () => Promise.resolve(3)), 3);
      createTelemetry(prefix).sessionClose({});
    } finally {
      otel.uninstall();
    }
  });

  test("a tracer that throws fails no operation and crashes nothing", async () => {
    // The runtimes turn a throwing subscriber into an uncaught exception: catch any here.
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on("uncaughtException", onUncaught);
    try {
      await runWithBrokenTracers();
      await tick(10);
    } finally {
      process.off("uncaughtException", onUncaught);
    }
    assert.deepEqual(uncaught, []);
  });

  test("a bad prefix is refused", () => {
    assert.throws(() => instrument({ prefix: "" }), TypeError);
  });
});

async function runWithBrokenTracers(): Promise<void> {
  const prefix = freshPrefix();
  const broken = new FakeTracer();
  broken.startSpan = () => {
    throw new Error("tracer bug");
  };
  const otel = instrument({ prefix, tracer: broken });
  try {
    const telemetry = createTelemetry(prefix);
    assert.equal(await telemetry.sign({}, () => Promise.resolve(5)), 5);
    telemetry.sessionOpen({});
  } finally {
    otel.uninstall();
  }
  const endsBadly = new FakeTracer();
  const otel2 = instrument({ prefix, tracer: endsBadly });
  try {
    const telemetry = createTelemetry(prefix);
    const original = endsBadly.startSpan.bind(endsBadly);
    endsBadly.startSpan = (...args) => {
      const span = original(...args);
      span.end = () => {
        throw new Error("exporter bug");
      };
      return span;
    };
    await telemetry.login({}, () => telemetry.digest({}, () => Promise.resolve()));
    telemetry.driverLoad({});
    assert.equal(endsBadly.spans.length, 3);
  } finally {
    otel2.uninstall();
  }
}
