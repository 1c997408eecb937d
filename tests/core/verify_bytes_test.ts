import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createPrivateKey, sign as nodeSign } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type VerifyBackend, verifyBytes } from "../../src/core/verify_bytes.ts";
import { parseCertificate } from "../../src/core/x509.ts";
import { isPkcs11exError } from "../../src/core/errors.ts";
import { ecdsaRawToDer } from "../../src/core/algorithms/mod.ts";
import { makeSelfSigned, type TestIdentity } from "../_support/software_keys.ts";
import { runOk } from "../_support/run.ts";
import { makeTempDir } from "../_support/tmp.ts";
import { opensslSign } from "./verify_backends/_openssl.ts";

const data = new TextEncoder().encode("the signed bytes");
const sha256 = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());

/** `openssl pkeyutl` over a precomputed digest (`dgst` would hash it again). */
function opensslSignDigest(
  dir: string,
  id: TestIdentity,
  digest: Uint8Array,
  pkeyopts: string[],
): Uint8Array {
  const inPath = join(dir, "digest.bin");
  const outPath = join(dir, "sig.bin");
  writeFileSync(inPath, digest);
  runOk("openssl", [
    "pkeyutl",
    "-sign",
    "-inkey",
    id.keyPath,
    "-in",
    inPath,
    "-out",
    outPath,
    ...pkeyopts,
  ]);
  return new Uint8Array(readFileSync(outPath));
}

function rejectsWith(reason: string) {
  return (err: unknown) => isPkcs11exError(err, reason as never);
}

describe("verifyBytes", () => {
  const { dir, cleanup } = makeTempDir();
  const rsa = makeSelfSigned(dir, "rsa");
  const ec = makeSelfSigned(dir, "ec");
  const ed = makeSelfSigned(dir, "ed25519");

  test("accepts openssl signatures for RS256, PS256, ES256 (der) and EdDSA", async () => {
    const rsaCert = parseCertificate(rsa.certPem);
    const rs = opensslSign(dir, rsa, "RS256", data);
    await verifyBytes(data, rs, rsaCert, { alg: "RS256" });
    await verifyBytes(data, rs, rsaCert.spkiDer, { alg: "RS256" });
    const ps = opensslSign(dir, rsa, "PS256", data);
    await verifyBytes(data, ps, rsaCert, { alg: "PS256" });
    await verifyBytes(data, ps, rsaCert); // RSA defaults to PS256
    const es = opensslSign(dir, ec, "ES256", data);
    await verifyBytes(data, es, parseCertificate(ec.certPem), { alg: "ES256" });
    const edSig = new Uint8Array(nodeSign(null, data, createPrivateKey(ed.keyPem)));
    await verifyBytes(data, edSig, parseCertificate(ed.certDer), { alg: "EdDSA" });
    const key = await crypto.subtle.importKey(
      "spki",
      parseCertificate(ed.certDer).spkiDer as BufferSource,
      "Ed25519",
      true,
      ["verify"],
    );
    await verifyBytes(data, edSig, key, { alg: "EdDSA" });
  });

  test("ES256 jose context takes raw r‖s", async () => {
    const raw = new Uint8Array(
      nodeSign("sha256", data, { key: createPrivateKey(ec.keyPem), dsaEncoding: "ieee-p1363" }),
    );
    const cert = parseCertificate(ec.certPem);
    await verifyBytes(data, raw, cert, { alg: "ES256", encodingContext: "jose" });
    await verifyBytes(data, ecdsaRawToDer(raw, 32), cert, { alg: "ES256" });
    await assert.rejects(
      verifyBytes(data, raw, cert, { alg: "ES256" }),
      rejectsWith("signature_invalid"),
    );
  });

  test("tampered data or signature is signature_invalid", async () => {
    const cert = parseCertificate(rsa.certPem);
    const ps = opensslSign(dir, rsa, "PS256", data);
    await assert.rejects(
      verifyBytes(new TextEncoder().encode("other"), ps, cert, { alg: "PS256" }),
      rejectsWith("signature_invalid"),
    );
    const flipped = ps.slice();
    flipped[10] ^= 1;
    await assert.rejects(
      verifyBytes(data, flipped, cert, { alg: "PS256" }),
      rejectsWith("signature_invalid"),
    );
    await assert.rejects(
      verifyBytes(data, ps, cert, { alg: "RS256" }),
      rejectsWith("signature_invalid"),
    );
    await assert.rejects(
      verifyBytes(data, ps.subarray(1), cert, { alg: "PS256" }),
      rejectsWith("signature_invalid"),
    );
  });

  test("precomputed digests verify without rehashing (RS256, PS256, ES256)", async () => {
    const rsaCert = parseCertificate(rsa.certPem);
    const d = sha256(data);
    const rs = opensslSign(dir, rsa, "RS256", data);
    await verifyBytes(d, rs, rsaCert, { alg: "RS256", precomputedDigest: true });
    const ps = opensslSignDigest(dir, rsa, d, [
      "-pkeyopt",
      "rsa_padding_mode:pss",
      "-pkeyopt",
      "rsa_pss_saltlen:32",
      "-pkeyopt",
      "digest:sha256",
    ]);
    await verifyBytes(d, ps, rsaCert, { alg: "PS256", precomputedDigest: true });
    await verifyBytes(data, ps, rsaCert, { alg: "PS256" });
    const ecCert = parseCertificate(ec.certPem);
    const es = opensslSignDigest(dir, ec, d, ["-pkeyopt", "digest:sha256"]);
    await verifyBytes(d, es, ecCert, { alg: "ES256", precomputedDigest: true });
    const wrong = sha256(new TextEncoder().encode("nope"));
    for (
      const [sig, alg, cert] of [[rs, "RS256", rsaCert], [ps, "PS256", rsaCert], [
        es,
        "ES256",
        ecCert,
      ]] as const
    ) {
      await assert.rejects(
        verifyBytes(wrong, sig, cert, { alg, precomputedDigest: true }),
        rejectsWith("signature_invalid"),
      );
    }
    await assert.rejects(
      verifyBytes(d.subarray(1), rs, rsaCert, { alg: "RS256", precomputedDigest: true }),
      RangeError,
    );
    await assert.rejects(
      verifyBytes(d, rs, parseCertificate(ed.certPem), { alg: "EdDSA", precomputedDigest: true }),
      RangeError,
    );
  });

  test("unknown, none and incompatible algs are refused before any math", async () => {
    let calls = 0;
    const backend: VerifyBackend = { verify: () => (calls++, Promise.resolve(true)) };
    const cert = parseCertificate(rsa.certPem);
    await assert.rejects(
      verifyBytes(data, data, cert, { alg: "HS256", backend }),
      rejectsWith("unsupported_alg"),
    );
    await assert.rejects(
      verifyBytes(data, data, cert, { alg: "none", backend }),
      rejectsWith("unsupported_alg"),
    );
    await assert.rejects(
      verifyBytes(data, data, cert, { alg: "ES256", backend }),
      rejectsWith("incompatible_alg"),
    );
    assert.equal(calls, 0);
    await verifyBytes(data, data, cert, { alg: "RS256", backend });
    assert.equal(calls, 1, "the backend is pluggable");
    await assert.rejects(verifyBytes(data, data, {} as never), TypeError);
  });

  test("cleanup", () => cleanup());
});
