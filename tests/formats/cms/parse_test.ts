import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Attribute, ContentInfo, SignerIdentifier } from "@peculiar/asn1-cms";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier, SubjectKeyIdentifier } from "@peculiar/asn1-x509";
import { makeTempDir } from "../../_support/tmp.ts";
import { opensslCmsVerify, runOk } from "../../_support/run.ts";
import { isPkcs11exError, type Pkcs11exReason } from "../../../src/core/errors.ts";
import {
  buildSignedData,
  OID_ATTR_CONTENT_TYPE,
  OID_ATTR_MESSAGE_DIGEST,
  OID_ATTR_SIGNING_CERTIFICATE_V2,
  OID_ATTR_SIGNING_TIME,
  parseSignedData,
  verifySignerInfoMath,
} from "../../../src/formats/cms/mod.ts";
import type { RawCertSignedData } from "../../../src/formats/cms/_schemas.ts";
import { decodeSignedData, encodeSignedData } from "../../../src/formats/cms/_decode.ts";
import { compareDer } from "../../../src/formats/cms/signed_attributes.ts";
import { setUp } from "./_fixtures.ts";

function expectReason(fn: () => unknown, reason: Pkcs11exReason, detail?: object): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isPkcs11exError(e, reason), `expected ${reason}, got ${String(e)}`);
    if (detail) assert.deepEqual({ ...e.detail, ...detail }, { ...e.detail });
    return true;
  });
}

/** A UTCTime value, DER. */
const UTC_TIME = new Uint8Array([0x17, 0x0d, ...new TextEncoder().encode("260101000000Z")]).buffer;

/** Decodes our CMS, lets `edit` change it, and re-encodes it. */
function craft(cms: Uint8Array, edit: (sd: RawCertSignedData) => void): Uint8Array {
  const sd = decodeSignedData(cms);
  edit(sd);
  return encodeSignedData(sd);
}

