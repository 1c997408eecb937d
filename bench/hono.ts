/**
 * Requests per second of a Hono route behind the `jwsVerify` middleware against the same route
 * without it, on the runtime's own server (`Deno.serve` / `Bun.serve`) on 127.0.0.1.
 *
 * The load tool is wrk (Debian's `wrk`, installed by scripts/setup.sh) in its own process: one
 * thread, CONCURRENCY keep-alive connections, each POSTing a 1 KiB JSON body with its detached
 * JWS header, for BENCH_SECONDS per sample (at least 1). Both routes get the same bytes and read the body; the only
 * difference is the middleware (real pipeline, PinnedRegistry, x5c header), run once with each
 * verify backend (WebCrypto; libcrypto, OpenSSL through our FFI). ROUNDS interleaved
 * rounds, medians, one JSON line per algorithm (plus a diagnostic row: the middleware with a
 * verifier that does no work). Loopback only, bounded in count and time; every
 * response must be 200 or the run aborts. Target: ratio ≥ 0.8.
 *
 * Run with `node bench/run.mjs bench/hono.ts` (both runtimes), or `deno run -A bench/hono.ts` /
 * `bun bench/hono.ts`.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { type Context, Hono } from "hono";
import { jwsVerify, type Variables } from "../src/middleware/hono.ts";
import { signJws } from "../src/formats/jws/sign.ts";
import { verifyJws } from "../src/formats/jws/verify.ts";
import { parseCertificate } from "../src/core/x509.ts";
import type { VerifyBackend } from "../src/core/verify_bytes.ts";
import { createWebCryptoBackend } from "../src/core/_verify_webcrypto.ts";
import { createLibcryptoBackend } from "../src/core/verify_backends/libcrypto.ts";
import { createThreadedBackend } from "../src/core/verify_backends/threaded.ts";
import { PinnedRegistry } from "../src/policy/pinned_registry.ts";
import { makeSelfSigned, softwareSigner } from "../tests/_support/software_keys.ts";
import { makeTempDir } from "../tests/_support/tmp.ts";
import { serve } from "../tests/middleware/_server.ts";
import { median, runtimeName } from "./_support.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const ALGS = { ES256: "ec", PS256: "rsa" } as const;
type Alg = keyof typeof ALGS;

// A 1 KiB JSON body.
const body = new TextEncoder().encode(
  JSON.stringify({ amount: "10.00", currency: "CLP", note: "x".repeat(1024) }).slice(0, 1023) +
    "}",
);

/** The wrk script: POSTs the body file with the JSON content type and the JWS header. */
const WRK_SCRIPT = `
local file = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["JWS-Signature"] = os.getenv("BENCH_JWS")
`;
const work = makeTempDir("pkcs11ex-bench-hono-");
const scriptPath = join(work.dir, "post.lua");
const bodyPath = join(work.dir, "body.json");
writeFileSync(scriptPath, WRK_SCRIPT);
writeFileSync(bodyPath, body);

/**
 * Runs wrk (one thread, CONCURRENCY keep-alive connections) against `url` for `seconds`;
 * returns requests per second. Any non-2xx answer or socket error aborts the run.
 */
function load(url: string, jws: string, seconds: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const args = ["-t1", `-c${CONCURRENCY}`, `-d${seconds}s`, "-s", scriptPath, url];
    const child = spawn("wrk", args, {
      env: { ...process.env, BENCH_BODY: bodyPath, BENCH_JWS: jws },
    });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.stderr.on("data", (chunk) => (out += chunk));
    child.on("error", (err: NodeJS.ErrnoException) =>
      reject(
        err.code === "ENOENT"
          ? new Error("bench/hono.ts needs wrk: run `bash scripts/setup.sh bench`")
          : err,
      ));
    child.on("close", (code) => {
      const rate = /Requests\/sec:\s+([\d.]+)/.exec(out);
      if (code !== 0 || rate === null || /Non-2xx|Socket errors/.test(out)) {
        reject(new Error(`wrk ${url} failed (exit ${code}):\n${out}`));
      } else resolve(Number(rate[1]));
    });
  });
}

