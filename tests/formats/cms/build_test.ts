import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "../../_support/tmp.ts";
import { opensslCmsVerify, runOk } from "../../_support/run.ts";
import { makeSelfSigned, softwareSigner } from "../../_support/software_keys.ts";
import { isPkcs11exError } from "../../../src/core/errors.ts";
import {
  addTimeStampToken,
  buildSignedData,
  estimateSignedDataSize,
  OID_ATTR_CONTENT_TYPE,
  OID_ATTR_MESSAGE_DIGEST,
  OID_ATTR_SIGNING_CERTIFICATE_V2,
  OID_ATTR_SIGNING_TIME,
  OID_ATTR_TIME_STAMP_TOKEN,
  parseSignedData,
  verifySignerInfoMath,
} from "../../../src/formats/cms/mod.ts";
import { compareDer } from "../../../src/formats/cms/signed_attributes.ts";
import { ALGS, setUp } from "./_fixtures.ts";

describe("buildSignedData", () => {
  const { dir, cleanup } = makeTempDir("cms-build-");
  const fx = setUp(dir);

  for (const [alg, keyType] of ALGS) {
    test(`openssl cms -verify accepts ${alg}, with -noverify and with -CAfile`, async () => {
      const cms = await buildSignedData({ signer: fx.signers[alg], contentDigest: fx.digest });
      const path = join(dir, `${alg}.der`);
      writeFileSync(path, cms);
      assert.match(opensslCmsVerify(path, fx.dataPath), /^0 CMS Verification successful/);
      assert.match(
        opensslCmsVerify(path, fx.dataPath, fx.ids[keyType].certPath),
        /^0 CMS Verification successful/,
      );
      const tampered = new Uint8Array(fx.data);
      tampered[3] ^= 1;
      writeFileSync(join(dir, "tampered.bin"), tampered);
      assert.doesNotMatch(opensslCmsVerify(path, join(dir, "tampered.bin")), /^0 /);
    });
  }

  test("the signed attributes are PAdES baseline: DER-sorted, no signing-time", async () => {
    const cms = await buildSignedData({ signer: fx.signers.PS256, contentDigest: fx.digest });
    const parsed = parseSignedData(cms);
    const si = parsed.signerInfo;
    assert.equal(parsed.encapContent, undefined, "detached");
    assert.equal(si.signingTime, undefined);
    assert.deepEqual(si.messageDigest, fx.digest);
    assert.equal(si.contentType, "1.2.840.113549.1.7.1");
    assert.equal(si.signingCertificateV2?.length, 1);
    assert.equal(si.signingCertificateV2?.[0].hash, "sha256");
    assert.ok(si.signingCertificateV2?.[0].issuerSerial);
    assert.deepEqual(si.signatureAlgorithm.pss, {
      hash: "sha256",
      mgfHash: "sha256",
      saltLength: 32,
      trailerField: 1,
    });
    // openssl prints the attributes in their encoded order; check it is the DER order.
    const printed = runOk("openssl", ["cms", "-cmsout", "-print", "-inform", "DER"], {
      input: cms,
    }).stdout;
    const order = [...printed.matchAll(/object: \S+ \(([\d.]+)\)/g)].map((m) => m[1])
      .filter((o) => o.startsWith("1.2.840.113549.1.9."));
    assert.deepEqual(order, [
      OID_ATTR_CONTENT_TYPE,
      OID_ATTR_MESSAGE_DIGEST,
      OID_ATTR_SIGNING_CERTIFICATE_V2,
    ]);
    assert.equal(si.signedAttrsDer?.[0], 0x31);
    verifySignerInfoMath(parsed);
  });

  test("signingTime is added on request and the set stays sorted", async () => {
    const when = new Date("2026-01-02T03:04:05Z");
    const cms = await buildSignedData({
      signer: fx.signers.ES256,
      contentDigest: fx.digest,
      signingTime: when,
    });
    const si = parseSignedData(cms).signerInfo;
    assert.equal(si.signingTime?.toISOString(), when.toISOString());
    const path = join(dir, "st.der");
    writeFileSync(path, cms);
    assert.match(opensslCmsVerify(path, fx.dataPath), /^0 /);
    const printed = runOk("openssl", ["cms", "-cmsout", "-print", "-inform", "DER", "-in", path])
      .stdout;
    assert.ok(printed.includes(`(${OID_ATTR_SIGNING_TIME})`) || printed.includes("signingTime"));
  });

  test("the chain goes into certificates, leaf first", async () => {
    const ca = makeSelfSigned(dir, "ec", { name: "extra" });
    const signer = softwareSigner(fx.ids.rsa, "RS256", [ca.certDer]);
    const parsed = parseSignedData(await buildSignedData({ signer, contentDigest: fx.digest }));
    assert.equal(parsed.certificates.length, 2);
    assert.equal(parsed.leafIndex, 0);
    assert.deepEqual(parsed.certificates[1], ca.certDer);
  });

  test("estimateSignedDataSize bounds the real size without signing", async () => {
    for (const [alg] of ALGS) {
      const signer = fx.signers[alg];
      let calls = 0;
      const counting = { ...signer, sign: () => (calls++, Promise.reject(new Error("no"))) };
      const estimate = estimateSignedDataSize(counting);
      assert.equal(calls, 0);
      for (let i = 0; i < 5; i++) {
        const real = await buildSignedData({ signer, contentDigest: fx.digest });
        assert.ok(real.length <= estimate, `${alg}: ${real.length} > ${estimate}`);
        assert.ok(estimate - real.length <= 8, `${alg}: estimate too loose`);
      }
    }
  });

  test("a time-stamp token attached afterwards keeps the signature valid", async () => {
    const cms = await buildSignedData({ signer: fx.signers.RS256, contentDigest: fx.digest });
    const fakeToken = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x07]);
    const stamped = addTimeStampToken(cms, fakeToken);
    const parsed = parseSignedData(stamped);
    assert.deepEqual(parsed.signerInfo.timeStampToken, fakeToken);
    assert.equal(parsed.signerInfo.unsignedAttrs[0].oid, OID_ATTR_TIME_STAMP_TOKEN);
    verifySignerInfoMath(parsed);
    const path = join(dir, "stamped.der");
    writeFileSync(path, stamped);
    assert.match(opensslCmsVerify(path, fx.dataPath), /^0 /);
  });

  test("compareDer orders as X.690 §11.6 (shorter padded with zeros)", () => {
    const a = new Uint8Array([0x30, 0x05]);
    const b = new Uint8Array([0x30, 0x05, 0x00]);
    const c = new Uint8Array([0x30, 0x06]);
    assert.equal(compareDer(a, b), 0);
    assert.ok(compareDer(a, c) < 0);
    assert.ok(compareDer(c, b) > 0);
  });

  describe("refuses bad inputs with the CMS reasons", () => {
    const cases: [string, () => Promise<unknown>][] = [
      ["missing_digest", () =>
        buildSignedData({
          signer: fx.signers.RS256,
          contentDigest: undefined as unknown as Uint8Array,
        })],
      ["invalid_digest", () =>
        buildSignedData({
          signer: fx.signers.RS256,
          contentDigest: "abc" as unknown as Uint8Array,
        })],
      [
        "invalid_digest",
        () => buildSignedData({ signer: fx.signers.RS256, contentDigest: new Uint8Array(20) }),
      ],
      ["empty_certificate_chain", () =>
        buildSignedData({
          signer: { ...fx.signers.RS256, certificates: [] },
          contentDigest: fx.digest,
        })],
      ["invalid_leaf_certificate", () =>
        buildSignedData({
          signer: { ...fx.signers.RS256, certificates: [new Uint8Array([0x30, 0x00])] },
          contentDigest: fx.digest,
        })],
      ["invalid_certificate_entry", () =>
        buildSignedData({
          signer: {
            ...fx.signers.RS256,
            certificates: [fx.ids.rsa.certDer, "pem?" as unknown as Uint8Array],
          },
          contentDigest: fx.digest,
        })],
      ["invalid_certificate_entry", () =>
        buildSignedData({
          signer: {
            ...fx.signers.RS256,
            certificates: [fx.ids.rsa.certDer, new Uint8Array([1, 2, 3])],
          },
          contentDigest: fx.digest,
        })],
      ["unsupported_signature_algorithm", () =>
        buildSignedData({
          signer: { ...fx.signers.RS256, alg: "HS256" },
          contentDigest: fx.digest,
        })],
      ["incompatible_alg", () =>
        buildSignedData({
          signer: { ...fx.signers.ES256, alg: "PS256" },
          contentDigest: fx.digest,
        })],
    ];
    for (const [reason, fn] of cases) {
      test(reason, async () => {
        await assert.rejects(fn, (e: unknown) => isPkcs11exError(e, reason as never));
      });
    }
  });

  test("cleanup", () => cleanup());
});
