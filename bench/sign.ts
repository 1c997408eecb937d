/**
 * Signatures per second through our FFI (one session, single-threaded) against a C program
 * making the same C_SignInit + C_Sign calls on the same SoftHSM2 token in the same run.
 * Run with `npm run bench` (both runtimes) or `deno run -A bench/sign.ts` / `bun bench/sign.ts`
 * with SOFTHSM2_CONF set. Prints one JSON line per mechanism: `ratio` compares wall-time
 * rates, `cpuRatio` rates per CPU second (steadier on a shared machine), both medians of
 * interleaved rounds.
 */
import process from "node:process";
import { CKO } from "../src/ffi/constants.ts";
import type { MechanismSpec } from "../src/ffi/mechanism.ts";
import { makeTestToken, SOFTHSM_DRIVER } from "../tests/_support/softhsm.ts";
import { buildC, median, opsPerSecond, type Rates, runC, runtimeName } from "./_support.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const ROUNDS = 5;

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
  const native: Rates[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    ours.push(opsPerSecond(SECONDS, () => session.sign(mech, key, data)));
    native.push(runC(exe, [SOFTHSM_DRIVER, token.label, token.userPin, c.key, c.kind], SECONDS));
    view.push(opsPerSecond(SECONDS, () => session.signView(mech, key, data)));
  }
  const n = median(native.map((x) => x.wall));
  const nc = median(native.map((x) => x.cpu));
  for (const [api, rates] of [["Session.sign", ours], ["Session.signView", view]] as const) {
    const o = median(rates.map((x) => x.wall));
    const oc = median(rates.map((x) => x.cpu));
    console.log(JSON.stringify({
      bench: "sign",
      runtime: runtimeName(),
      case: `${c.name}, ${api}`,
      oursPerSecond: Math.round(o),
      cPerSecond: Math.round(n),
      ratio: Number((o / n).toFixed(3)),
      cpuRatio: Number((oc / nc).toFixed(3)),
    }));
  }
}
session.close();