/** Interleaved rounds of `ours` and `baseline` (the order alternates), medians, one JSON line. */
async function compare(
  name: string,
  ours: () => Promise<number>,
  baseline: () => Promise<number>,
): Promise<void> {
  await ours(); // warm-up, and proof that every request passes
  await baseline();
  const o: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      o.push(await ours());
      b.push(await baseline());
    } else {
      b.push(await baseline());
      o.push(await ours());
    }
  }
  console.log(JSON.stringify({
    bench: "hono",
    runtime: runtimeName(),
    case: `${name}, 1 KiB body, ${CONCURRENCY} concurrent`,
    oursPerSecond: Math.round(median(o)),
    baselinePerSecond: Math.round(median(b)),
    ratio: Number((median(o) / median(b)).toFixed(3)),
  }));
}

const identities = (() => {
  const { dir, cleanup } = makeTempDir();
  try {
    return Object.fromEntries(
      Object.entries(ALGS).map(([alg, type]) => [alg, makeSelfSigned(dir, type, { name: alg })]),
    );
  } finally {
    cleanup();
  }
})();
const pins = Object.fromEntries(
  Object.values(identities).map((id) => [parseCertificate(id.certDer).spkiSha256Hex, "bench"]),
);
const policy = new PinnedRegistry({ pins });
// libcrypto on one worker thread (createThreadedBackend), beside the in-thread backends.
const threaded = createThreadedBackend({ threads: 1 });
const BACKENDS: Record<string, VerifyBackend> = {
  WebCrypto: createWebCryptoBackend(),
  libcrypto: createLibcryptoBackend(),
  threaded: threaded,
};
const verifier = (backend: VerifyBackend) => ({
  jws: {
    verify: (jws: string, payload: Uint8Array) =>
      verifyJws(jws, payload, { policy, allowedAlgs: ["ES256", "PS256"], backend }),
  },
});
// Diagnostic: the middleware with a verifier that accepts without any work (header, body
// handling, context) — what the middleware costs besides the verification itself.
const noop = { jws: { verify: () => Promise.resolve({ subjectId: "bench" }) } };

const app = new Hono<{ Variables: Variables }>();
const route = async (c: Context<{ Variables: Variables }>) =>
  c.json({ size: (await c.req.arrayBuffer()).byteLength, from: c.get("pkcs11exSubject") ?? null });
for (const [name, backend] of Object.entries(BACKENDS)) {
  app.use(`/signed/${name}`, jwsVerify(verifier(backend)));
  app.post(`/signed/${name}`, route);
}
// wrk closes its connections with requests in flight when a sample ends: answer those without
// Hono's default error log. During a sample any failure is a non-2xx answer, and aborts the run.
app.onError((_err, c) => c.text("error", 500));
app.use("/noop", jwsVerify(noop));
app.post("/noop", route);
app.post("/plain", route);

const server = await serve(app.fetch);
try {
  for (const alg of Object.keys(ALGS) as Alg[]) {
    const jws = await signJws(body, softwareSigner(identities[alg], alg));
    for (const backend of Object.keys(BACKENDS)) {
      await compare(
        `${alg}, ${backend}: jwsVerify route vs the same route without`,
        () => load(`${server.url}/signed/${backend}`, jws, SECONDS),
        () => load(`${server.url}/plain`, jws, SECONDS),
      );
    }
    if (alg === "ES256") {
      await compare(
        "diagnostic: jwsVerify with a no-op verifier vs the same route without",
        () => load(`${server.url}/noop`, jws, SECONDS),
        () => load(`${server.url}/plain`, jws, SECONDS),
      );
    }
  }
} finally {
  threaded.close();
  await server.close();
  work.cleanup();
}
