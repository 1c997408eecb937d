/**
 * Verifications per second of `verifyBytes` and of the full `verifyPipeline` (with a
 * PinnedRegistry and a `kid` hint) against, in the same run, `jose`'s `compactVerify` of the
 * same JWS with an imported key, `bench/verify_c.c` (an `EVP_DigestVerify` loop over the same
 * input, signature and key) and `openssl speed` (verify/s of the same key type). Each
 * of our paths runs with the WebCrypto backend and with the libcrypto backend.
 * Rates are per second of process CPU time (openssl speed measures CPU time too), the median
 * of interleaved rounds. Run with `node bench/run.mjs bench/verify.ts`, or
 * `deno run -A bench/verify.ts` / `bun bench/verify.ts`. Prints one JSON line per case.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { CompactSign, compactVerify, importPKCS8, importSPKI } from "jose";
import { createWebCryptoBackend } from "../src/core/_verify_webcrypto.ts";
import { ecdsaRawToDer } from "../src/core/algorithms/ecdsa_encoding.ts";
import { createLibcryptoBackend } from "../src/core/verify_backends/libcrypto.ts";
import { type VerifyBackend, verifyBytes } from "../src/core/verify_bytes.ts";
import { parseCertificate } from "../src/core/x509.ts";
import { decodeBase64url } from "../src/formats/jws/base64.ts";
import { verifyPipeline } from "../src/policy/pipeline.ts";
import { PinnedRegistry } from "../src/policy/pinned_registry.ts";
import { makeSelfSigned, type TestKeyType } from "../tests/_support/software_keys.ts";
import { makeTempDir } from "../tests/_support/tmp.ts";
import { buildC, cpuOpsPerSecond, median, runC, runtimeName } from "./_support.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1) / 2;
const ROUNDS = 5;

/** `openssl speed`'s verify/s (CPU time) for an algorithm name such as `rsa2048`. */
function opensslSpeed(name: string): number {
  const res = spawnSync("openssl", ["speed", "-seconds", String(Math.max(1, SECONDS)), name], {
    encoding: "utf8",
  });
  const lines = res.stdout.split("\n");
  const header = lines.findIndex((l) => /verify\/s\s*$/.test(l));
  if (res.status !== 0 || header < 0) throw new Error(`openssl speed ${name} failed`);
  return Number(lines[header + 1].trim().split(/\s+/).at(-1));
}

const { dir, cleanup } = makeTempDir("pkcs11ex-bench-verify-");
const payload = new TextEncoder().encode(JSON.stringify({ sub: "bench", n: 1 }));
const cases: { alg: string; keyType: TestKeyType; speed: string; c: string }[] = [
  { alg: "RS256", keyType: "rsa", speed: "rsa2048", c: "pkcs1" },
  { alg: "PS256", keyType: "rsa", speed: "rsa2048", c: "pss" },
  { alg: "ES256", keyType: "ec", speed: "ecdsap256", c: "ecdsa" },
  { alg: "EdDSA", keyType: "ed25519", speed: "ed25519", c: "ed25519" },
];
const exe = buildC("verify_c.c", ["-lcrypto"]);
const backends: Record<string, VerifyBackend> = {
  WebCrypto: createWebCryptoBackend(),
  libcrypto: createLibcryptoBackend(),
};

function emit(name: string, ours: number[], baseline: number[], baselineName: string): void {
  const o = median(ours);
  const b = median(baseline);
  console.log(JSON.stringify({
    bench: "verify",
    runtime: runtimeName(),
    case: name,
    baseline: baselineName,
    oursPerSecond: Math.round(o),
    baselinePerSecond: Math.round(b),
    ratio: Number((o / b).toFixed(3)),
  }));
}

try {
  for (const c of cases) {
    const id = makeSelfSigned(dir, c.keyType, { name: c.alg });
    const cert = parseCertificate(id.certPem);
    const jws = await new CompactSign(payload)
      .setProtectedHeader({ alg: c.alg, kid: "signer" })
      .sign(await importPKCS8(id.keyPem, c.alg));
    const publicKey = await importSPKI(
      `-----BEGIN PUBLIC KEY-----\n${
        Buffer.from(cert.spkiDer).toString("base64")
      }\n-----END PUBLIC KEY-----`,
      c.alg,
    );
    const [h, p, s] = jws.split(".");
    const parsed = {
      alg: c.alg,
      signedInput: new TextEncoder().encode(`${h}.${p}`),
      signature: decodeBase64url(s)!,
      encodingContext: "jose" as const,
      signerHint: { kid: "signer" },
    };
    const policy = new PinnedRegistry({
      pins: { [cert.spkiSha256Hex]: "bench" },
      kids: { signer: id.certPem },
    });
    const paths: Record<string, (backend: VerifyBackend) => Promise<unknown>> = {
      verifyBytes: (backend) =>
        verifyBytes(parsed.signedInput, parsed.signature, cert, {
          alg: c.alg,
          encodingContext: "jose",
          backend,
        }),
      "pipeline+PinnedRegistry": (backend) =>
        verifyPipeline({ parsed, policy, allowedAlgs: [c.alg], backend }),
    };
    const files = [
      ["spki.der", cert.spkiDer],
      ["sig.bin", c.c === "ecdsa" ? ecdsaRawToDer(parsed.signature, 32) : parsed.signature],
      ["data.bin", parsed.signedInput],
    ].map(([name, bytes]) => {
      const path = join(dir, `${c.alg}-${name}`);
      writeFileSync(path, bytes as Uint8Array);
      return path;
    });
    const jose: number[] = [];
    const openssl: number[] = [];
    const evp: number[] = [];
    const ours: Record<string, number[]> = {};
    for (let round = 0; round < ROUNDS; round++) {
      jose.push(await cpuOpsPerSecond(SECONDS, () => compactVerify(jws, publicKey)));
      for (const [path, run] of Object.entries(paths)) {
        for (const [backendName, backend] of Object.entries(backends)) {
          (ours[`${path} (${backendName})`] ??= []).push(
            await cpuOpsPerSecond(SECONDS, () => run(backend)),
          );
        }
      }
      evp.push(runC(exe, [...files, c.c], SECONDS).cpu);
      if (round < 3) openssl.push(opensslSpeed(c.speed));
    }
    for (const [name, samples] of Object.entries(ours)) {
      emit(`${c.alg} ${name}`, samples, jose, "jose compactVerify");
      if (name.startsWith("verifyBytes")) {
        emit(`${c.alg} ${name}`, samples, evp, "OpenSSL EVP_DigestVerify (C)");
        emit(`${c.alg} ${name}`, samples, openssl, `openssl speed ${c.speed}`);
      }
    }
  }
} finally {
  cleanup();
}
