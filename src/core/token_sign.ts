/**
 * Signing with a token key according to an {@linkcode Algorithm}'s sign plan: feed the
 * token the message, its digest, or the `DigestInfo` around its digest, then encode what
 * the token returned for the caller's context. Runs where the session lives (a slot
 * worker, or a provisioning script).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Session } from "../ffi/session.ts";
import type { NativeMechanism } from "../ffi/mechanism.ts";
import type { Algorithm, HashName } from "./algorithms/types.ts";
import { digestInfo } from "./algorithms/digest_info.ts";
import type { EncodingContext } from "./signer.ts";

function hashBytes(hash: HashName, data: Uint8Array): Uint8Array {
  if (hash === "none") throw new RangeError("Cannot hash for an algorithm without a hash");
  return new Uint8Array(createHash(hash).update(data).digest());
}

/** Caches native mechanisms per algorithm and plan, for one session. */
export class MechanismCache {
  readonly #session: Session;
  readonly #cache = new Map<string, NativeMechanism>();

  constructor(session: Session) {
    this.#session = session;
  }

  /** The native mechanism of `alg`'s plan. */
  get(alg: Algorithm, precomputedDigest: boolean): NativeMechanism {
    const key = `${alg.name}/${precomputedDigest}`;
    let mech = this.#cache.get(key);
    if (mech === undefined) {
      mech = this.#session.mechanism(alg.signPlan(precomputedDigest).mechanism);
      this.#cache.set(key, mech);
    }
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

/** Signs on the token with the private key `key` and encodes the signature. */
export function signOnToken(
  session: Session,
  mechanisms: MechanismCache,
  key: bigint,
  request: TokenSignRequest,
): Uint8Array {
  const { alg, data, precomputedDigest, context } = request;
  const plan = alg.signPlan(precomputedDigest);
  let input = data;
  if (plan.input !== "message") {
    const digest = precomputedDigest ? data : hashBytes(alg.hash, data);
    input = plan.input === "digest_info" ? digestInfo(alg.hash, digest) : digest;
  }
  const raw = session.sign(mechanisms.get(alg, precomputedDigest), key, input);
  return alg.encodeSignature(raw, context);
}
