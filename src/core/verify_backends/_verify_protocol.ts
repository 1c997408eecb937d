/**
 * What the threaded verify backend and its workers say to each other: start-up and failures
 * by `postMessage`, and each verification packed into one lane slot.
 *
 * @module
 */
import type { LibcryptoVerifyInput } from "../../ffi/libcrypto.ts";
import { decodeBase64, encodeBase64 } from "../x509/pem.ts";

/** A key and its verification parameters, registered once per worker under a number. */
export type VerifyPlan = Omit<LibcryptoVerifyInput, "data" | "signature" | "precomputedDigest">;

/** The message that starts a verify worker: its lane and where to find libcrypto. */
export interface InitVerifyWorker {
  readonly lane: SharedArrayBuffer;
  readonly libraryNames?: readonly string[];
  readonly maxKeys?: number;
}

/** Messages from a verify worker. */
export type FromVerifyWorker =
  | { readonly kind: "ready"; readonly ok: boolean }
  | { readonly kind: "failed"; readonly id: number; readonly message: string };

/** One verification as it travels in a lane slot. */
export interface PackedVerification {
  readonly signature: Uint8Array;
  readonly data: Uint8Array;
  readonly precomputedDigest: boolean;
}

const DIGEST = 1; // flag: data is the digest
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** A plan's definition as the first request of the plan carries it (JSON, the SPKI as base64). */
export function encodeVerifyPlan(plan: VerifyPlan): Uint8Array {
  const { spkiDer, ...rest } = plan;
  return encoder.encode(JSON.stringify({ ...rest, spki: encodeBase64(spkiDer) }));
}

/** Reads a plan's definition back; throws on anything else. */
export function decodeVerifyPlan(bytes: Uint8Array): VerifyPlan {
  const { spki, keyId, scheme, hash, saltLength } = JSON.parse(decoder.decode(bytes));
  const spkiDer = typeof spki === "string" ? decodeBase64(spki) : undefined;
  if (spkiDer === undefined || typeof keyId !== "string") {
    throw new RangeError("Not a verify plan");
  }
  return { keyId, spkiDer, scheme, hash, saltLength };
}

/** The longest signature a lane request frames (its length travels as a u16). */
export const MAX_LANE_SIGNATURE = 0xffff;

/** Packs one verification as the parts of one lane request: flags, signature length (u16), signature, data. */
export function packVerification(v: PackedVerification): Uint8Array[] {
  if (v.signature.length > MAX_LANE_SIGNATURE) throw new RangeError("Too large for a verify lane");
  const head = Uint8Array.of(
    v.precomputedDigest ? DIGEST : 0,
    v.signature.length & 0xff,
    v.signature.length >> 8,
  );
  return [head, v.signature, v.data];
}

/** Reads a packed verification back (signature and data are views of `input`). */
export function unpackVerification(input: Uint8Array): PackedVerification {
  if (input.length < 3) throw new RangeError("Truncated verify request");
  const end = 3 + (input[1] | (input[2] << 8));
  if (end > input.length) throw new RangeError("Truncated verify request");
  return {
    signature: input.subarray(3, end),
    data: input.subarray(end),
    precomputedDigest: (input[0] & DIGEST) !== 0,
  };
}
