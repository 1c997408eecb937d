/**
 * Telemetry through `node:diagnostics_channel` (api §4.2), on Deno, Bun and Node.
 *
 * Spans (`sign`, `verify`, `digest`, `login`) are tracing channels run with `tracePromise`:
 * subscribe with `diagnostics_channel.tracingChannel(CHANNEL_NAMES(prefix).sign)`. Every event
 * of one span carries the same {@linkcode SpanContext}; `measurements.duration` is set before
 * `asyncStart`/`asyncEnd`/`error` fire, and on failure `metadata.errorReason` and
 * `metadata.errorClass` too (the error itself is on the context's `error` property, as
 * `tracePromise` puts it). The operation's result is never exposed to subscribers.
 * Plain events (`session:open`, `session:close`, `session:timeout`, `driver:load`) are
 * ordinary channels whose message has the same shape.
 *
 * Metadata never carries PINs, payloads, signatures or key material: it passes through a
 * sanitizer that keeps plain data only and drops keys named like secrets.
 *
 * {@linkcode watchTelemetry} listens to all of them at once, in the spec's start / stop /
 * exception terms.
 *
 * @example Log every operation's duration
 * ```ts
 * import { createTelemetry, watchTelemetry } from "./telemetry.ts";
 *
 * const stop = watchTelemetry((event) => {
 *   if (event.phase === "stop") console.log(event.kind, event.context.measurements.duration);
 * });
 * const telemetry = createTelemetry();
 * await telemetry.sign({ slotRef: "platform", alg: "PS256" }, async (ctx) => {
 *   ctx.measurements.byteCount = 42;
 * });
 * stop();
 * ```
 *
 * @module
 */

import diagnosticsChannel from "node:diagnostics_channel";
import type { Channel, TracingChannel } from "node:diagnostics_channel";
import { describeError } from "./_telemetry_error_class.ts";
import { sanitizeMetadata } from "./_telemetry_sanitize.ts";
import { CHANNEL_NAMES, type SpanContext } from "./_telemetry_channels.ts";

export type { ErrorClass } from "./_telemetry_error_class.ts";
export { isSecretKey, sanitizeMetadata } from "./_telemetry_sanitize.ts";
export {
  CHANNEL_NAMES,
  type ChannelNames,
  EVENT_KINDS,
  SPAN_KINDS,
  type SpanContext,
  type TelemetryEventKind,
  type TelemetrySpanKind,
} from "./_telemetry_channels.ts";
export { type TelemetryEvent, watchTelemetry } from "./_telemetry_watch.ts";

/** Runs one operation inside a span; `fn` may fill `ctx.metadata` and `ctx.measurements`. */
export type SpanRunner = <T>(
  metadata: Record<string, unknown>,
  fn: (ctx: SpanContext) => Promise<T>,
) => Promise<T>;

/** Publishes one plain event with the given metadata. */
export type EventPublisher = (metadata: Record<string, unknown>) => void;

/** The telemetry of one pkcs11ex instance (made by {@linkcode createTelemetry}). */
export interface Telemetry {
  /** The channel-name prefix, `pkcs11ex` unless configured. */
  readonly prefix: string;
  /** Runs `fn` inside the `${prefix}:sign` tracing channel. */
  readonly sign: SpanRunner;
  /** Runs `fn` inside the `${prefix}:verify` tracing channel. */
  readonly verify: SpanRunner;
  /** Runs `fn` inside the `${prefix}:digest` tracing channel (callers use it above 1 MiB). */
  readonly digest: SpanRunner;
  /** Runs `fn` inside the `${prefix}:login` tracing channel. */
  readonly login: SpanRunner;
  /** Publishes on `${prefix}:session:open`. */
  readonly sessionOpen: EventPublisher;
  /** Publishes on `${prefix}:session:close`. */
  readonly sessionClose: EventPublisher;
  /** Publishes on `${prefix}:session:timeout`. */
  readonly sessionTimeout: EventPublisher;
  /** Publishes on `${prefix}:driver:load`. */
  readonly driverLoad: EventPublisher;
}

