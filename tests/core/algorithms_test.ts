import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  createHash,
  generateKeyPairSync,
  sign as nodeSign,
  verify as nodeVerify,
} from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  algCompatible,
  createAlgorithmRegistry,
  digestInfo,
  ecdsaDerToRaw,
  ecdsaRawToDer,
  rsaPssAlgorithm,
} from "../../src/core/algorithms/mod.ts";
import { isPkcs11exError } from "../../src/core/errors.ts";
import { runOk } from "../_support/run.ts";
import { makeTempDir } from "../_support/tmp.ts";

const registry = createAlgorithmRegistry();

describe("built-in algorithms", () => {
  test("sign plans are the PKCS#11 mechanisms the token needs", () => {
    assert.deepEqual(registry.get("RS256")!.signPlan(false), {
      mechanism: { mechanism: "CKM_SHA256_RSA_PKCS" },
      input: "message",
    });
    assert.deepEqual(registry.get("RS256")!.signPlan(true), {
      mechanism: { mechanism: "CKM_RSA_PKCS" },
      input: "digest_info",
    });
    const pss = { hashAlg: "CKM_SHA256", mgf: "CKG_MGF1_SHA256", sLen: 32 };
    assert.deepEqual(registry.get("PS256")!.signPlan(false), {
      mechanism: { mechanism: "CKM_SHA256_RSA_PKCS_PSS", pss },
      input: "message",
    });
    assert.deepEqual(registry.get("PS256")!.signPlan(true), {
      mechanism: { mechanism: "CKM_RSA_PKCS_PSS", pss },
      input: "digest",
    });
    for (const pre of [false, true]) {
      assert.deepEqual(registry.get("ES256")!.signPlan(pre), {
        mechanism: { mechanism: "CKM_ECDSA" },
        input: "digest",
      });
    }
    assert.deepEqual(registry.get("EdDSA")!.signPlan(false).mechanism, { mechanism: "CKM_EDDSA" });
    assert.throws(() => registry.get("EdDSA")!.signPlan(true), RangeError);
    assert.equal(registry.get("EdDSA")!.hash, "none");
    assert.equal(registry.get("none"), undefined);
  });

  test("sign plans are made once and frozen, mechanism parameters included", () => {
    for (const name of ["RS256", "PS256", "ES256", "EdDSA"]) {
      for (const pre of name === "EdDSA" ? [false] : [false, true]) {
        const plan = registry.get(name)!.signPlan(pre);
        assert.equal(registry.get(name)!.signPlan(pre), plan, `${name}: the same object each call`);
        assert.ok(Object.isFrozen(plan) && Object.isFrozen(plan.mechanism), name);
        if (plan.mechanism.pss !== undefined) assert.ok(Object.isFrozen(plan.mechanism.pss));
      }
    }
  });

  test("ES256 der context round-trips with node:crypto's DER and IEEE P1363 encodings", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const es = registry.get("ES256")!;
    for (let i = 0; i < 40; i++) {
      const data = new TextEncoder().encode(`message ${i}`);
      const raw = new Uint8Array(
        nodeSign("sha256", data, { key: privateKey, dsaEncoding: "ieee-p1363" }),
      );
      const der = es.encodeSignature(raw, "der");
      assert.ok(nodeVerify("sha256", data, publicKey, der), "node accepts our DER");
      assert.deepEqual(es.decodeSignature(der, "der"), raw);
      const nodeDer = new Uint8Array(nodeSign("sha256", data, privateKey));
      const back = es.decodeSignature(nodeDer, "der");
      assert.ok(nodeVerify("sha256", data, { key: publicKey, dsaEncoding: "ieee-p1363" }, back));
      assert.deepEqual(ecdsaRawToDer(back, 32), nodeDer, "minimal DER, same bytes as OpenSSL");
      assert.equal(es.encodeSignature(raw, "jose"), raw);
    }
  });

  test("DER encoding handles high-bit and leading-zero integers minimally", () => {
    const raw = new Uint8Array(64);
    raw[0] = 0x80;
    raw[63] = 0x01;
    raw[62] = 0x00;
    const der = ecdsaRawToDer(raw, 32);
    assert.deepEqual(Array.from(der.subarray(0, 4)), [0x30, 0x26, 0x02, 0x21]);
    assert.deepEqual(Array.from(der.subarray(-3)), [0x02, 0x01, 0x01]);
    assert.deepEqual(ecdsaDerToRaw(der, 32), raw);
  });

  test("malformed DER signatures are signature_invalid, never a crash", () => {
    const es = registry.get("ES256")!;
    const good = ecdsaRawToDer(new Uint8Array(64).fill(0x11), 32);
    const bad: Uint8Array[] = [
      new Uint8Array(),
      good.slice(0, good.length - 1),
      new Uint8Array([...good, 0]),
      new Uint8Array([0x30, 0x80, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0, 0]),
      new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01]), // negative
      new Uint8Array([0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01]), // non-minimal
      new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), // one integer
      new Uint8Array([0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]), // SET
      new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01]), // r = 0
      new Uint8Array([0x30, 0x25, 0x02, 0x21, ...new Uint8Array(33).fill(0x7f), 0x02, 0x00]),
    ];
    for (const sig of bad) {
      assert.throws(
        () => es.decodeSignature(sig, "der"),
        (e) => isPkcs11exError(e, "signature_invalid"),
      );
    }
    assert.throws(
      () => es.decodeSignature(new Uint8Array(63), "jose"),
      (e) => isPkcs11exError(e, "signature_invalid"),
    );
    assert.throws(
      () => es.encodeSignature(new Uint8Array(65), "der"),
      (e) => isPkcs11exError(e, "signature_invalid"),
    );
  });

  test("digestInfo matches what openssl recovers from a PKCS#1 v1.5 signature", () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const data = new TextEncoder().encode("abc");
      writeFileSync(join(dir, "pub.pem"), publicKey.export({ type: "spki", format: "pem" }));
      writeFileSync(join(dir, "sig.bin"), nodeSign("sha256", data, privateKey));
      const recovered = runOk("openssl", [
        "pkeyutl",
        "-verifyrecover",
        "-pubin",
        "-inkey",
        join(dir, "pub.pem"),
        "-in",
        join(dir, "sig.bin"),
        "-pkeyopt",
        "rsa_padding_mode:pkcs1",
      ]).stdoutBytes;
      const hash = new Uint8Array(createHash("sha256").update(data).digest());
      assert.deepEqual(recovered, digestInfo("sha256", hash));
    } finally {
      cleanup();
    }
  });

  test("algCompatible follows api §2.3.3", () => {
    const ps = registry.get("PS256")!;
    const es = registry.get("ES256")!;
    assert.equal(algCompatible(ps, { keyType: "rsa", keySize: 2048 }), true);
    assert.equal(algCompatible(ps, { keyType: "rsa", keySize: 1024 }), false);
    assert.equal(algCompatible(ps, { keyType: "ec", keySize: 256, curve: "P-256" }), false);
    assert.equal(algCompatible(es, { keyType: "rsa", keySize: 2048 }), false);
    assert.equal(algCompatible(es, { keyType: "ec", keySize: 384, curve: "P-384" }), false);
    assert.equal(algCompatible(es, { keyType: "ec", keySize: 256, curve: "P-256" }), true);
    assert.equal(algCompatible(registry.get("EdDSA")!, { keyType: "ed25519", keySize: 256 }), true);
  });

  test("custom algorithms extend the registry; bad ones are refused", () => {
    const r = createAlgorithmRegistry({ PS512: rsaPssAlgorithm("PS512", "sha512", 64) });
    assert.deepEqual(r.names().sort(), ["ES256", "EdDSA", "PS256", "PS512", "RS256"]);
    assert.equal(r.get("PS512")!.signPlan(false).mechanism.mechanism, "CKM_SHA512_RSA_PKCS_PSS");
    assert.throws(
      () => createAlgorithmRegistry({ X: rsaPssAlgorithm("Y", "sha256", 32) }),
      TypeError,
    );
    assert.throws(
      () => createAlgorithmRegistry({ none: rsaPssAlgorithm("none", "sha256", 32) }),
      RangeError,
    );
    assert.throws(() => createAlgorithmRegistry({ Z: {} as never }), TypeError);
    assert.equal(digestInfo("sha256", new Uint8Array(32)).length, 51);
    assert.throws(() => digestInfo("sha256", new Uint8Array(31)), RangeError);
  });
});
