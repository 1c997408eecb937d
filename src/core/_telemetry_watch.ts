/**
 * One listener for every pkcs11ex channel, in the spec's start / stop / exception terms.
 *
 * @module
 */

import diagnosticsChannel from "node:diagnostics_channel";
import {
  CHANNEL_NAMES,
  EVENT_KINDS,
  SPAN_KINDS,
  type SpanContext,
  type TelemetryEventKind,
  type TelemetrySpanKind,
} from "./_telemetry_channels.ts";

/** One telemetry event as {@linkcode watchTelemetry} delivers it. */
export type TelemetryEvent =
  | {
    /** The span kind. */
    kind: TelemetrySpanKind;
    /** `start` before the operation; `stop` or `exception` after it (api §4.2). */
    phase: "start" | "stop" | "exception";
    /** The span's context: at `stop`/`exception` with `duration` and the final metadata. */
    context: SpanContext;
  }
  | {
    /** The plain event kind. */
    kind: TelemetryEventKind;
    /** Always `event` for plain events. */
    phase: "event";
    /** The event's metadata and `systemTime`. */
    context: SpanContext;
  };

/**
 * Calls `listener` for every span phase and plain event under `prefix` until the returned
 * function is called. The listener runs synchronously inside the operation; what it throws
 * is swallowed so that telemetry never fails the operation.
 *
 * @param listener Receives each {@linkcode TelemetryEvent}.
 * @param prefix The telemetry prefix (default `pkcs11ex`).
 * @returns A function that unsubscribes.
 */
export function watchTelemetry(
  listener: (event: TelemetryEvent) => void,
  prefix = "pkcs11ex",
): () => void {
  if (typeof listener !== "function") throw new TypeError("The listener must be a function");
  const names = CHANNEL_NAMES(prefix);
  const emit = (event: TelemetryEvent): void => {
    try {
      listener(event);
    } catch {
      // Dropped on purpose: a faulty listener must not fail the operation it observes.
    }
  };
  const undo: (() => void)[] = [];
  for (const kind of SPAN_KINDS) {
    const tc = diagnosticsChannel.tracingChannel<SpanContext>(names[kind]);
    const onStart = (context: SpanContext): void => emit({ kind, phase: "start", context });
    const onEnd = (context: SpanContext): void =>
      emit({
        kind,
        // tracePromise puts the rejection on the context as `error`.
        phase: "error" in context ? "exception" : "stop",
        context,
      });
    tc.start.subscribe(onStart as (message: unknown) => void);
    tc.asyncEnd.subscribe(onEnd as (message: unknown) => void);
    undo.push(() => {
      tc.start.unsubscribe(onStart as (message: unknown) => void);
      tc.asyncEnd.unsubscribe(onEnd as (message: unknown) => void);
    });
  }
  for (const kind of EVENT_KINDS) {
    const onEvent = (message: unknown): void =>
      emit({ kind, phase: "event", context: message as SpanContext });
    diagnosticsChannel.subscribe(names[kind], onEvent);
    undo.push(() => diagnosticsChannel.unsubscribe(names[kind], onEvent));
  }
  return () => {
    for (const u of undo.splice(0)) u();
  };
}
