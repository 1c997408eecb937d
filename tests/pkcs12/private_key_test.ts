import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { inspect } from "node:util";
import { PKCS12 } from "../../src/pkcs12/mod.ts";
import * as publicApi from "../../src/pkcs12/mod.ts";
import { readPrivateKeyForImport } from "../../src/pkcs12/_private_key.ts";
import { runOk } from "../_support/run.ts";
import { rejectsWith } from "./_assert.ts";
import { caFile, exportP12, makeChain, PASSWORD } from "./_fixtures.ts";

const fx = makeChain();
const cas = caFile(fx);

/** The hex sections of `openssl pkey -text` / `openssl rsa -text` as bytes, by label. */
function opensslKeyText(keyPath: string): Record<string, Uint8Array> {
  const text = runOk("openssl", ["pkey", "-in", keyPath, "-text", "-noout"]).stdout;
  const out: Record<string, Uint8Array> = {};
  for (const m of text.matchAll(/^(\w+):\s*\n((?:\s+[0-9a-f:]+\n)+)/gm)) {
    const hex = m[2].replace(/[\s:]/g, "");
    out[m[1]] = Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
  }
  const e = text.match(/publicExponent: (\d+)/);
  if (e) {
    const hex = BigInt(e[1]).toString(16);
    out.publicExponent = Uint8Array.from(
      hex.padStart(hex.length + (hex.length % 2), "0").match(/../g)!.map((h) => parseInt(h, 16)),
    );
  }
  const curve = text.match(/ASN1 OID: (\S+)/);
  if (curve) out[`curve:${curve[1]}`] = new Uint8Array(0);
  return out;
}

