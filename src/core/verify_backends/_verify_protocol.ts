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

/** Messages to a verify worker. */
export interface InitVerifyWorker {
  readonly lane: SharedArrayBuffer;
  readonly libraryNames?: readonly string[];
  readonly maxKeys?: number;
}

/** Messages from a verify worker. */
export type FromVerifyWorker =
  | { readonly kind: "ready"; readonly ok: boolean }
  | { readonly kind: "failed"; readonly id: number; readonly message: string };

/** One verification as it travels: its plan's definition rides along on first use. */
export interface PackedVerification {
  /** The plan's definition, when the worker does not know the plan yet. */
  readonly plan?: VerifyPlan;
  readonly signature: Uint8Array;
  readonly data: Uint8Array;
  readonly precomputedDigest: boolean;
}

const DIGEST = 1; // flag: data is the digest
const WITH_PLAN = 2; // flag: the plan's definition precedes the signature
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The plan's definition as bytes (JSON, the SPKI as base64). */
function planBytes(plan: VerifyPlan | undefined): Uint8Array {
  if (plan === undefined) return new Uint8Array(0);
  const { spkiDer, ...rest } = plan;
  return encoder.encode(JSON.stringify({ ...rest, spki: encodeBase64(spkiDer) }));
}

/**
 * Packs one verification as the parts of one lane request: flags, plan length (u16), plan,
 * signature length (u16), signature, data. Requests of one lane are served in order, so the
 * request that carries a plan's definition is always served before those that use its number.
 */
export function packVerification(v: PackedVerification): Uint8Array[] {
  const plan = planBytes(v.plan);
  if (plan.length > 0xffff || v.signature.length > 0xffff) {
    throw new RangeError("Too large for a verify lane");
  }
  const flags = (v.precomputedDigest ? DIGEST : 0) | (v.plan !== undefined ? WITH_PLAN : 0);
  const head = Uint8Array.of(flags, plan.length & 0xff, plan.length >> 8);
  const signatureLength = Uint8Array.of(v.signature.length & 0xff, v.signature.length >> 8);
  return [head, plan, signatureLength, v.signature, v.data];
}

function readChunk(input: Uint8Array, at: number): Uint8Array {
  if (at + 2 > input.length) throw new RangeError("Truncated verify request");
  const end = at + 2 + (input[at] | (input[at + 1] << 8));
  if (end > input.length) throw new RangeError("Truncated verify request");
  return input.subarray(at + 2, end);
}

/** Reads a packed verification back (signature and data are views of `input`). */
export function unpackVerification(input: Uint8Array): PackedVerification {
  if (input.length < 5) throw new RangeError("Truncated verify request");
  const plan = readChunk(input, 1);
  const signature = readChunk(input, 3 + plan.length);
  const flags = input[0];
  return {
    ...((flags & WITH_PLAN) !== 0 && { plan: planFrom(plan) }),
    signature,
    data: input.subarray(5 + plan.length + signature.length),
    precomputedDigest: (flags & DIGEST) !== 0,
  };
}

function planFrom(bytes: Uint8Array): VerifyPlan {
  const { spki, ...rest } = JSON.parse(decoder.decode(bytes));
  const spkiDer = decodeBase64(spki);
  if (spkiDer === undefined) throw new RangeError("A verify plan without a key");
  return { ...rest, spkiDer };
}
