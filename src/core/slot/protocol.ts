/**
 * The messages between a slot proxy (main thread) and its slot worker. Plain data only:
 * everything crosses by structured clone; PIN buffers are transferred, never copied. Sign
 * requests on the lane (../lane.ts) name a sign plan by number; the first one of a plan
 * carries its definition, encoded here.
 *
 * @module
 */
import type { MechanismSpec } from "../../ffi/mechanism.ts";
import { decodeBase64, encodeBase64 } from "../x509/pem.ts";

/** How a worker finds a key pair and its certificate on the token. */
export interface KeyLocator {
  /** The logical key name of the configuration. */
  readonly keyRef: string;
  /** `CKA_LABEL` of the private key. */
  readonly label?: string;
  /** `CKA_ID` of the private key. */
  readonly id?: Uint8Array;
  /** `CKA_LABEL` of the certificate (default: `label`). */
  readonly certLabel?: string;
  /** `CKA_ID` of the certificate (default: `id`). */
  readonly certId?: Uint8Array;
}

/** What a worker needs to open its slot. */
export interface WorkerInit {
  readonly slotRef: string;
  readonly workerIndex: number;
  readonly driver: string;
  readonly driverConfig?: string;
  readonly driverSha256?: string;
  readonly slotMatch: { readonly slotId: bigint } | { readonly tokenLabel: string };
  /** The shared memory of the sign lane (../lane.ts), when the runtime supports one. */
  readonly lane?: SharedArrayBuffer;
}

/** One request to a worker. */
export type WorkerRequest =
  | { readonly op: "init"; readonly id: number; readonly init: WorkerInit }
  | { readonly op: "open"; readonly id: number }
  | {
    readonly op: "login";
    readonly id: number;
    readonly pin: Uint8Array;
    readonly userType: "user" | "so";
  }
  | { readonly op: "logout"; readonly id: number }
  | { readonly op: "state"; readonly id: number }
  | { readonly op: "describeKey"; readonly id: number; readonly key: KeyLocator }
  | {
    readonly op: "sign";
    readonly id: number;
    readonly key: KeyLocator;
    readonly mechanism: MechanismSpec;
    readonly input: Uint8Array;
  }
  | {
    readonly op: "verify";
    readonly id: number;
    readonly key: KeyLocator;
    readonly mechanism: MechanismSpec;
    readonly input: Uint8Array;
    readonly signature: Uint8Array;
  }
  | { readonly op: "listKeys"; readonly id: number }
  | {
    readonly op: "import";
    readonly id: number;
    readonly objects: ImportObjects;
    readonly replace: boolean;
  }
  | { readonly op: "closeAllSessions"; readonly id: number }
  | { readonly op: "close"; readonly id: number; readonly finalize: boolean };

/** Token objects to create for a provisioning import (attribute templates by name). */
export interface ImportObjects {
  readonly label: string;
  readonly privateKey: Record<string, unknown>;
  readonly publicKey?: Record<string, unknown>;
  readonly certificate?: Record<string, unknown>;
}

/** What the worker knows of its session. */
export interface WorkerState {
  readonly open: boolean;
  readonly loggedIn: boolean;
  readonly tokenLabel?: string;
  readonly tokenFlags: readonly string[];
}

/** What a worker learned about a key. */
export interface KeyDescription {
  /** The key type read from `CKA_KEY_TYPE`. */
  readonly keyType: "rsa" | "ec" | "ed25519" | "other";
  /** The RSA modulus size in bits. */
  readonly keySize?: number;
  /** The EC named curve (`P-256`, `P-384`). */
  readonly curve?: string;
  /** The certificate stored with the key (by `certLabel` / `certId`), if any. */
  readonly certificateDer?: Uint8Array;
}

/** A key listed on the token. */
export interface ListedKey {
  /** `CKA_LABEL` of the private key. */
  readonly label?: string;
  /** `CKA_ID` of the private key, in hex. */
  readonly idHex?: string;
  /** `rsa`, `ec`, `ed25519` or `other`. */
  readonly keyType: string;
  /** Whether a certificate on the token shares the key's `CKA_ID`. */
  readonly hasCertificate: boolean;
}

/** A serialized error from the worker. */
export interface WorkerError {
  readonly reason: string;
  readonly message: string;
  readonly detail: Record<string, unknown>;
  /** The device invalidated the session (closed, removed): reopen and retry. */
  readonly sessionLost: boolean;
}

/** One response from a worker. */
export type WorkerResponse =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: WorkerError };

/** A key and mechanism that sign requests on the lane refer to by number. */
export interface SignPlan {
  readonly key: KeyLocator;
  readonly mechanism: MechanismSpec;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const toBase64 = (bytes: Uint8Array | undefined) =>
  bytes === undefined ? undefined : encodeBase64(bytes);
const fromBase64 = (text: unknown): Uint8Array | undefined => {
  if (text === undefined) return undefined;
  const bytes = typeof text === "string" ? decodeBase64(text) : undefined;
  if (bytes === undefined) throw new RangeError("Not a sign plan");
  return bytes;
};

/** A sign plan as the first lane request of the plan carries it (JSON, byte ids in base64). */
export function encodeSignPlan(plan: SignPlan): Uint8Array {
  const { key, mechanism } = plan;
  return encoder.encode(JSON.stringify({
    key: { ...key, id: toBase64(key.id), certId: toBase64(key.certId) },
    mechanism,
  }));
}

/** Reads a sign plan back; throws on anything else. */
export function decodeSignPlan(bytes: Uint8Array): SignPlan {
  const { key, mechanism } = JSON.parse(decoder.decode(bytes));
  if (typeof key?.keyRef !== "string" || typeof mechanism?.mechanism !== "string") {
    throw new RangeError("Not a sign plan");
  }
  return {
    key: { ...key, id: fromBase64(key.id), certId: fromBase64(key.certId) },
    mechanism,
  };
}