describe("parseSignedData", () => {
  const { dir, cleanup } = makeTempDir("cms-parse-");
  const fx = setUp(dir);

  describe("reads and verifies what openssl cms -sign made", () => {
    const variants: [string, string, string[]][] = [
      ["rsa, signed attributes", "rsa", []],
      ["rsa, no signed attributes", "rsa", ["-noattr"]],
      ["rsa-pss", "rsa", ["-keyopt", "rsa_padding_mode:pss"]],
      ["rsa-pss, no signed attributes", "rsa", ["-keyopt", "rsa_padding_mode:pss", "-noattr"]],
      ["ecdsa", "ec", []],
      ["ecdsa, no signed attributes", "ec", ["-noattr"]],
    ];
    for (const [name, kt, extra] of variants) {
      test(name, () => {
        const id = fx.ids[kt as "rsa" | "ec"];
        const out = join(dir, "openssl.der");
        runOk("openssl", [
          "cms",
          "-sign",
          "-binary",
          "-in",
          fx.dataPath,
          "-signer",
          id.certPath,
          "-inkey",
          id.keyPath,
          "-md",
          "sha256",
          "-outform",
          "DER",
          "-out",
          out,
          ...extra,
        ]);
        const parsed = parseSignedData(new Uint8Array(readFileSync(out)));
        assert.equal(parsed.leafIndex, 0);
        assert.deepEqual(parsed.leaf.der, id.certDer);
        assert.equal(parsed.signerInfo.digestAlgorithm, "sha256");
        if (extra.includes("-noattr")) {
          assert.equal(parsed.signerInfo.signedAttrsDer, undefined);
          expectReason(() => verifySignerInfoMath(parsed), "missing_attribute");
          verifySignerInfoMath(parsed, { content: fx.data });
          const bad = new Uint8Array(fx.data);
          bad[0] ^= 1;
          expectReason(() => verifySignerInfoMath(parsed, { content: bad }), "signature_invalid");
        } else {
          assert.deepEqual(parsed.signerInfo.messageDigest, fx.digest);
          verifySignerInfoMath(parsed);
        }
        const expected = kt === "ec"
          ? "ES256"
          : extra.includes("rsa_padding_mode:pss")
          ? "PS256"
          : "RS256";
        assert.equal(parsed.signerInfo.signatureAlgorithm.alg, expected);
      });
    }
  });

  test("BER (an indefinite length) is read by the generic decoder to the same result", async () => {
    const der = await buildSignedData({ signer: fx.signers.PS256, contentDigest: fx.digest });
    // The ContentInfo SEQUENCE re-written with an indefinite length: BER, not DER.
    const headerLength = 2 + (der[1] & 0x80 ? der[1] & 0x7f : 0);
    const ber = new Uint8Array([0x30, 0x80, ...der.subarray(headerLength), 0, 0]);
    const fromBer = parseSignedData(ber);
    const fromDer = parseSignedData(der);
    verifySignerInfoMath(fromBer);
    assert.deepEqual(fromBer.signerInfo, fromDer.signerInfo);
    assert.deepEqual(fromBer.certificates, fromDer.certificates);
    assert.equal(fromBer.encapContentType, fromDer.encapContentType);
  });

  test("a changed signature or signed attribute fails the math", async () => {
    const cms = await buildSignedData({ signer: fx.signers.ES256, contentDigest: fx.digest });
    const parsed = parseSignedData(cms);
    const sig = parsed.signerInfo.signature;
    sig[sig.length - 3] ^= 1;
    expectReason(() => verifySignerInfoMath(parsed), "signature_invalid");
    const other = new Uint8Array(fx.digest);
    other[0] ^= 1;
    const forged = craft(
      cms,
      (sd) => {
        const attrs = sd.signerInfos[0].signedAttrs!;
        const md = attrs.find((a) => a.attrType === OID_ATTR_MESSAGE_DIGEST)!;
        md.attrValues = [new Uint8Array([0x04, 0x20, ...other]).buffer];
      },
    );
    expectReason(() => verifySignerInfoMath(parseSignedData(forged)), "signature_invalid", {
      kind: "bad_signature",
    });
  });

  test("a signing-certificate-v2 naming another certificate is refused", async () => {
    // The same key re-certified under another name: the math still holds, ESS must not.
    const reissuedPath = join(dir, "reissued.pem");
    runOk("openssl", [
      "req",
      "-new",
      "-x509",
      "-key",
      fx.ids.rsa.keyPath,
      "-out",
      reissuedPath,
      "-days",
      "2",
      "-subj",
      "/CN=impostor",
    ]);
    const reissued = runOk("openssl", ["x509", "-in", reissuedPath, "-outform", "DER"])
      .stdoutBytes;
    const signer = { ...fx.signers.RS256, certificates: [reissued] };
    const theirs = decodeSignedData(await buildSignedData({ signer, contentDigest: fx.digest }));
    const cms = await buildSignedData({ signer: fx.signers.RS256, contentDigest: fx.digest });
    verifySignerInfoMath(parseSignedData(cms));
    const swapped = craft(cms, (sd) => {
      sd.certificates = theirs.certificates;
      sd.signerInfos[0].sid = theirs.signerInfos[0].sid;
    });
    expectReason(() => verifySignerInfoMath(parseSignedData(swapped)), "signature_invalid", {
      kind: "signing_certificate_mismatch",
    });
  });

  test("a vendor signed attribute with several values, or twice, is read and verifies (RFC 5652 §5.3)", async () => {
    // As in DSS's Signature-P-DE_SCI-4.pdf: a private attribute carrying two values.
    const cms = await buildSignedData({ signer: fx.signers.RS256, contentDigest: fx.digest });
    const vendor = "1.3.6.1.4.1.15027.2.1";
    // Values and attributes in DER order (X.690 §11.6), as openssl re-encodes them to verify.
    const values = [new Uint8Array([0x02, 0x01, 0x07]).buffer, UTC_TIME];
    const unsigned = craft(cms, (sd) => {
      const si = sd.signerInfos[0];
      si.signedAttrs = [
        ...si.signedAttrs!,
        new Attribute({ attrType: vendor, attrValues: values }),
        new Attribute({ attrType: vendor, attrValues: [values[0]] }),
      ].map((a) => ({ a, der: new Uint8Array(AsnConvert.serialize(a)) }))
        .sort((x, y) => compareDer(x.der, y.der)).map((e) => e.a);
    });
    const signedAttrsDer = parseSignedData(unsigned).signerInfo.signedAttrsDer!;
    const signature = await fx.signers.RS256.sign(signedAttrsDer, "der");
    const resigned = craft(unsigned, (sd) => {
      sd.signerInfos[0].signature = new OctetString(signature);
    });
    const parsed = parseSignedData(resigned);
    verifySignerInfoMath(parsed);
    assert.deepEqual(parsed.signerInfo.messageDigest, fx.digest);
    const path = join(dir, "vendor-multi.der");
    writeFileSync(path, resigned);
    assert.match(opensslCmsVerify(path, fx.dataPath), /^0 /);
  });

  describe("refuses each malformed shape with its reason", () => {
    const pending = buildSignedData({ signer: fx.signers.RS256, contentDigest: fx.digest });
    const cases: [Pkcs11exReason, (cms: Uint8Array) => Uint8Array, object?][] = [
      ["cms_codec", () => new Uint8Array([1, 2, 3, 4]), { type: "ContentInfo" }],
      ["not_signed_data", () =>
        new Uint8Array(AsnConvert.serialize(
          new ContentInfo({
            contentType: "1.2.840.113549.1.7.1",
            content: new Uint8Array([4, 0]).buffer,
          }),
        )), { oid: "1.2.840.113549.1.7.1" }],
      ["cms_codec", () =>
        new Uint8Array(AsnConvert.serialize(
          new ContentInfo({
            contentType: "1.2.840.113549.1.7.2",
            content: new Uint8Array([4, 0]).buffer,
          }),
        )), { type: "SignedData" }],
      ["no_signer_info", (c) => craft(c, (sd) => (sd.signerInfos = []))],
      [
        "multiple_signer_info_unsupported_in_v1",
        (c) => craft(c, (sd) => (sd.signerInfos = [sd.signerInfos[0], sd.signerInfos[0]])),
      ],
      ["no_certificates", (c) => craft(c, (sd) => (sd.certificates = undefined))],
      [
        "unsupported_certificate_choice",
        (c) =>
          craft(
            c,
            (sd) => (sd.certificates = [new Uint8Array([0xa3, 0x03, 0x06, 0x01, 0x2a]).buffer]),
          ),
      ],
      [
        "invalid_embedded_certificate",
        (c) =>
          craft(
            c,
            (sd) => (sd.certificates = [new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]).buffer]),
          ),
      ],
      [
        "leaf_certificate_not_found_in_chain",
        (c) => craft(c, (sd) => (sd.certificates = [fx.ids.ec.certDer.slice().buffer])),
      ],
      ["subject_key_identifier_unsupported_in_v1", (c) =>
        craft(c, (sd) => {
          sd.signerInfos[0].sid = new SignerIdentifier({
            subjectKeyIdentifier: new SubjectKeyIdentifier(new Uint8Array(20)),
          });
        })],
      ["unsupported_digest_algorithm", (c) =>
        craft(c, (sd) => {
          sd.signerInfos[0].digestAlgorithm = new AlgorithmIdentifier({
            algorithm: "1.2.840.113549.2.5",
          });
        }), { oid: "1.2.840.113549.2.5" }],
      ["unsupported_signature_algorithm", (c) =>
        craft(c, (sd) => {
          sd.signerInfos[0].signatureAlgorithm = new AlgorithmIdentifier({ algorithm: "1.2.3.4" });
        }), { oid: "1.2.3.4" }],
      ["missing_attribute", (c) =>
        craft(c, (sd) => {
          const si = sd.signerInfos[0];
          si.signedAttrs = si.signedAttrs!.filter((a) => a.attrType !== OID_ATTR_MESSAGE_DIGEST);
        }), { oid: OID_ATTR_MESSAGE_DIGEST }],
      ["multi_value_attribute", (c) =>
        craft(c, (sd) => {
          const md = sd.signerInfos[0].signedAttrs!.find((a) =>
            a.attrType === OID_ATTR_MESSAGE_DIGEST
          )!;
          md.attrValues = [md.attrValues[0], md.attrValues[0]];
        }), { oid: OID_ATTR_MESSAGE_DIGEST }],
      ["multi_value_attribute", (c) =>
        craft(c, (sd) => {
          const attrs = sd.signerInfos[0].signedAttrs!;
          const ct = attrs.find((a) => a.attrType === OID_ATTR_CONTENT_TYPE)!;
          attrs.push(new Attribute({ attrType: ct.attrType, attrValues: ct.attrValues }));
        }), { oid: OID_ATTR_CONTENT_TYPE }],
      ["multi_value_attribute", (c) =>
        craft(c, (sd) => {
          const attrs = sd.signerInfos[0].signedAttrs!;
          const v2 = attrs.find((a) => a.attrType === OID_ATTR_SIGNING_CERTIFICATE_V2)!;
          v2.attrValues = [v2.attrValues[0], v2.attrValues[0]];
        }), { oid: OID_ATTR_SIGNING_CERTIFICATE_V2 }],
      ["multi_value_attribute", (c) =>
        craft(c, (sd) => {
          sd.signerInfos[0].signedAttrs!.push(
            new Attribute({ attrType: OID_ATTR_SIGNING_TIME, attrValues: [UTC_TIME, UTC_TIME] }),
          );
        }), { oid: OID_ATTR_SIGNING_TIME }],
      ["multi_value_attribute", (c) =>
        craft(c, (sd) => {
          sd.signerInfos[0].signedAttrs!.push(
            new Attribute({ attrType: OID_ATTR_SIGNING_TIME, attrValues: [] }),
          );
        }), { oid: OID_ATTR_SIGNING_TIME }],
      ["cms_codec", (c) =>
        craft(c, (sd) => {
          const md = sd.signerInfos[0].signedAttrs!.find((a) =>
            a.attrType === OID_ATTR_MESSAGE_DIGEST
          )!;
          md.attrValues = [new Uint8Array([0x02, 0x01, 0x00]).buffer];
        }), { type: "MessageDigest" }],
    ];
    for (const [reason, make, detail] of cases) {
      test(`${reason}${detail ? ` ${JSON.stringify(detail)}` : ""}`, async () => {
        const bad = make(await pending);
        expectReason(() => parseSignedData(bad), reason, detail);
      });
    }
    test("a non-Uint8Array is a TypeError", () => {
      assert.throws(() => parseSignedData("MIIB" as unknown as Uint8Array), TypeError);
    });
  });

  test("cleanup", () => cleanup());
});
