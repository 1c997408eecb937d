/**
 * An optional bridge from pkcs11ex telemetry (`node:diagnostics_channel`) to OpenTelemetry.
 *
 * Each `sign`, `verify`, `digest` and `login` span becomes an OpenTelemetry span named
 * `pkcs11ex.sign` … with the metadata and measurements as `pkcs11ex.*` attributes
 * (`pkcs11ex.slot_ref`, `pkcs11ex.alg`, `pkcs11ex.queue_time`, `pkcs11ex.byte_count`; times in
 * ms), and status `ERROR` with the `errorReason` as message (and `error.type`) on failure.
 * Spans nest: a login inside a sign is the sign's child; the caller's active OpenTelemetry
 * context (when a context manager is registered) is the parent of the outermost one.
 * The plain events (`session:open`, `session:close`, `session:timeout`, `driver:load`) become
 * events (`pkcs11ex.session.open` …) on the pkcs11ex span they happen in, or zero-length spans
 * of that name outside any.
 *
 * Needs `@opentelemetry/api` (an optional peer dependency) and a registered tracer provider,
 * or a `tracer` passed in. Only this subpath imports it.
 *
 * @example
 * ```ts
 * import { instrument } from "@pkcs11ex/pkcs11ex/otel";
 *
 * const otel = instrument(); // uses trace.getTracer("pkcs11ex")
 * // … use pkcs11ex …
 * otel.uninstall();
 * ```
 *
 * @module
 */

import diagnosticsChannel from "node:diagnostics_channel";
import { AsyncLocalStorage } from "node:async_hooks";
import {
  type Context,
  context as otelContext,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from "@opentelemetry/api";
import { CHANNEL_NAMES, EVENT_KINDS, SPAN_KINDS, type SpanContext } from "../core/telemetry.ts";
import { toAttributes } from "./_attributes.ts";

/** Options of {@linkcode instrument}. */
export interface InstrumentOptions {
  /** The telemetry prefix the pkcs11ex instance was configured with (default `pkcs11ex`). */
  prefix?: string;
  /** The tracer to record with (default `trace.getTracer("pkcs11ex")`). */
  tracer?: Tracer;
}

/** A running bridge; {@linkcode Instrumentation.uninstall} stops it. */
export interface Instrumentation {
  /** Unsubscribes from every channel and ends the spans still open. Safe to call twice. */
  uninstall(): void;
}

/**
 * `handler`, made unable to throw: the runtimes report a subscriber's exception as an uncaught
 * exception, and a faulty tracer must not bring down the service it observes.
 */
function quietly<A extends unknown[]>(handler: (...args: A) => void): (...args: A) => void {
  return (...args) => {
    try {
      handler(...args);
    } catch {
      // Dropped on purpose: telemetry never fails the operation it records.
    }
  };
}

/** `pkcs11ex:session:open` → `pkcs11ex.session.open`. */
const dotted = (channelName: string): string => channelName.replaceAll(":", ".");

/**
 * Subscribes to the pkcs11ex channels of `prefix` and records them as OpenTelemetry spans.
 *
 * @param options `prefix` and `tracer`.
 * @returns A handle whose `uninstall()` stops the bridge.
 */
export function instrument(options: InstrumentOptions = {}): Instrumentation {
  const prefix = options.prefix ?? "pkcs11ex";
  if (typeof prefix !== "string" || prefix === "") {
    throw new TypeError("The telemetry prefix must be a non-empty string");
  }
  const tracer = options.tracer ?? trace.getTracer("pkcs11ex");
  const names = CHANNEL_NAMES(prefix);
  const namespace = dotted(prefix);
  const store = new AsyncLocalStorage<Context>();
  const open = new Map<SpanContext, Span>();
  const teardown: (() => void)[] = [];

  for (const kind of SPAN_KINDS) {
    const tc = diagnosticsChannel.tracingChannel<SpanContext, Context>(names[kind]);
    const spanName = dotted(names[kind]);
    // The store transform runs as the span starts, before fn, with the parent still active.
    const onStart = (ctx: SpanContext): Context => {
      const parent = store.getStore() ?? otelContext.active();
      try {
        const span = tracer.startSpan(spanName, {
          kind: SpanKind.INTERNAL,
          startTime: ctx.measurements.systemTime,
          attributes: toAttributes(ctx, namespace),
        }, parent);
        open.set(ctx, span);
        return trace.setSpan(parent, span);
      } catch {
        return parent;
      }
    };
    const onEnd = quietly((message: unknown): void => {
      const ctx = message as SpanContext;
      const span = open.get(ctx);
      if (span === undefined) return;
      open.delete(ctx);
      span.setAttributes(toAttributes(ctx, namespace));
      const reason = ctx.metadata.errorReason;
      if (reason !== undefined) {
        span.setAttribute("error.type", String(reason));
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(reason) });
      }
      const { systemTime, duration } = ctx.measurements;
      span.end(
        systemTime !== undefined && duration !== undefined ? systemTime + duration : undefined,
      );
    });
    tc.start.bindStore(store, onStart);
    tc.asyncEnd.subscribe(onEnd);
    teardown.push(() => {
      tc.start.unbindStore(store);
      tc.asyncEnd.unsubscribe(onEnd);
    });
  }

  for (const kind of EVENT_KINDS) {
    const eventName = dotted(names[kind]);
    const onEvent = quietly((message: unknown): void => {
      const ctx = message as SpanContext;
      const attributes = toAttributes(ctx, namespace);
      const time = ctx.measurements.systemTime;
      const current = store.getStore();
      const span = current === undefined ? undefined : trace.getSpan(current);
      if (span !== undefined) {
        span.addEvent(eventName, attributes, time);
        return;
      }
      tracer.startSpan(eventName, { kind: SpanKind.INTERNAL, startTime: time, attributes })
        .end(time);
    });
    diagnosticsChannel.subscribe(names[kind], onEvent);
    teardown.push(() => diagnosticsChannel.unsubscribe(names[kind], onEvent));
  }

  return {
    uninstall(): void {
      for (const undo of teardown.splice(0)) undo();
      for (const span of open.values()) quietly(() => span.end())();
      open.clear();
    },
  };
}
