/**
 * Throughput of the slot actors through the public API (`p11.signBytes`, 8 requests in
 * flight) with a pool of 1 and of 2 workers, and `p11.jws.sign` with a pool of 1, against the
 * raw FFI loop on this thread and the
 * C loop (bench/sign_c.c) with 1 and 2 threads, on the same SoftHSM2 token in the same run.
 * Each instance first runs untimed for `WARM_UP_SECONDS` (its workers compile their code
 * then: Bun's JIT thread alone takes ≈ 10 % of a core in the first seconds), so the timed loops
 * measure the steady state.
 * Run: `node bench/run.mjs bench/pool.ts` (both runtimes). Prints JSON lines.
 */
import { spawnSync } from "node:child_process";
import process from "node:process";
import { Pkcs11ex } from "../src/core/pkcs11ex.ts";
import { CKO } from "../src/ffi/constants.ts";
import { makeTestToken, SOFTHSM_DRIVER } from "../tests/_support/softhsm.ts";
import { buildC, median, opsPerSecond, runtimeName } from "./_support.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const ROUNDS = 3;
/** Untimed seconds before each timed loop of a new instance: its workers' code gets compiled. */
const WARM_UP_SECONDS = 0.5;
const IN_FLIGHT = 8;

const token = await makeTestToken(
  [{ label: "rsa", type: "rsa" }, { label: "ec", type: "ec" }],
  "pool",
);
const exe = buildC("sign_c.c");
const data = new Uint8Array(32).map((_, i) => i);

/** Signatures per second of the C loop with `threads` threads (one session each). */
function cLoop(kind: string, key: string, threads: number): number {
  const res = spawnSync(exe, [
    SOFTHSM_DRIVER,
    token.label,
    token.userPin,
    key,
    kind,
    String(SECONDS),
    String(threads),
  ], {
    encoding: "utf8",
  });
  if (res.status !== 0) throw new Error(`sign_c failed: ${res.stderr}`);
  return Number(res.stdout.trim());
}

/** Operations per second of `op` with `IN_FLIGHT` outstanding, for `seconds`. */
async function poolLoop(op: () => Promise<unknown>, seconds = SECONDS): Promise<number> {
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  let done = 0;
  const lane = async () => {
    while (performance.now() < end) {
      await op();
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return done / ((performance.now() - start) / 1000);
}

function config(poolSize: number) {
  return {
    allowedAlgs: ["RS256", "ES256"],
    defaultSlot: "bench",
    slots: {
      bench: {
        type: "soft_hsm" as const,
        driver: SOFTHSM_DRIVER,
        slotMatch: { tokenLabel: token.label },
        pinCallback: () => token.userPin,
        sessionPoolSize: poolSize,
        keys: { rsa: { label: "rsa" }, ec: { label: "ec" } },
      },
    },
  };
}

const cases = [
  {
    name: "RSA-2048 RS256",
    key: "rsa",
    alg: "RS256",
    kind: "pkcs1",
    mechanism: "CKM_SHA256_RSA_PKCS",
  },
  { name: "P-256 ES256", key: "ec", alg: "ES256", kind: "ecdsa", mechanism: "CKM_ECDSA" },
];

const session = token.openUserSession();
for (const c of cases) {
  const mech = session.mechanism({ mechanism: c.mechanism });
  const samples = {
    pool1: [] as number[],
    pool2: [] as number[],
    jws: [] as number[],
    raw: [] as number[],
    c1: [] as number[],
    c2: [] as number[],
  };
  const body = new TextEncoder().encode('{"amount":"150.00","currency":"CLP"}');
  for (let round = 0; round < ROUNDS; round++) {
    // Closing an instance logs the token out for the whole process: log in again, re-find.
    session.login(new TextEncoder().encode(token.userPin));
    const key = session.findOne({ CKA_CLASS: CKO.CKO_PRIVATE_KEY, CKA_LABEL: c.key });
    samples.raw.push(opsPerSecond(SECONDS, () => session.sign(mech, key, data)).wall);
    samples.c1.push(cLoop(c.kind, c.key, 1));
    samples.c2.push(cLoop(c.kind, c.key, 2));
    for (const size of [1, 2] as const) {
      const p11 = await Pkcs11ex.start(config(size));
      const sign = () =>
        p11.signBytes(data, { signer: c.key, alg: c.alg, precomputedDigest: c.alg === "ES256" });
      const jws = () => p11.jws.sign(body, { signer: c.key, alg: c.alg });
      await poolLoop(sign, WARM_UP_SECONDS);
      samples[size === 1 ? "pool1" : "pool2"].push(await poolLoop(sign));
      if (size === 1) {
        await poolLoop(jws, WARM_UP_SECONDS);
        samples.jws.push(await poolLoop(jws));
      }
      await p11.close();
    }
  }
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const line = (label: string, ours: number, baseline: string, base: number) =>
    console.log(JSON.stringify({
      bench: "pool",
      runtime: runtimeName(),
      case: `${c.name}: ${label}`,
      baseline,
      oursPerSecond: Math.round(ours),
      baselinePerSecond: Math.round(base),
      ratio: Number((ours / base).toFixed(3)),
    }));
  line("pool of 1", m.pool1, "C loop, 1 thread", m.c1);
  line("pool of 1", m.pool1, "raw FFI loop", m.raw);
  line("pool of 2", m.pool2, "C loop, 2 threads", m.c2);
  line("pool of 2", m.pool2, "pool of 1", m.pool1);
  line("JWS sign, pool of 1", m.jws, "raw FFI loop", m.raw);
}
session.close();
