import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash, createPrivateKey, generateKeyPairSync, sign as nodeSign } from "node:crypto";
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
import { createThreadedBackend } from "../../src/core/verify_backends/threaded.ts";
import { encodeTlv } from "../../src/core/x509/der.ts";
import { rsaPublicNumbers } from "../../src/core/x509/public_key.ts";

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

describe("verifyBytes refuses keys that cannot vouch for anything", () => {
  const { dir, cleanup } = makeTempDir();
  const rsa = makeSelfSigned(dir, "rsa");
  const ed = makeSelfSigned(dir, "ed25519");
  const rsaSpki = (n: Uint8Array, e: Uint8Array) => {
    const int = (b: Uint8Array) => encodeTlv(0x02, b[0] & 0x80 ? new Uint8Array([0, ...b]) : b);
    const key = encodeTlv(0x30, new Uint8Array([...int(n), ...int(e)]));
    const alg = Uint8Array.from([
      0x30,
      0x0d,
      0x06,
      0x09,
      0x2a,
      0x86,
      0x48,
      0x86,
      0xf7,
      0x0d,
      0x01,
      0x01,
      0x01,
      0x05,
      0x00,
    ]);
    return encodeTlv(
      0x30,
      new Uint8Array([...alg, ...encodeTlv(0x03, new Uint8Array([0, ...key]))]),
    );
  };
  const realN = () => {
    const spki = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({
      type: "spki",
      format: "der",
    });
    return rsaPublicNumbers(new Uint8Array(spki)).n;
  };
  const weak = (e: unknown) =>
    isPkcs11exError(e, "incompatible_alg") && e.detail.kind === "weak_key";

  test("RSA with e = 1: the encoded message itself would verify; refused before any math", async () => {
    const n = realN();
    const key = rsaSpki(n, Uint8Array.of(1));
    const digestInfo = Uint8Array.from([
      0x30,
      0x31,
      0x30,
      0x0d,
      0x06,
      0x09,
      0x60,
      0x86,
      0x48,
      0x01,
      0x65,
      0x03,
      0x04,
      0x02,
      0x01,
      0x05,
      0x00,
      0x04,
      0x20,
      ...sha256(data),
    ]);
    const em = new Uint8Array(n.length);
    em.set([0x00, 0x01]);
    em.fill(0xff, 2, n.length - digestInfo.length - 1);
    em.set(digestInfo, n.length - digestInfo.length);
    await assert.rejects(verifyBytes(data, em, key, { alg: "RS256" }), weak);
    await assert.rejects(
      verifyBytes(sha256(data), em, key, { alg: "RS256", precomputedDigest: true }),
      weak,
    );
  });

  test("RSA with an even modulus, an even exponent, or 20 000 bits is refused", async () => {
    const n = realN();
    const even = n.slice();
    even[even.length - 1] &= 0xfe;
    const huge = new Uint8Array(2500).fill(0xff);
    for (
      const key of [
        rsaSpki(even, Uint8Array.of(1, 0, 1)),
        rsaSpki(n, Uint8Array.of(4)),
        rsaSpki(huge, huge.subarray(1)),
      ]
    ) {
      await assert.rejects(verifyBytes(data, new Uint8Array(256), key, { alg: "RS256" }), weak);
    }
  });

  test("Ed25519 keys of small order are refused (R = identity, S = 0 verifies for any message)", async () => {
    const prefix = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const signature = new Uint8Array(64);
    signature.set(identity);
    const order8 = Buffer.from(
      "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
      "hex",
    );
    for (const point of [identity, new Uint8Array(32), order8]) {
      const key = new Uint8Array([...prefix, ...point]);
      await assert.rejects(verifyBytes(data, signature, key, { alg: "EdDSA" }), weak);
    }
  });

  test("key bytes that are no SubjectPublicKeyInfo are signature_invalid", async () => {
    for (
      const key of [
        new Uint8Array(0),
        new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]),
        parseCertificate(ed.certPem).der,
      ]
    ) {
      await assert.rejects(
        verifyBytes(data, new Uint8Array(64), key),
        (e) => isPkcs11exError(e, "signature_invalid"),
      );
    }
  });

  test("a 70 000-byte signature through the threaded backend is signature_invalid", async () => {
    const backend = createThreadedBackend({ threads: 1 });
    try {
      await assert.rejects(
        verifyBytes(data, new Uint8Array(70_000), parseCertificate(rsa.certPem), {
          alg: "RS256",
          backend,
        }),
        (e) => isPkcs11exError(e, "signature_invalid"),
      );
    } finally {
      backend.close();
    }
  });

  test("cleanup", () => cleanup());
});
