import { describe, test } from "node:test";
import { concatBytes } from "../../../src/core/_bytes.ts";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createThreadedBackend } from "../../../src/core/verify_backends/threaded.ts";
import {
  decodeVerifyPlan,
  encodeVerifyPlan,
  type PackedVerification,
  packVerification as packParts,
  unpackVerification,
} from "../../../src/core/verify_backends/_verify_protocol.ts";

/** One lane request's bytes, as the lane would put them in a slot. */
function packVerification(v: PackedVerification): Uint8Array {
  return concatBytes(packParts(v));
}
import { createLibcryptoBackend } from "../../../src/core/verify_backends/libcrypto.ts";
import { type VerifyBackend, verifyBytes } from "../../../src/core/verify_bytes.ts";
import { createAlgorithmRegistry } from "../../../src/core/algorithms/registry.ts";
import { parseCertificate } from "../../../src/core/x509.ts";
import { makeSelfSigned, type TestIdentity } from "../../_support/software_keys.ts";
import { makeTempDir } from "../../_support/tmp.ts";
import { opensslSign as signWithOpenssl, outcome } from "./_openssl.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const sha256 = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());

describe("threaded verify backend (libcrypto on worker threads)", () => {
  const { dir } = makeTempDir();
  const ids = {
    rsa: makeSelfSigned(dir, "rsa"),
    rsa2: makeSelfSigned(dir, "rsa", { name: "rsa-other" }),
    ec: makeSelfSigned(dir, "ec"),
    ec2: makeSelfSigned(dir, "ec", { name: "ec-other" }),
  };
  const certs = {
    rsa: parseCertificate(ids.rsa.certPem),
    rsa2: parseCertificate(ids.rsa2.certPem),
    ec: parseCertificate(ids.ec.certPem),
    ec2: parseCertificate(ids.ec2.certPem),
  };
  const inThread = createLibcryptoBackend();
  const message = enc("the signed bytes, checked off the main thread");
  // Larger than a lane slot (8 KiB): hashed on the main thread, verified as a digest.
  const large = new Uint8Array(20_000).map((_, i) => i * 7);

  const opensslSign = (id: TestIdentity, alg: string, input: Uint8Array) =>
    signWithOpenssl(dir, id, alg, input);

  const cases = [
    { alg: "RS256", key: "rsa", other: "rsa2" },
    { alg: "PS256", key: "rsa", other: "rsa2" },
    { alg: "ES256", key: "ec", other: "ec2" },
  ] as const;

  test("agrees with the in-thread backend on valid, tampered, wrong-key and malformed signatures, and the workers did the work", async () => {
    const threaded = createThreadedBackend({ threads: 2 });
    try {
      await threaded.start();
      assert.equal(threaded.running, 2);
      for (const { alg, key, other } of cases) {
        for (const data of [message, large]) {
          const sig = opensslSign(ids[key], alg, data);
          const flipped = sig.slice();
          flipped[sig.length >> 1] ^= 0x10;
          const variants = [
            { name: "valid", data, sig, signer: key },
            { name: "tampered data", data: enc("other bytes"), sig, signer: key },
            { name: "flipped signature", data, sig: flipped, signer: key },
            { name: "wrong key", data, sig, signer: other },
            { name: "truncated", data, sig: sig.subarray(0, sig.length - 1), signer: key },
            { name: "garbage", data, sig: new Uint8Array(sig.length).fill(0x30), signer: key },
          ] as const;
          for (const v of variants) {
            const check = (backend: VerifyBackend) =>
              outcome(() => verifyBytes(v.data, v.sig, certs[v.signer], { alg, backend }));
            // Twice: the first use of a key registers it with a worker (and runs here).
            for (let round = 0; round < 2; round++) {
              assert.equal(
                await check(threaded),
                await check(inThread),
                `${alg} ${v.name}, ${v.data.length} bytes`,
              );
            }
          }
          const ok = await outcome(() =>
            verifyBytes(data, sig, certs[key], { alg, backend: threaded })
          );
          assert.equal(ok, "ok", `${alg} valid over ${data.length} bytes`);
        }
      }
      assert.ok(threaded.offThread >= 30, `${threaded.offThread} verifications off-thread`);
    } finally {
      threaded.close();
    }
  });

  test("concurrent verifications beyond the lane's 64 slots all settle with the right answers (the overflow in-thread)", async () => {
    const threaded = createThreadedBackend({ threads: 1 });
    try {
      await threaded.start();
      const sig = opensslSign(ids.ec, "ES256", message);
      const bad = sig.slice();
      bad[10] ^= 1;
      const runs = Array.from(
        { length: 300 },
        (_, i) =>
          outcome(() =>
            verifyBytes(message, i % 3 === 0 ? bad : sig, certs.ec, {
              alg: "ES256",
              backend: threaded,
            })
          ),
      );
      const results = await Promise.all(runs);
      results.forEach((r, i) => assert.equal(r, i % 3 === 0 ? "signature_invalid" : "ok", `#${i}`));
      assert.ok(threaded.offThread >= 64, `${threaded.offThread} off-thread`);
    } finally {
      threaded.close();
    }
  });

  test("more signers than maxKeys: plan numbers are reused and every answer stays right", async () => {
    const threaded = createThreadedBackend({ threads: 1, maxKeys: 2 });
    try {
      await threaded.start();
      const signed = [
        { key: "rsa", alg: "RS256" },
        { key: "rsa2", alg: "RS256" },
        { key: "ec", alg: "ES256" },
        { key: "ec2", alg: "ES256" },
        { key: "rsa", alg: "PS256" },
      ] as const;
      const sigs = signed.map(({ key, alg }) => opensslSign(ids[key], alg, message));
      const check = (i: number) => {
        const { key, alg } = signed[i % signed.length];
        const wrongKey = i % 7 === 0;
        const cert = certs[wrongKey ? (key.startsWith("rsa") ? "ec" : "rsa") : key];
        return outcome(() =>
          verifyBytes(message, sigs[i % signed.length], cert, { alg, backend: threaded })
        ).then((result) => {
          if (wrongKey) assert.notEqual(result, "ok", `#${i} with the wrong key`);
          else assert.equal(result, "ok", `#${i}`);
        });
      };
      // 20 at a time, well within the lane's 64 slots, so that every one goes to the worker.
      for (let start = 0; start < 200; start += 20) {
        await Promise.all(Array.from({ length: 20 }, (_, i) => check(start + i)));
      }
      assert.ok(threaded.offThread >= 150, `${threaded.offThread} off-thread`);
    } finally {
      threaded.close();
    }
  });

  test("precomputed digests, and refused keys, behave as in-thread", async () => {
    const threaded = createThreadedBackend({ threads: 1 });
    const registry = createAlgorithmRegistry();
    try {
      await threaded.start();
      const sig = opensslSign(ids.rsa, "PS256", message);
      for (let round = 0; round < 2; round++) {
        for (const digest of [sha256(message), sha256(enc("else"))]) {
          const check = (backend: VerifyBackend) =>
            outcome(() =>
              verifyBytes(digest, sig, certs.rsa, {
                alg: "PS256",
                backend,
                precomputedDigest: true,
              })
            );
          assert.equal(await check(threaded), await check(inThread));
        }
        const wrongType = {
          algorithm: registry.get("PS256")!,
          spkiDer: certs.ec.spkiDer,
          spkiSha256Hex: certs.ec.spkiSha256Hex,
          data: message,
          signature: sig,
          precomputedDigest: false,
        };
        await assert.rejects(threaded.verify(wrongType), /cannot verify rsa_pss/);
      }
    } finally {
      threaded.close();
    }
  });

  test("close() stops the workers and what they had in flight finishes here; idle workers stop by themselves", async () => {
    // Idle long enough that a loaded machine starting the worker does not count as idle.
    const threaded = createThreadedBackend({ threads: 1, idleTimeout: 1000 });
    await threaded.start();
    const sig = opensslSign(ids.ec, "ES256", message);
    await verifyBytes(message, sig, certs.ec, { alg: "ES256", backend: threaded });
    const bad = sig.slice();
    bad[5] ^= 1;
    const inFlight = Array.from(
      { length: 50 },
      (_, i) =>
        outcome(() =>
          verifyBytes(message, i % 2 ? sig : bad, certs.ec, { alg: "ES256", backend: threaded })
        ),
    );
    threaded.close();
    assert.equal(threaded.running, 0);
    const settled = await Promise.all(inFlight);
    settled.forEach((r, i) => assert.equal(r, i % 2 ? "ok" : "signature_invalid", `#${i}`));

    await threaded.start();
    assert.equal(threaded.running, 1);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(threaded.running, 0, "stopped after 1 s without work");
    threaded.close();
  });

  test("without libcrypto in the workers everything runs here, with the same answers", async () => {
    const threaded = createThreadedBackend({
      threads: 1,
      libraryNames: ["libno-such-crypto.so.9"],
    });
    try {
      await threaded.start();
      assert.equal(threaded.running, 0);
      const sig = opensslSign(ids.rsa, "PS256", message);
      for (const data of [message, enc("tampered")]) {
        assert.equal(
          await outcome(() =>
            verifyBytes(data, sig, certs.rsa, { alg: "PS256", backend: threaded })
          ),
          await outcome(() =>
            verifyBytes(data, sig, certs.rsa, { alg: "PS256", backend: inThread })
          ),
        );
      }
      assert.equal(threaded.offThread, 0);
      await threaded.start();
      assert.equal(threaded.running, 0, "no new workers once libcrypto proved missing");
    } finally {
      threaded.close();
    }
  });

  test("refuses a thread count that is not a positive integer", () => {
    for (const threads of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => createThreadedBackend({ threads }), RangeError);
    }
  });
});

