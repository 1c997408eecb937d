/**
 * A verify worker of the threaded backend (threaded.ts): opens libcrypto in its own thread,
 * learns keys and parameters as numbered plans (defined by the first request that uses
 * one), and answers verifications on a lane.
 *
 * @module
 */
import { type LibcryptoVerifier, openLibcrypto } from "../../ffi/libcrypto.ts";
import { serveLane } from "../lane.ts";
import {
  decodeVerifyPlan,
  type FromVerifyWorker,
  type InitVerifyWorker,
  unpackVerification,
  type VerifyPlan,
} from "./_verify_protocol.ts";

const VALID = Uint8Array.of(1);
const INVALID = Uint8Array.of(0);
const plans = new Map<number, VerifyPlan>();
let libcrypto: LibcryptoVerifier | null = null;

const post = (message: FromVerifyWorker) => self.postMessage(message);

function verify(id: number, plan: number, input: Uint8Array): Uint8Array | undefined {
  try {
    const known = plans.get(plan);
    if (known === undefined || libcrypto === null) throw new Error(`Unknown verify plan ${plan}`);
    const { signature, data, precomputedDigest } = unpackVerification(input);
    return libcrypto.verify({ ...known, signature, data, precomputedDigest }) ? VALID : INVALID;
  } catch (err) {
    post({ kind: "failed", id, message: (err as Error)?.message ?? String(err) });
    return undefined;
  }
}

self.onmessage = async (event: MessageEvent<InitVerifyWorker>) => {
  const { libraryNames, maxKeys, lane } = event.data;
  libcrypto = await openLibcrypto(libraryNames, maxKeys);
  if (libcrypto !== null) {
    serveLane(lane, verify, (plan, definition) => plans.set(plan, decodeVerifyPlan(definition)));
  }
  post({ kind: "ready", ok: libcrypto !== null });
};