function unsigned(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Every Uint8Array and string reachable from `root` through own properties and getters. */
function reachable(root: unknown): { bytes: Uint8Array[]; strings: string[] } {
  const seen = new Set<unknown>();
  const bytes: Uint8Array[] = [];
  const strings: string[] = [];
  const visit = (v: unknown): void => {
    if (typeof v === "string") strings.push(v);
    if (v === null || (typeof v !== "object" && typeof v !== "function") || seen.has(v)) return;
    seen.add(v);
    if (v instanceof Uint8Array) return void bytes.push(v);
    for (
      let o: object | null = v as object;
      o && o !== Object.prototype;
      o = Object.getPrototypeOf(o)
    ) {
      for (const key of Reflect.ownKeys(o)) {
        try {
          visit((v as Record<PropertyKey, unknown>)[key]);
        } catch { /* a getter that throws exposes nothing */ }
      }
    }
  };
  visit(root);
  return { bytes, strings };
}

describe("the private key stays out of PKCS12.load's result", () => {
  test("no field, getter, inspection or JSON carries key bytes", async () => {
    const { bytes } = exportP12(fx, ["-in", fx.rsaCert, "-inkey", fx.rsaKey, "-certfile", cas]);
    const key = opensslKeyText(fx.rsaKey);
    const bundle = await PKCS12.load(bytes, { password: PASSWORD });
    assert.deepEqual(Object.keys(bundle), ["leaf", "chain", "hasPrivateKey", "friendlyName"]);
    assert.deepEqual(Object.getOwnPropertyNames(bundle), Object.keys(bundle));
    assert.deepEqual(Object.getOwnPropertySymbols(bundle), []);
    assert.ok(Object.isFrozen(bundle));
    const secrets = ["privateExponent", "prime1", "prime2", "coefficient"].map((k) =>
      unsigned(key[k]).subarray(0, 24)
    );
    const found = reachable(bundle);
    for (const b of found.bytes) for (const s of secrets) assert.ok(!contains(b, s));
    const json = JSON.stringify(bundle, (_k, v) => typeof v === "bigint" ? v.toString() : v);
    const shown = [inspect(bundle, { depth: 10 }), String(bundle), json, ...found.strings].join(
      "\n",
    );
    assert.doesNotMatch(shown, /PRIVATE KEY|privateExponent|prime1/i);
    for (const s of secrets) {
      const hex = Buffer.from(s).toString("hex");
      const b64 = Buffer.from(s).toString("base64").slice(0, 16);
      assert.ok(!shown.includes(hex) && !shown.includes(b64));
    }
  });

  test("the public entry exports PKCS12.load only (no key reader)", () => {
    assert.deepEqual(Object.keys(publicApi).sort(), ["PKCS12", "load"]);
    assert.equal(publicApi.load, PKCS12.load);
    assert.deepEqual(Object.keys(PKCS12), ["load"]);
  });
});

describe("readPrivateKeyForImport (internal)", () => {
  test("RSA components agree with openssl pkey -text; dispose() zeroes them", async () => {
    const { path } = exportP12(fx, [
      "-in",
      fx.rsaCert,
      "-inkey",
      fx.rsaKey,
      "-certfile",
      cas,
      "-name",
      "signing",
    ]);
    const expected = opensslKeyText(fx.rsaKey);
    const key = await readPrivateKeyForImport(path, { password: PASSWORD });
    assert.equal(key.keyType, "rsa");
    const rsa = key.rsa!;
    assert.deepEqual(rsa.modulus, unsigned(expected.modulus));
    assert.deepEqual(rsa.publicExponent, expected.publicExponent);
    assert.deepEqual(rsa.privateExponent, unsigned(expected.privateExponent));
    assert.deepEqual(rsa.prime1, unsigned(expected.prime1));
    assert.deepEqual(rsa.prime2, unsigned(expected.prime2));
    assert.deepEqual(rsa.exponent1, unsigned(expected.exponent1));
    assert.deepEqual(rsa.exponent2, unsigned(expected.exponent2));
    assert.deepEqual(rsa.coefficient, unsigned(expected.coefficient));
    for (const v of Object.values(rsa)) assert.notEqual(v[0], 0, "no leading zero");
    assert.deepEqual(key.leafDer, fx.der(fx.rsaCert));
    assert.deepEqual(key.chainDer, [fx.der(fx.intCert), fx.der(fx.rootCert)]);
    assert.equal(key.friendlyName, "signing");
    const info = runOk("openssl", [
      "pkcs12",
      "-in",
      path,
      "-passin",
      `pass:${PASSWORD}`,
      "-nokeys",
    ]);
    const lkid = info.stdout.match(/localKeyID: ([0-9A-F ]+)/)![1].replace(/ /g, "").toLowerCase();
    assert.equal(Buffer.from(key.localKeyId!).toString("hex"), lkid);
    key.dispose();
    for (const v of Object.values(rsa)) assert.ok(v.every((b: number) => b === 0));
  });

  test("EC parts agree with openssl pkey -text, from a -legacy bundle", async () => {
    const { bytes } = exportP12(fx, ["-in", fx.ecCert, "-inkey", fx.ecKey, "-legacy"]);
    const expected = opensslKeyText(fx.ecKey);
    assert.ok("curve:prime256v1" in expected);
    const key = await readPrivateKeyForImport(bytes, { password: PASSWORD });
    assert.equal(key.keyType, "ec");
    const ec = key.ec!;
    assert.equal(ec.namedCurveOid, "1.2.840.10045.3.1.7");
    assert.deepEqual(ec.ecParamsDer, Uint8Array.from([6, 8, 42, 134, 72, 206, 61, 3, 1, 7]));
    assert.deepEqual(ec.privateValue, unsigned(expected.priv));
    assert.deepEqual(ec.publicPointUncompressed, expected.pub);
    assert.deepEqual(key.leafDer, fx.der(fx.ecCert));
    assert.deepEqual(key.chainDer, []);
    key.dispose();
    assert.ok(ec.privateValue.every((b) => b === 0));
  });

  test("a bundle without a key, and a wrong password, are refused", async () => {
    const nokeys = exportP12(fx, ["-in", fx.rsaCert, "-nokeys"]).bytes;
    const detail = await rejectsWith(
      readPrivateKeyForImport(nokeys, { password: PASSWORD }),
      "p12_invalid",
    );
    assert.equal(detail.kind, "no_private_key");
    const withKey = exportP12(fx, ["-in", fx.ecCert, "-inkey", fx.ecKey]).bytes;
    await rejectsWith(
      readPrivateKeyForImport(withKey, { password: "no" }),
      "p12_password_incorrect",
    );
  });

  test("removes the fixtures", () => fx.cleanup());
});