describe("verify lane packing", () => {
  const plan = {
    keyId: "ab",
    spkiDer: Uint8Array.of(0x30, 3, 1, 2, 3),
    scheme: "ecdsa" as const,
    hash: "sha256" as const,
  };
  const signature = new Uint8Array(70).fill(9);
  const data = new Uint8Array(32).fill(4);

  test("verifications and plans round-trip", () => {
    for (const precomputedDigest of [true, false]) {
      const back = unpackVerification(packVerification({ signature, data, precomputedDigest }));
      assert.deepEqual(back, { signature, data, precomputedDigest });
    }
    assert.deepEqual(decodeVerifyPlan(encodeVerifyPlan(plan)), { ...plan, saltLength: undefined });
  });

  test("truncated and hostile requests and plans are refused with typed errors, never misread", () => {
    const packed = packVerification({ signature, data, precomputedDigest: false });
    for (let cut = 0; cut < 3 + signature.length; cut++) {
      assert.throws(() => unpackVerification(packed.subarray(0, cut)), RangeError, `cut ${cut}`);
    }
    const lying = packed.slice();
    lying[2] = 0xff; // a signature longer than the request
    assert.throws(() => unpackVerification(lying), RangeError);
    assert.throws(
      () =>
        packVerification({ signature: new Uint8Array(0x10000), data, precomputedDigest: false }),
      RangeError,
    );
    const encoded = encodeVerifyPlan(plan);
    for (let cut = 0; cut < encoded.length; cut++) {
      assert.throws(() => decodeVerifyPlan(encoded.subarray(0, cut)), `plan cut ${cut}`);
    }
    const enc = new TextEncoder();
    for (const hostile of ['{"keyId":"ab"}', '{"keyId":1,"spki":"AAAA"}', '{"spki":"%%%"}', "[]"]) {
      assert.throws(() => decodeVerifyPlan(enc.encode(hostile)), hostile);
    }
  });
});
