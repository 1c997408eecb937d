import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { makeTempDir } from "../../_support/tmp.ts";
import { isPkcs11exError, Pkcs11exError } from "../../../src/core/errors.ts";
import { MAX_EMBEDDED_CERTIFICATES } from "../../../src/formats/cms/parse.ts";
import {
  addTimeStampToken,
  addUnsignedAttribute,
  buildSignedData,
  parseSignedData,
  verifySignerInfoMath,
} from "../../../src/formats/cms/mod.ts";
import { encodeTlv } from "../../../src/core/x509/der.ts";
import { setUp } from "./_fixtures.ts";

/** Parses (and checks) hostile bytes: anything but a Pkcs11exError fails the test. */
function mustRefuseOrPass(bytes: Uint8Array): void {
  try {
    verifySignerInfoMath(parseSignedData(bytes));
  } catch (err) {
    if (!(err instanceof Pkcs11exError)) {
      assert.fail(`untyped error ${String(err)}`);
    }
  }
}

describe("parseSignedData on hostile input", () => {
  const { dir, cleanup } = makeTempDir("cms-hostile-");
  const fx = setUp(dir);
  const pending = buildSignedData({ signer: fx.signers.ES256, contentDigest: fx.digest });

  test("every truncation is a typed error", async () => {
    const cms = await pending;
    for (let n = 0; n < cms.length; n += 3) {
      assert.throws(() => parseSignedData(cms.subarray(0, n)), Pkcs11exError);
    }
  });

  test("bit flips at every other offset never crash", async () => {
    const cms = await pending;
    for (let i = 0; i < cms.length; i += 2) {
      const copy = cms.slice();
      copy[i] ^= 1 << (i % 8);
      mustRefuseOrPass(copy);
    }
  });

  test("huge declared lengths are refused quickly", () => {
    for (
      const bytes of [
        [0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x06, 0x09],
        [0x30, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        [0x30, 0x80],
      ]
    ) {
      const t0 = Date.now();
      assert.throws(() => parseSignedData(new Uint8Array(bytes)), Pkcs11exError);
      assert.ok(Date.now() - t0 < 1000);
    }
  });

  test("deep nesting is refused without a stack overflow", () => {
    const depth = 50_000;
    const bytes = new Uint8Array(depth * 2);
    for (let i = 0; i < depth; i++) bytes.set([0x30, 0x80], i * 2);
    assert.throws(() => parseSignedData(bytes), Pkcs11exError);
    const definite: number[] = [];
    for (let i = 0; i < 2000; i++) definite.unshift(0x30);
    assert.throws(() => parseSignedData(new Uint8Array(definite)), Pkcs11exError);
  });

  test("oversized input is refused before decoding", () => {
    const big = new Uint8Array(17 * 1024 * 1024);
    big.set([0x30, 0x84, 0x01, 0x10, 0x00, 0x00]);
    assert.throws(
      () => parseSignedData(big),
      (e: unknown) => e instanceof Pkcs11exError && e.reason === "cms_codec",
    );
  });

  test("trailing garbage and random bytes are typed errors", async () => {
    const cms = await pending;
    const withTail = new Uint8Array([...cms, 0x00, 0x00, 0x00]);
    mustRefuseOrPass(withTail);
    let seed = 7;
    for (let k = 0; k < 200; k++) {
      const rnd = new Uint8Array(64 + (k % 200));
      for (let i = 0; i < rnd.length; i++) {
        rnd[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >> 24;
      }
      rnd[0] = 0x30;
      mustRefuseOrPass(rnd);
    }
  });

  test("addUnsignedAttribute refuses hostile CMS with typed errors", async () => {
    const cms = await pending;
    assert.throws(
      () => addUnsignedAttribute(cms.subarray(0, 100), "1.2.3", new Uint8Array([5, 0])),
      Pkcs11exError,
    );
    assert.throws(
      () => addUnsignedAttribute(cms, "1.2.3", "x" as unknown as Uint8Array),
      TypeError,
    );
  });

  test("addTimeStampToken refuses a token that is not one DER element: cms_codec AttributeValue", async () => {
    const cms = await pending;
    const notDer: [string, number[]][] = [
      ["empty", []],
      ["garbage", [1, 2, 3]],
      ["truncated", [0x30, 0x05, 0x02, 0x01]],
      ["indefinite length", [0x30, 0x80, 0x00, 0x00]],
      ["trailing bytes", [0x04, 0x01, 0x00, 0x00]],
      ["bad inner element", [0x30, 0x03, 0x02, 0x05, 0x00]],
      ["huge declared length", [0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x00]],
    ];
    for (const [name, bytes] of notDer) {
      assert.throws(
        () => addTimeStampToken(cms, new Uint8Array(bytes)),
        (e: unknown) => isPkcs11exError(e, "cms_codec") && e.detail?.type === "AttributeValue",
        name,
      );
    }
    const stamped = addTimeStampToken(cms, new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]));
    assert.deepEqual(
      parseSignedData(stamped).signerInfo.timeStampToken,
      new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]),
    );
  });

  test("a SignerInfo issuer the schema cannot re-encode is a typed error, not a crash", async () => {
    // The sid's issuer Name with its country value tagged UTCTime: undecodable as a Name
    // value, so the bytes are kept as received and simply match no certificate.
    const cms = await buildSignedData({
      signer: fx.signers.ES256,
      contentDigest: fx.digest,
      signingCertificateV2: false,
    });
    const country = [0x06, 0x03, 0x55, 0x04, 0x06, 0x13]; // id-at-countryName, PrintableString
    const at = lastIndexOf(cms, country); // the sid comes after the certificate
    assert.ok(at > 0);
    const bad = cms.slice();
    bad[at + country.length - 1] = 0x17;
    assert.throws(() => parseSignedData(bad), (e: unknown) => isPkcs11exError(e));
  });

  test("a signing-time value that is not a time is cms_codec SigningTime", async () => {
    const cms = await buildSignedData({
      signer: fx.signers.ES256,
      contentDigest: fx.digest,
      signingTime: new Date("2026-01-02T03:04:05Z"),
    });
    const at = lastIndexOf(cms, [...new TextEncoder().encode("260102030405Z")]);
    assert.ok(at > 0);
    const bad = cms.slice();
    bad.fill(0x5a, at, at + 13); // "ZZZZZZZZZZZZZ"
    assert.throws(
      () => parseSignedData(bad),
      (e: unknown) => isPkcs11exError(e, "cms_codec") && e.detail?.type === "SigningTime",
    );
  });

  test("an object identifier of 150 000 bytes is refused at once, without echoing it", () => {
    const oid = [0x2a, ...new Array(150_000).fill(0x81), 0x01];
    const contentInfo = encodeTlv(
      0x30,
      new Uint8Array([...encodeTlv(0x06, new Uint8Array(oid)), 0xa0, 0x02, 0x30, 0x00]),
    );
    assert.throws(
      () => parseSignedData(contentInfo),
      (e: unknown) =>
        isPkcs11exError(e) && e.message.length < 300 && JSON.stringify(e.detail).length < 300,
    );
  });

  test("more than MAX_EMBEDDED_CERTIFICATES certificates are refused before parsing them", async () => {
    const signer = fx.signers.ES256;
    const many = {
      ...signer,
      certificates: Array.from({ length: MAX_EMBEDDED_CERTIFICATES + 1 }, (_, i) => {
        // Distinct DER (a flipped signature bit), so no cache answers for them.
        const der = signer.certificates[0].slice();
        der[der.length - 1] ^= i & 0xff;
        der[der.length - 2] ^= i >> 8;
        return der;
      }),
    };
    const cms = await buildSignedData({ signer: many, contentDigest: fx.digest });
    assert.throws(
      () => parseSignedData(cms),
      (e: unknown) =>
        isPkcs11exError(e, "cms_codec") && e.detail?.type === "CertificateSet" &&
        e.detail?.count === MAX_EMBEDDED_CERTIFICATES + 1,
    );
  });

  test("cleanup", () => cleanup());
});

/** The offset of the last occurrence of `needle` in `bytes`, or -1. */
function lastIndexOf(bytes: Uint8Array, needle: number[]): number {
  outer: for (let i = bytes.length - needle.length; i >= 0; i--) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
