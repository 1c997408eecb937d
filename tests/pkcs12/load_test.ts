import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PKCS12 } from "../../src/pkcs12/mod.ts";
import { runOk } from "../_support/run.ts";
import { rejectsWith } from "./_assert.ts";
import { caFile, exportP12, makeChain, PASSWORD } from "./_fixtures.ts";

const fx = makeChain();
const cas = caFile(fx);
const rsa = ["-in", fx.rsaCert, "-inkey", fx.rsaKey, "-certfile", cas];

/** What `openssl pkcs12 -info` says about a bundle's algorithms. */
function opensslInfo(path: string, password = PASSWORD, legacy = false): string {
  const args = ["pkcs12", "-in", path, "-info", "-noout", "-passin", `pass:${password}`];
  return runOk("openssl", legacy ? [...args, "-legacy"] : args).stderr;
}

async function assertRsaChain(source: string | Uint8Array, password = PASSWORD): Promise<void> {
  const bundle = await PKCS12.load(source, { password });
  assert.deepEqual(bundle.leaf.der, fx.der(fx.rsaCert));
  assert.deepEqual(bundle.chain.map((c) => c.der), [fx.der(fx.intCert), fx.der(fx.rootCert)]);
  assert.equal(bundle.hasPrivateKey, true);
}

