/**
 * Signing with a token key according to an {@linkcode Algorithm}'s sign plan. The plan is
 * computed where the algorithm lives (the main thread: custom algorithms are functions and
 * cannot cross to a worker): feed the token the message, its digest, or the `DigestInfo`
 * around its digest. The token call itself runs where the session lives, and the raw result
 * is encoded for the caller's context.
 *
 * @module
 */
import { checkDigestLength } from "./_verify_digest.ts";
import { createHash } from "node:crypto";
import type { Session } from "../ffi/session.ts";
import type { MechanismSpec, NativeMechanism } from "../ffi/mechanism.ts";
import type { Algorithm, HashName } from "./algorithms/types.ts";
import { digestInfo } from "./algorithms/digest_info.ts";
import type { EncodingContext } from "./signer.ts";

function hashBytes(hash: HashName, data: Uint8Array): Uint8Array {
  if (hash === "none") throw new RangeError("Cannot hash for an algorithm without a hash");
  return new Uint8Array(createHash(hash).update(data).digest());
}

/** What one `C_Sign` needs: the mechanism and the exact input bytes. */
export interface TokenSignPlan {
  /** The mechanism as plain data. */
  readonly mechanism: MechanismSpec;
  /** The bytes to hand to `C_Sign`. */
  readonly input: Uint8Array;
}

/**
 * Plans one token signature: the mechanism of `alg`'s sign plan and the input bytes (the
 * message, its digest, or the DER `DigestInfo` of its digest).
 *
 * @param data the message, or its digest when `precomputedDigest` is set.
 */
export function planTokenSignature(
  alg: Algorithm,
  data: Uint8Array,
  precomputedDigest: boolean,
): TokenSignPlan {
  if (precomputedDigest) checkDigestLength(alg, data, "sign");
  const plan = alg.signPlan(precomputedDigest);
  if (plan.input === "message") return { mechanism: plan.mechanism, input: data };
  const digest = precomputedDigest ? data : hashBytes(alg.hash, data);
  const input = plan.input === "digest_info" ? digestInfo(alg.hash, digest) : digest;
  return { mechanism: plan.mechanism, input };
}

/** Caches native mechanisms per mechanism spec, for one session. */
export class MechanismCache {
  readonly #session: Session;
  readonly #cache = new Map<string, NativeMechanism>();
  readonly #bySpec = new WeakMap<MechanismSpec, NativeMechanism>();

  /** A cache for mechanisms of `session`. */
  constructor(session: Session) {
    this.#session = session;
  }

  /** The native mechanism of `spec`, built once (found by identity first, then by value). */
  get(spec: MechanismSpec): NativeMechanism {
    let mech = this.#bySpec.get(spec);
    if (mech !== undefined) return mech;
    const key = JSON.stringify(spec);
    mech = this.#cache.get(key);
    if (mech === undefined) {
      mech = this.#session.mechanism(spec);
      this.#cache.set(key, mech);
    }
    this.#bySpec.set(spec, mech);
    return mech;
  }
}

/** What one token signature needs. */
export interface TokenSignRequest {
  /** The algorithm to sign with. */
  readonly alg: Algorithm;
  /** The data, or its digest when `precomputedDigest` is set. */
  readonly data: Uint8Array;
  /** Whether `data` is already the digest of the algorithm's hash. */
  readonly precomputedDigest: boolean;
  /** The encoding of the returned signature. */
  readonly context: EncodingContext;
}

/** Signs on the token with the private key `key` in this thread and encodes the signature. */
export function signOnToken(
  session: Session,
  mechanisms: MechanismCache,
  key: bigint,
  request: TokenSignRequest,
): Uint8Array {
  const { alg, data, precomputedDigest, context } = request;
  const plan = planTokenSignature(alg, data, precomputedDigest);
  const raw = session.sign(mechanisms.get(plan.mechanism), key, plan.input);
  return alg.encodeSignature(raw, context);
}
