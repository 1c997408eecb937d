import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLibcryptoBackend } from "../../../src/core/verify_backends/libcrypto.ts";
import { createWebCryptoBackend } from "../../../src/core/_verify_webcrypto.ts";
import { type VerifyBackend, verifyBytes } from "../../../src/core/verify_bytes.ts";
import { createAlgorithmRegistry } from "../../../src/core/algorithms/registry.ts";
import { parseCertificate, type X509Certificate } from "../../../src/core/x509.ts";
import { makeSelfSigned, type TestIdentity } from "../../_support/software_keys.ts";
import { run, runOk } from "../../_support/run.ts";
import { makeTempDir } from "../../_support/tmp.ts";
import { opensslSign as signWithOpenssl, outcome, PSS } from "./_openssl.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const sha256 = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());
const ALL_FAMILIES = ["rsa_pkcs1", "rsa_pss", "ecdsa", "eddsa"] as const;

describe("libcrypto verify backend", () => {
  const { dir, cleanup } = makeTempDir();
  const ids = {
    rsa: makeSelfSigned(dir, "rsa"),
    rsa2: makeSelfSigned(dir, "rsa", { name: "rsa-other" }),
    ec: makeSelfSigned(dir, "ec"),
    ec2: makeSelfSigned(dir, "ec", { name: "ec-other" }),
    ed: makeSelfSigned(dir, "ed25519"),
    ed2: makeSelfSigned(dir, "ed25519", { name: "ed-other" }),
  };
  const certs = Object.fromEntries(
    Object.entries(ids).map(([k, id]) => [k, parseCertificate(id.certPem)]),
  ) as Record<keyof typeof ids, X509Certificate>;
  const libcrypto = createLibcryptoBackend({ families: ALL_FAMILIES });
  const webcrypto = createWebCryptoBackend();
  const message = enc("the signed bytes, for the differential check");

  function file(name: string, bytes: Uint8Array): string {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  }

  const opensslSign = (id: TestIdentity, alg: string, input: Uint8Array, opts = PSS) =>
    signWithOpenssl(dir, id, alg, input, opts);

  function opensslVerifies(id: TestIdentity, alg: string, input: Uint8Array, sig: Uint8Array) {
    const pub = join(dir, "pub.pem");
    runOk("openssl", ["x509", "-in", id.certPath, "-pubkey", "-noout", "-out", pub]);
    const inPath = file("in.bin", input);
    const sigPath = file("sig.bin", sig);
    const args = alg === "EdDSA"
      ? [
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        pub,
        "-rawin",
        "-in",
        inPath,
        "-sigfile",
        sigPath,
      ]
      : [
        "dgst",
        "-sha256",
        "-verify",
        pub,
        "-signature",
        sigPath,
        ...(alg === "PS256" ? PSS : []),
        inPath,
      ];
    return run("openssl", args).status === 0;
  }

  const cases = [
    { alg: "RS256", key: "rsa", other: "rsa2" },
    { alg: "PS256", key: "rsa", other: "rsa2" },
    { alg: "ES256", key: "ec", other: "ec2" },
    { alg: "EdDSA", key: "ed", other: "ed2" },
  ] as const;

  for (const { alg, key, other } of cases) {
    test(`${alg}: libcrypto, WebCrypto and openssl agree on valid, tampered, wrong-key and malformed signatures`, async () => {
      const sig = opensslSign(ids[key], alg, message);
      const flipped = sig.slice();
      flipped[Math.floor(sig.length / 2)] ^= 0x10;
      const variants: {
        name: string;
        data: Uint8Array;
        sig: Uint8Array;
        signer: keyof typeof ids;
      }[] = [
        { name: "valid", data: message, sig, signer: key },
        { name: "tampered data", data: enc("other bytes"), sig, signer: key },
        { name: "flipped signature", data: message, sig: flipped, signer: key },
        { name: "wrong key", data: message, sig, signer: other },
        { name: "truncated", data: message, sig: sig.subarray(0, sig.length - 1), signer: key },
        { name: "garbage", data: message, sig: new Uint8Array(sig.length).fill(0x30), signer: key },
        { name: "empty", data: message, sig: new Uint8Array(0), signer: key },
      ];
      if (alg === "PS256") {
        variants.push({
          name: "salt 20",
          data: message,
          sig: opensslSign(ids[key], alg, message, [
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:20",
          ]),
          signer: key,
        });
      }
      if (alg === "RS256") {
        variants.push({
          name: "PSS signature as RS256",
          data: message,
          sig: opensslSign(ids[key], "PS256", message),
          signer: key,
        });
      }
      for (const v of variants) {
        const check = (backend: VerifyBackend) =>
          outcome(() => verifyBytes(v.data, v.sig, certs[v.signer], { alg, backend }));
        const ours = await check(libcrypto);
        assert.equal(ours, await check(webcrypto), `${alg} ${v.name}: libcrypto vs WebCrypto`);
        const expected = opensslVerifies(ids[v.signer], alg, v.data, v.sig);
        assert.equal(ours === "ok", expected, `${alg} ${v.name}: libcrypto vs openssl`);
      }
    });
  }

  test("precomputed digests agree with WebCrypto (RS256, PS256, ES256), wrong lengths refused", async () => {
    const digest = sha256(message);
    for (const { alg, key } of cases.filter((c) => c.alg !== "EdDSA")) {
      const sig = opensslSign(ids[key], alg, message);
      for (const d of [digest, sha256(enc("another message")), digest.subarray(1)]) {
        const check = (backend: VerifyBackend) =>
          outcome(() => verifyBytes(d, sig, certs[key], { alg, backend, precomputedDigest: true }));
        const ours = await check(libcrypto);
        assert.equal(ours, await check(webcrypto), `${alg} digest of ${d.length} bytes`);
      }
      assert.equal(
        await outcome(() =>
          verifyBytes(digest, sig, certs[key], { alg, backend: libcrypto, precomputedDigest: true })
        ),
        "ok",
      );
    }
  });

  const registry = createAlgorithmRegistry();
  const request = (alg: string, spkiDer: Uint8Array, signature: Uint8Array) => ({
    algorithm: registry.get(alg)!,
    spkiDer,
    spkiSha256Hex: createHash("sha256").update(spkiDer).digest("hex"),
    data: message,
    signature,
    precomputedDigest: false,
  });

  test("refuses malformed SPKI, trailing bytes and a key of the wrong type", async () => {
    const sig = opensslSign(ids.rsa, "PS256", message);
    const spki = certs.rsa.spkiDer;
    const withTrailing = new Uint8Array([...spki, 0]);
    for (const bad of [new Uint8Array(0), spki.subarray(0, 40), withTrailing, enc("garbage")]) {
      await assert.rejects(libcrypto.verify(request("PS256", bad, sig)));
    }
    await assert.rejects(libcrypto.verify(request("PS256", certs.ec.spkiDer, sig)));
    await assert.rejects(libcrypto.verify(request("EdDSA", certs.rsa.spkiDer, sig)));
  });

  test("a one-key cache evicts and frees keys, and stays correct", async () => {
    const small = createLibcryptoBackend({ maxKeys: 1 });
    const a = opensslSign(ids.rsa, "RS256", message);
    const b = opensslSign(ids.rsa2, "RS256", message);
    for (let i = 0; i < 3; i++) {
      assert.equal(await small.verify(request("RS256", certs.rsa.spkiDer, a)), true);
      assert.equal(await small.verify(request("RS256", certs.rsa2.spkiDer, b)), true);
      assert.equal(await small.verify(request("RS256", certs.rsa2.spkiDer, a)), false);
    }
  });

  test("falls back to WebCrypto when libcrypto is absent, and for CryptoKeys", async () => {
    const absent = createLibcryptoBackend({ libraryNames: ["/nonexistent/libcrypto.so.3"] });
    const sig = opensslSign(ids.rsa, "PS256", message);
    assert.equal(await absent.verify(request("PS256", certs.rsa.spkiDer, sig)), true);
    assert.equal(await absent.verify(request("PS256", certs.rsa2.spkiDer, sig)), false);
    const cryptoKey = await crypto.subtle.importKey(
      "spki",
      certs.rsa.spkiDer as BufferSource,
      { name: "RSA-PSS", hash: "SHA-256" },
      true,
      ["verify"],
    );
    await verifyBytes(message, sig, cryptoKey, { alg: "PS256", backend: libcrypto });
  });

  test("cleanup", () => cleanup());
});
