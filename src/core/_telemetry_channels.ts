/**
 * The channel names and the message shape of pkcs11ex telemetry.
 *
 * @module
 */

/** The object every event of one span (or one plain event) carries. */
export interface SpanContext {
  /**
   * `slotRef`, `keyRef`, `alg`, `format` (`"jws"|"pdf"|"xml"|"raw"`), `encodingContext`,
   * `workerIndex`, `subjectId` (verify), `signerSubjectId` (chainSign), and on failure
   * `errorClass` and `errorReason`. Sanitized: never a PIN, payload, signature or key.
   */
  metadata: Record<string, unknown>;
  /**
   * `systemTime` (ms since the epoch, at start), `duration` (ms, high resolution),
   * `queueTime` (ms waiting for a session), `byteCount` (bytes signed or hashed).
   */
  measurements: { systemTime?: number; duration?: number; queueTime?: number; byteCount?: number };
}

/** The channel names of one prefix: tracing channel names for spans, plain names for events. */
export interface ChannelNames {
  /** Tracing channel of `signBytes` and every format's sign. */
  sign: string;
  /** Tracing channel of `verifyBytes` and every format's verify. */
  verify: string;
  /** Tracing channel of digests over more than 1 MiB. */
  digest: string;
  /** Tracing channel of a token login round trip. */
  login: string;
  /** Plain channel: a slot session was opened. */
  sessionOpen: string;
  /** Plain channel: a slot session was closed (logout, timeout, shutdown). */
  sessionClose: string;
  /** Plain channel: a session expired through inactivity. */
  sessionTimeout: string;
  /** Plain channel: a PKCS#11 module was loaded. */
  driverLoad: string;
}

/** The span kinds, in the order of {@linkcode ChannelNames}. */
export const SPAN_KINDS = ["sign", "verify", "digest", "login"] as const;

/** The plain event kinds, in the order of {@linkcode ChannelNames}. */
export const EVENT_KINDS = ["sessionOpen", "sessionClose", "sessionTimeout", "driverLoad"] as const;

/** A span kind: `sign`, `verify`, `digest` or `login`. */
export type TelemetrySpanKind = typeof SPAN_KINDS[number];

/** A plain event kind: `sessionOpen`, `sessionClose`, `sessionTimeout` or `driverLoad`. */
export type TelemetryEventKind = typeof EVENT_KINDS[number];

/**
 * The channel names under `prefix`, e.g. `pkcs11ex:sign` (whose events are published on
 * `tracing:pkcs11ex:sign:start` … `:error`) and `pkcs11ex:session:open`.
 */
export function CHANNEL_NAMES(prefix: string): ChannelNames {
  return {
    sign: `${prefix}:sign`,
    verify: `${prefix}:verify`,
    digest: `${prefix}:digest`,
    login: `${prefix}:login`,
    sessionOpen: `${prefix}:session:open`,
    sessionClose: `${prefix}:session:close`,
    sessionTimeout: `${prefix}:session:timeout`,
    driverLoad: `${prefix}:driver:load`,
  };
}
