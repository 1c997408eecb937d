import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createParseCache, derKey } from "../../../src/core/x509/cache.ts";
import { parseCertificate } from "../../../src/core/x509.ts";
import { isPkcs11exError } from "../../../src/core/errors.ts";
import { makeTempDir } from "../../_support/tmp.ts";
import { makeSelfSigned } from "../../_support/software_keys.ts";

describe("createParseCache", () => {
  test("holds at most maxEntries and evicts the least recently used", () => {
    const cache = createParseCache<number>({ maxEntries: 2, maxKeyLength: 10 });
    cache.set("a", 1);
    cache.set("b", 2);
    assert.equal(cache.get("a"), 1); // "a" becomes the most recent
    cache.set("c", 3);
    assert.equal(cache.size, 2);
    assert.equal(cache.get("b"), undefined);
    assert.equal(cache.get("a"), 1);
    assert.equal(cache.get("c"), 3);
  });

  test("never stores keys over the length limit, and stores nothing with maxEntries 0", () => {
    const cache = createParseCache<number>({ maxEntries: 4, maxKeyLength: 3 });
    cache.set("abcd", 1);
    assert.equal(cache.get("abcd"), undefined);
    assert.equal(cache.size, 0);
    const none = createParseCache<number>({ maxEntries: 0, maxKeyLength: 3 });
    none.set("a", 1);
    assert.equal(none.size, 0);
  });

  test("re-setting a key replaces it without growing", () => {
    const cache = createParseCache<number>({ maxEntries: 2, maxKeyLength: 3 });
    cache.set("a", 1);
    cache.set("a", 2);
    assert.equal(cache.size, 1);
    assert.equal(cache.get("a"), 2);
  });

  test("rejects bad limits", () => {
    assert.throws(() => createParseCache({ maxEntries: -1, maxKeyLength: 1 }), RangeError);
    assert.throws(() => createParseCache({ maxEntries: 1, maxKeyLength: 1.5 }), RangeError);
  });

  test("derKey is one character per byte, whatever the view's offset", () => {
    const buf = new Uint8Array([9, 0, 255, 128, 7]);
    assert.equal(derKey(buf.subarray(1, 4)), "\u0000\u00ff\u0080");
    assert.notEqual(derKey(new Uint8Array([1, 2])), derKey(new Uint8Array([1, 2, 0])));
  });
});

describe("parseCertificate memo", () => {
  test("the same DER gives the same frozen object; different certificates never mix", () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const a = makeSelfSigned(dir, "ec", { name: "a" });
      const b = makeSelfSigned(dir, "ec", { name: "b" });
      const first = parseCertificate(a.certDer);
      assert.ok(Object.isFrozen(first));
      // A copy in another buffer, at an offset, is the same certificate.
      const padded = new Uint8Array(a.certDer.length + 3);
      padded.set(a.certDer, 3);
      assert.equal(parseCertificate(padded.subarray(3)), first);
      assert.equal(parseCertificate(a.certPem), first);
      const other = parseCertificate(b.certDer);
      assert.notEqual(other, first);
      assert.notEqual(other.certSha256Hex, first.certSha256Hex);
      assert.deepEqual(other.der, b.certDer);
    } finally {
      cleanup();
    }
  });

  test("the cached copy is the parser's own: changing the input afterwards changes nothing", () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const id = makeSelfSigned(dir, "ec", { name: "c" });
      const input = id.certDer.slice();
      const cert = parseCertificate(input);
      input[input.length - 1] ^= 0xff;
      assert.deepEqual(cert.der, id.certDer);
      const flipped = parseCertificate(input);
      assert.notEqual(flipped, cert);
      assert.deepEqual(flipped.der, input);
      assert.equal(parseCertificate(id.certDer), cert);
    } finally {
      cleanup();
    }
  });

  test("malformed DER is refused every time, even next to a cached valid certificate", () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const id = makeSelfSigned(dir, "rsa", { name: "d" });
      parseCertificate(id.certDer);
      const trailing = new Uint8Array([...id.certDer, 0]);
      const truncated = id.certDer.subarray(0, id.certDer.length - 1);
      for (const bad of [trailing, truncated, trailing, truncated]) {
        assert.throws(
          () => parseCertificate(bad),
          (err) => isPkcs11exError(err, "malformed_certificate"),
        );
      }
    } finally {
      cleanup();
    }
  });
});
