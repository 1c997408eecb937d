/**
 * JWS throughput against `jose` in the same run, on software keys:
 *
 * - verify/s: `verifyJws` through the real pipeline with a `PinnedRegistry` (parse, policy,
 *   validity, math) vs `jose`'s `flattenedVerify` of the same detached `b64:false` JWS with
 *   the same public key (already imported, as a jose user holds it), once with each verify
 *   backend: WebCrypto (what jose uses) and libcrypto (OpenSSL through our FFI, WebCrypto when
 *   it cannot load). Target: our time ≤ 1.2× jose's, i.e. ratio ≥ 0.83.
 * - sign/s: `signJws` with a software DocumentSigner (node:crypto) vs `jose`'s `FlattenedSign`
 *   with the same private key and the same protected header.
 *
 * Each case runs ROUNDS interleaved rounds (ours, jose, jose, ours, …) and prints the medians as
 * one JSON line. Run with `node bench/run.mjs bench/jws.ts` (both runtimes), or
 * `deno run -A bench/jws.ts` / `bun bench/jws.ts`; BENCH_SECONDS (default 1) per sample.
 */
import process from "node:process";
import { Buffer } from "node:buffer";
import { createPrivateKey } from "node:crypto";
import { FlattenedSign, flattenedVerify, importPKCS8, importX509 } from "jose";
import { signJws } from "../src/formats/jws/sign.ts";
import { verifyJws, type VerifyJwsOptions } from "../src/formats/jws/verify.ts";
import { parseCertificate } from "../src/core/x509.ts";
import type { VerifyBackend } from "../src/core/verify_bytes.ts";
import { createWebCryptoBackend } from "../src/core/_verify_webcrypto.ts";
import { createLibcryptoBackend } from "../src/core/verify_backends/libcrypto.ts";
import { PinnedRegistry } from "../src/policy/pinned_registry.ts";
import {
  makeSelfSigned,
  softwareSigner,
  type TestIdentity,
} from "../tests/_support/software_keys.ts";
import { makeTempDir } from "../tests/_support/tmp.ts";
import { median, runtimeName } from "./_support.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ALGS = { PS256: "rsa", ES256: "ec" } as const;
type Alg = keyof typeof ALGS;
const BACKENDS: Record<string, VerifyBackend> = {
  WebCrypto: createWebCryptoBackend(),
  libcrypto: createLibcryptoBackend(),
};

/** Awaits `op` back to back for `seconds`; returns operations per second. */
async function asyncOpsPerSecond(seconds: number, op: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 32; i++) await op(); // warm-up: key caches, JIT
  const start = performance.now();
  const end = start + seconds * 1000;
  let done = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 8; i++) await op();
    done += 8;
  }
  return done / ((performance.now() - start) / 1000);
}

/** Interleaved rounds (the order alternates), medians, one JSON line. */
async function compare(
  name: string,
  ours: () => Promise<unknown>,
  baseline: () => Promise<unknown>,
): Promise<void> {
  const o: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      o.push(await asyncOpsPerSecond(SECONDS, ours));
      b.push(await asyncOpsPerSecond(SECONDS, baseline));
    } else {
      b.push(await asyncOpsPerSecond(SECONDS, baseline));
      o.push(await asyncOpsPerSecond(SECONDS, ours));
    }
  }
  const oursPerSecond = median(o);
  const baselinePerSecond = median(b);
  console.log(JSON.stringify({
    bench: "jws",
    runtime: runtimeName(),
    case: name,
    oursPerSecond: Math.round(oursPerSecond),
    baselinePerSecond: Math.round(baselinePerSecond),
    ratio: Number((oursPerSecond / baselinePerSecond).toFixed(3)),
  }));
}

const identities = (() => {
  const { dir, cleanup } = makeTempDir();
  try {
    return Object.fromEntries(
      Object.entries(ALGS).map(([alg, type]) => [alg, makeSelfSigned(dir, type, { name: alg })]),
    ) as Record<Alg, TestIdentity>;
  } finally {
    cleanup();
  }
})();

// A 1 KiB JSON body, the size of a typical signed API request.
const payload = new TextEncoder().encode(
  JSON.stringify({ amount: "10.00", currency: "CLP", note: "x".repeat(990) }).slice(0, 1024),
);

for (const alg of Object.keys(ALGS) as Alg[]) {
  const identity = identities[alg];
  const signer = softwareSigner(identity, alg);
  const certificate = parseCertificate(identity.certDer);
  const opts: VerifyJwsOptions = {
    policy: new PinnedRegistry({ pins: { [certificate.spkiSha256Hex]: "bench" } }),
    allowedAlgs: ["PS256", "ES256"],
  };
  const jws = await signJws(payload, signer);
  const [protectedSegment, , signature] = jws.split(".");
  const publicKey = await importX509(identity.certPem, alg);
  const privateKey = await importPKCS8(
    createPrivateKey(identity.keyPem).export({ type: "pkcs8", format: "pem" }) as string,
    alg,
  );
  const header = {
    alg,
    b64: false,
    crit: ["b64"],
    x5c: [Buffer.from(identity.certDer).toString("base64")],
  };

  // Sanity: both sides accept the token before anything is timed.
  await verifyJws(jws, payload, opts);
  await flattenedVerify({ protected: protectedSegment, payload, signature }, publicKey);

  for (const [backendName, backend] of Object.entries(BACKENDS)) {
    const withBackend = { ...opts, backend };
    await verifyJws(jws, payload, withBackend);
    await compare(
      `verify ${alg}, ${backendName} (verifyJws + PinnedRegistry vs jose flattenedVerify)`,
      () => verifyJws(jws, payload, withBackend),
      () => flattenedVerify({ protected: protectedSegment, payload, signature }, publicKey),
    );
  }
  await compare(
    `sign ${alg} (signJws + software signer vs jose FlattenedSign)`,
    () => signJws(payload, signer),
    () => new FlattenedSign(payload).setProtectedHeader(header).sign(privateKey),
  );
}