describe("PKCS12.load on bundles made by openssl pkcs12 -export", () => {
  test("default: PBES2/PBKDF2/AES-256-CBC, SHA-256 MAC, chain of 3 ordered leaf → root", async () => {
    const { path, bytes } = exportP12(fx, [...rsa, "-name", "Legal proxy 2026"]);
    const info = opensslInfo(path);
    assert.match(info, /MAC: sha256/);
    assert.match(info, /PBES2, PBKDF2, AES-256-CBC/);
    await assertRsaChain(path);
    await assertRsaChain(bytes);
    const bundle = await PKCS12.load(bytes, { password: PASSWORD });
    assert.equal(bundle.friendlyName, "Legal proxy 2026");
    assert.equal(bundle.leaf.subject, "C=CL,O=pkcs11ex p12 tests,CN=Leaf RSA");
  });

  test("-legacy: RC2-40 certificates, 3DES key, SHA-1 MAC", async () => {
    const { path } = exportP12(fx, [...rsa, "-legacy"]);
    const info = opensslInfo(path, PASSWORD, true);
    assert.match(info, /MAC: sha1/);
    assert.match(info, /pbeWithSHA1And40BitRC2-CBC/);
    assert.match(info, /pbeWithSHA1And3-KeyTripleDES-CBC/);
    await assertRsaChain(path);
  });

  const variants: [string, string[]][] = [
    ["2-key 3DES key, RC2-128 certificates", [
      "-legacy",
      "-keypbe",
      "PBE-SHA1-2DES",
      "-certpbe",
      "PBE-SHA1-RC2-128",
    ]],
    ["AES-192 key, AES-128 certificates, SHA-512 MAC", [
      "-keypbe",
      "aes-192-cbc",
      "-certpbe",
      "aes-128-cbc",
      "-macalg",
      "sha512",
    ]],
    ["PBES2 3DES key, SHA-384 MAC", ["-keypbe", "des-ede3-cbc", "-macalg", "sha384"]],
    ["SHA-1 MAC", ["-macalg", "sha1"]],
    ["-nomac", ["-nomac"]],
    ["-keypbe NONE -certpbe NONE", ["-keypbe", "NONE", "-certpbe", "NONE"]],
    ["no MAC and no encryption", ["-keypbe", "NONE", "-certpbe", "NONE", "-nomac"]],
  ];
  for (const [name, args] of variants) {
    test(name, async () => {
      await assertRsaChain(exportP12(fx, [...rsa, ...args]).path);
    });
  }

  test("an EC key", async () => {
    const { bytes } = exportP12(fx, ["-in", fx.ecCert, "-inkey", fx.ecKey, "-certfile", cas]);
    const bundle = await PKCS12.load(bytes, { password: PASSWORD });
    assert.deepEqual(bundle.leaf.der, fx.der(fx.ecCert));
    assert.equal(bundle.leaf.keyType, "ec");
    assert.equal(bundle.chain.length, 2);
    assert.equal(bundle.hasPrivateKey, true);
  });

  test("-nokeys: no private key, the end-entity certificate is the leaf", async () => {
    const { bytes } = exportP12(fx, ["-in", cas, "-certfile", fx.rsaCert, "-nokeys"]);
    const bundle = await PKCS12.load(bytes, { password: PASSWORD });
    assert.equal(bundle.hasPrivateKey, false);
    assert.deepEqual(bundle.leaf.der, fx.der(fx.rsaCert));
    assert.deepEqual(bundle.chain.map((c) => c.der), [fx.der(fx.intCert), fx.der(fx.rootCert)]);
  });

  test("a single CA certificate (trust anchor bundle)", async () => {
    const { bytes } = exportP12(fx, ["-in", fx.rootCert, "-nokeys"]);
    const bundle = await PKCS12.load(bytes, { password: PASSWORD });
    assert.deepEqual(bundle.leaf.der, fx.der(fx.rootCert));
    assert.deepEqual(bundle.chain, []);
  });

  test("a wrong password is p12_password_incorrect (MAC, legacy, no MAC)", async () => {
    for (const args of [[], ["-legacy"], ["-nomac"], ["-nomac", "-certpbe", "NONE"]]) {
      const { bytes } = exportP12(fx, [...rsa, ...args]);
      await rejectsWith(PKCS12.load(bytes, { password: "wrong" }), "p12_password_incorrect");
      await rejectsWith(PKCS12.load(bytes), "p12_password_incorrect");
    }
  });

  test('an empty password: undefined and "" both open it', async () => {
    for (const args of [[], ["-legacy"]]) {
      const { bytes } = exportP12(fx, [...rsa, ...args], "");
      assert.equal((await PKCS12.load(bytes)).hasPrivateKey, true);
      assert.equal((await PKCS12.load(bytes, { password: "" })).hasPrivateKey, true);
      await rejectsWith(PKCS12.load(bytes, { password: "x" }), "p12_password_incorrect");
    }
  });

  test("a non-ASCII password, as a string and as UTF-8 bytes", async () => {
    const password = "contraseña-€-😀";
    for (const args of [[], ["-legacy"]]) {
      const { bytes } = exportP12(fx, [...rsa, ...args], password);
      await assertRsaChain(bytes, password);
      const utf8 = new TextEncoder().encode(password);
      const bundle = await PKCS12.load(bytes, { password: utf8 });
      assert.equal(bundle.hasPrivateKey, true);
      assert.deepEqual(utf8, new TextEncoder().encode(password), "the caller's bytes are kept");
    }
  });

  test("unsupported ciphers fail with p12_unsupported_kdf naming the OID", async () => {
    const des = exportP12(fx, [...rsa, "-legacy", "-keypbe", "des-cbc"]).bytes;
    const detail = await rejectsWith(
      PKCS12.load(des, { password: PASSWORD }),
      "p12_unsupported_kdf",
    );
    assert.deepEqual(detail, { oid: "1.3.14.3.2.7" });
    const rc4 = exportP12(fx, [...rsa, "-legacy", "-keypbe", "PBE-SHA1-RC4-128"]).bytes;
    const d2 = await rejectsWith(PKCS12.load(rc4, { password: PASSWORD }), "p12_unsupported_kdf");
    assert.deepEqual(d2, { oid: "1.2.840.113549.1.12.1.1" });
  });

  test("maxChain caps the number of certificates", async () => {
    const { bytes } = exportP12(fx, rsa);
    await rejectsWith(
      PKCS12.load(bytes, { password: PASSWORD, maxChain: 2 }),
      "p12_chain_too_long",
    );
    const bundle = await PKCS12.load(bytes, { password: PASSWORD, maxChain: 3 });
    assert.equal(bundle.chain.length, 2);
  });

  test("the default maxChain is 8", async () => {
    const extras: string[] = [];
    for (let i = 0; i < 6; i++) {
      const k = join(fx.dir, `extra${i}.key`);
      const c = join(fx.dir, `extra${i}.pem`);
      runOk("openssl", [
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        k,
      ]);
      runOk("openssl", ["req", "-new", "-x509", "-key", k, "-out", c, "-subj", `/CN=extra ${i}`]);
      extras.push(readFileSync(c, "utf8"));
    }
    const withExtras = (n: number): Uint8Array => {
      const file = join(fx.dir, `cas+${n}.pem`);
      writeFileSync(file, readFileSync(cas, "utf8") + extras.slice(0, n).join(""));
      return exportP12(fx, ["-in", fx.rsaCert, "-inkey", fx.rsaKey, "-certfile", file]).bytes;
    };
    const eight = await PKCS12.load(withExtras(5), { password: PASSWORD });
    assert.deepEqual(eight.chain.slice(0, 2).map((c) => c.der), [
      fx.der(fx.intCert),
      fx.der(fx.rootCert),
    ]);
    assert.equal(eight.chain.length, 7);
    await rejectsWith(PKCS12.load(withExtras(6), { password: PASSWORD }), "p12_chain_too_long");
  });

  test("removes the fixtures", () => fx.cleanup());
});
