/**
 * Signatures per second through our FFI (one session, single-threaded) against a C program
 * making the same C_SignInit + C_Sign calls on the same SoftHSM2 token in the same run.
 * Run with `npm run bench` (both runtimes) or `deno run -A bench/sign.ts` / `bun bench/sign.ts`
 * with SOFTHSM2_CONF set. Prints one JSON line per mechanism and API. The C loop runs before
 * the first round and after every round (C, ours, C, ours, …, C); each round's ratio compares
 * ours with the mean of the two C runs around it. `ratio` is the median of those wall-time
 * ratios (`ratioRange` their lowest and highest), `cpuRatio` the same per CPU second
 * (steadier on a shared machine).
 */
import process from "node:process";
import { CKO } from "../src/ffi/constants.ts";
import type { MechanismSpec } from "../src/ffi/mechanism.ts";
import { makeTestToken, SOFTHSM_DRIVER } from "../tests/_support/softhsm.ts";
import {
  bracketedRatios,
  buildC,
  median,
  opsPerSecond,
  type Rates,
  runC,
  runtimeName,
} from "./_support.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

const token = await makeTestToken(
  [{ label: "rsa", type: "rsa" }, { label: "ec", type: "ec" }],
  "bench",
);
const exe = buildC("sign_c.c");
const session = token.openUserSession();
const data = new Uint8Array(32).map((_, i) => i);

const cases: { name: string; kind: string; key: string; spec: MechanismSpec }[] = [
  {
    name: "RSA-2048 PKCS#1 (CKM_SHA256_RSA_PKCS)",
    kind: "pkcs1",
    key: "rsa",
    spec: { mechanism: "CKM_SHA256_RSA_PKCS" },
  },
  {
    name: "RSA-2048 PSS (CKM_SHA256_RSA_PKCS_PSS)",
    kind: "pss",
    key: "rsa",
    spec: {
      mechanism: "CKM_SHA256_RSA_PKCS_PSS",
      pss: { hashAlg: "CKM_SHA256", mgf: "CKG_MGF1_SHA256", sLen: 32 },
    },
  },
  { name: "P-256 ECDSA (CKM_ECDSA)", kind: "ecdsa", key: "ec", spec: { mechanism: "CKM_ECDSA" } },
];

for (const c of cases) {
  const key = session.findOne({ CKA_CLASS: CKO.CKO_PRIVATE_KEY, CKA_LABEL: c.key });
  const mech = session.mechanism(c.spec);
  // `sign` hands the caller its own copy; `signView` (what a slot worker uses, copying the
  // signature straight into shared memory) returns a view of the session's scratch.
  const ours: Rates[] = [];
  const view: Rates[] = [];
  const runNative = () =>
    runC(exe, [SOFTHSM_DRIVER, token.label, token.userPin, c.key, c.kind], SECONDS);
  const apis = [
    { rates: ours, op: () => session.sign(mech, key, data) },
    { rates: view, op: () => session.signView(mech, key, data) },
  ];
  const native: Rates[] = [runNative()];
  for (let round = 0; round < ROUNDS; round++) {
    // The two APIs take turns going first, so neither always sits next to the same C run.
    for (const { rates, op } of round % 2 === 0 ? apis : apis.toReversed()) {
      rates.push(opsPerSecond(SECONDS, op));
    }
    native.push(runNative());
  }
  const round3 = (x: number) => Number(x.toFixed(3));
  for (const [api, rates] of [["Session.sign", ours], ["Session.signView", view]] as const) {
    const wall = bracketedRatios(rates.map((x) => x.wall), native.map((x) => x.wall));
    const cpu = bracketedRatios(rates.map((x) => x.cpu), native.map((x) => x.cpu));
    console.log(JSON.stringify({
      bench: "sign",
      runtime: runtimeName(),
      case: `${c.name}, ${api}`,
      oursPerSecond: Math.round(median(rates.map((x) => x.wall))),
      cPerSecond: Math.round(median(native.map((x) => x.wall))),
      ratio: round3(wall.median),
      ratioRange: `${wall.min.toFixed(2)}–${wall.max.toFixed(2)}`,
      cpuRatio: round3(cpu.median),
    }));
  }
}
session.close();