/**
 * Makes the telemetry for channels under `prefix` (default `pkcs11ex`). Costs a few
 * `hasSubscribers` checks per call when nobody listens.
 *
 * @param prefix The channel-name prefix (`telemetryPrefix` in the configuration).
 * @throws {TypeError} when `prefix` is not a string.
 * @throws {RangeError} when `prefix` is empty or has whitespace.
 */
export function createTelemetry(prefix = "pkcs11ex"): Telemetry {
  if (typeof prefix !== "string") throw new TypeError("The telemetry prefix must be a string");
  if (prefix === "" || /\s/.test(prefix)) {
    throw new RangeError("The telemetry prefix must be non-empty and have no whitespace");
  }
  const names = CHANNEL_NAMES(prefix);
  return {
    prefix,
    sign: spanRunner(names.sign),
    verify: spanRunner(names.verify),
    digest: spanRunner(names.digest),
    login: spanRunner(names.login),
    sessionOpen: eventPublisher(names.sessionOpen),
    sessionClose: eventPublisher(names.sessionClose),
    sessionTimeout: eventPublisher(names.sessionTimeout),
    driverLoad: eventPublisher(names.driverLoad),
  };
}

/** Whether any event channel of `tc` has a subscriber (`tc.hasSubscribers` is undefined on Bun). */
function isObserved(tc: TracingChannel<SpanContext>): boolean {
  return tc.start.hasSubscribers || tc.end.hasSubscribers || tc.asyncStart.hasSubscribers ||
    tc.asyncEnd.hasSubscribers || tc.error.hasSubscribers;
}

function spanRunner(name: string): SpanRunner {
  const tc = diagnosticsChannel.tracingChannel<SpanContext>(name);
  return function runSpan<T>(
    metadata: Record<string, unknown>,
    fn: (ctx: SpanContext) => Promise<T>,
  ): Promise<T> {
    // fn fills its own context; subscribers see a sanitized copy, updated when fn settles.
    const work: SpanContext = { metadata: { ...metadata }, measurements: {} };
    if (!isObserved(tc)) {
      // Unobserved, fn's own promise is the result: no extra async frame on a hot path.
      try {
        return fn(work);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return observedSpan(tc, metadata, work, fn);
  };
}

/** Runs `fn` inside `tc`'s tracePromise, publishing a sanitized copy of its context. */
async function observedSpan<T>(
  tc: TracingChannel<SpanContext>,
  metadata: Record<string, unknown>,
  work: SpanContext,
  fn: (ctx: SpanContext) => Promise<T>,
): Promise<T> {
  const systemTime = Date.now();
  const published: SpanContext = {
    metadata: sanitizeMetadata(metadata),
    measurements: { systemTime },
  };
  let result: T;
  // The traced function resolves to nothing: tracePromise stores the resolved value on the
  // context that subscribers see, and a result may be a signature or a payload.
  await tc.tracePromise(async () => {
    const t0 = performance.now();
    let failure: ReturnType<typeof describeError> | undefined;
    try {
      result = await fn(work);
    } catch (err) {
      failure = describeError(err, work.metadata.format);
      throw err;
    } finally {
      published.metadata = { ...sanitizeMetadata(work.metadata), ...failure };
      published.measurements = {
        ...numbersOnly(work.measurements),
        systemTime,
        duration: performance.now() - t0,
      };
    }
  }, published);
  return result!;
}

/** The finite-number measurements of `m`, nothing else. */
function numbersOnly(m: SpanContext["measurements"]): SpanContext["measurements"] {
  const out: Record<string, number> = {};
  for (const k in m) {
    const v = m[k as keyof typeof m];
    if (Number.isFinite(v)) out[k] = v!;
  }
  return out;
}

function eventPublisher(name: string): EventPublisher {
  const channel: Channel = diagnosticsChannel.channel(name);
  return function publish(metadata: Record<string, unknown>): void {
    if (!channel.hasSubscribers) return;
    const message: SpanContext = {
      metadata: sanitizeMetadata(metadata),
      measurements: { systemTime: Date.now() },
    };
    channel.publish(message);
  };
}
