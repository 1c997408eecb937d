/**
 * xadesjs interop, the other way round: documents that xadesjs signs with a software key
 * (inclusive c14n 1.0 SignedInfo, a data reference without URI, a SignedProperties reference
 * without transforms, a v1 SigningCertificate) verify here with the signer's key pinned;
 * tampering any signed byte fails here, in xmlsec1 and in xadesjs. xadesjs's RSASSA-PSS
 * documents are refused, for a reason shown below: it signs non-canonical SignedInfo bytes.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { constants, verify } from "node:crypto";
import { isPkcs11exError } from "../../../src/core/errors.ts";
import { canonicalize } from "../../../src/formats/xml/c14n.ts";
import { parseXml } from "../../../src/formats/xml/parser.ts";
import { parseCertificate } from "../../../src/core/x509.ts";
import { verifyXml } from "../../../src/formats/xml/verify.ts";
import { makeSelfSigned, type TestIdentity } from "../../_support/software_keys.ts";
import { makeTempDir } from "../../_support/tmp.ts";
import {
  importSigningKey,
  tamper,
  trusted,
  xadesjsSign,
  type XadesjsSignOptions,
  xadesjsVerify,
  xmlsecVerify,
} from "./_support.ts";

const DOC = '<Invoice xmlns="urn:example:invoice" xmlns:cac="urn:example:cac" Id="inv-7">' +
  '<cac:Party xml:lang="es"><cac:Name>Acme &amp; Co</cac:Name></cac:Party>' +
  '<Line qty="2">Widget</Line><Total currency="CLP">1000</Total></Invoice>';

const CASES: [alg: "RS256" | "ES256", opts: XadesjsSignOptions][] = [
  ["RS256", { transforms: ["enveloped"] }],
  ["RS256", { transforms: ["enveloped", "exc-c14n"] }],
  ["RS256", { transforms: ["enveloped", "c14n"], signingCertificateV1: true }],
  ["ES256", { transforms: ["enveloped", "c14n-com"] }],
];

describe("verifyXml accepts what xadesjs signs", () => {
  const { dir, cleanup } = makeTempDir("xml-xadesjs-");
  const ids: Record<string, TestIdentity> = {};
  const identity = (kind: "rsa" | "ec"): TestIdentity =>
    ids[kind] ??= makeSelfSigned(dir, kind, { name: `xadesjs-${kind}` });

  for (const [alg, opts] of CASES) {
    test(`${alg}, data transforms ${opts.transforms}${opts.signingCertificateV1 ? ", SigningCertificate v1" : ""}`, async () => {
      const id = identity(alg === "ES256" ? "ec" : "rsa");
      const key = await importSigningKey(id.keyPem, alg);
      const signed = await xadesjsSign(DOC, key, id.certDer, alg, opts);
      assert.doesNotMatch(signed, /<ds:Reference>[\s\S]*URI=""/);
      const pins = { [parseCertificate(id.certDer).spkiSha256Hex]: "acme" };
      const ok = await verifyXml(signed, trusted(pins));
      assert.equal(ok.subjectId, "acme");
      assert.equal(ok.alg, alg);
      assert.equal(ok.root.localName, "Invoice");
      assert.ok(
        new TextDecoder().decode(ok.signedBytes).includes('<Total currency="CLP">1000</Total>'),
      );
      assert.equal(xmlsecVerify(dir, signed, id.certPath).status, 0);

      const sigValue = signed.indexOf(">", signed.indexOf("<ds:SignatureValue")) + 5;
      const attacks: [string, string, string][] = [
        ["data", tamper(signed, "1000"), "digest_mismatch"],
        ["attribute", signed.replace('qty="2"', 'qty="3"'), "digest_mismatch"],
        ["SigningTime", tamper(signed, "<xades:SigningTime>", 21), "digest_mismatch"],
        [
          "SignatureValue",
          tamper(signed, "<ds:SignatureValue", sigValue - signed.indexOf("<ds:SignatureValue")),
          "signature_invalid",
        ],
      ];
      for (const [what, bad, reason] of attacks) {
        assert.notEqual(bad, signed, what);
        await assert.rejects(verifyXml(bad, trusted(pins)), (e: unknown) => {
          assert.ok(isPkcs11exError(e), String(e));
          assert.equal(e.reason, reason, `${what}: ${e.message}`);
          return true;
        });
        assert.notEqual(xmlsecVerify(dir, bad, id.certPath).status, 0, what);
        assert.equal(await xadesjsVerify(bad), false, what);
      }
      await assert.rejects(
        verifyXml(signed, trusted({ ["00".repeat(32)]: "other" })),
        (e: unknown) => isPkcs11exError(e, "unknown_signer"),
      );
    });
  }

  test("a URI-less data reference without the enveloped transform is refused", async () => {
    const id = identity("rsa");
    const key = await importSigningKey(id.keyPem, "RS256");
    const signed = await xadesjsSign(DOC, key, id.certDer, "RS256", { transforms: ["c14n"] });
    await assert.rejects(
      verifyXml(signed, trusted("any")),
      (e: unknown) =>
        isPkcs11exError(e, "signature_wrapping") &&
        e.detail.kind === "data_reference_not_enveloped",
    );
  });

  test("xadesjs PS256 (rsa-pss + RSAPSSParams): read as PS256, refused as non-canonical", async () => {
    const id = identity("rsa");
    const key = await importSigningKey(id.keyPem, "PS256");
    const signed = await xadesjsSign(DOC, key, id.certDer, "PS256");
    assert.match(signed, /xmldsig-more#rsa-pss"><pss:RSAPSSParams xmlns:pss=/);
    assert.equal(await xadesjsVerify(signed), true);
    const pins = { [parseCertificate(id.certDer).spkiSha256Hex]: "acme" };
    await assert.rejects(verifyXml(signed, trusted(pins)), (e: unknown) => {
      assert.ok(isPkcs11exError(e, "signature_invalid"), String(e));
      return true;
    });
    // Why: xadesjs signed SignedInfo with xmlns:pss on SignedInfo (where its DOM held it
    // while signing), but serializes it on RSAPSSParams. Canonical XML 1.0 renders a namespace
    // where it is in scope, so every conforming verifier sees other bytes than were signed.
    const si = parseXml(signed).elements.find((e) => e.localName === "SignedInfo")!;
    const canonical = new TextDecoder().decode(canonicalize(si, { inclusive: true }));
    const pss = ' xmlns:pss="http://www.w3.org/2007/05/xmldsig-more#"';
    const hoisted = canonical.replace(pss, "").replace(
      'xmlns:ds="http://www.w3.org/2000/09/xmldsig#"',
      `xmlns:ds="http://www.w3.org/2000/09/xmldsig#"${pss}`,
    );
    const value = Buffer.from(/<ds:SignatureValue[^>]*>([^<]+)</.exec(signed)![1], "base64");
    const pssKey = { key: id.certPem, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    assert.equal(verify("sha256", Buffer.from(canonical), pssKey, value), false);
    assert.equal(verify("sha256", Buffer.from(hoisted), pssKey, value), true);
  });

  test("RSASSA-PSS parameters other than PS256's are refused", async () => {
    const id = identity("rsa");
    const key = await importSigningKey(id.keyPem, "PS256");
    const signed = await xadesjsSign(DOC, key, id.certDer, "PS256");
    for (
      const bad of [
        signed.replace("<pss:SaltLength>32<", "<pss:SaltLength>20<"),
        signed.replace(
          /(<pss:RSAPSSParams[^>]*>)<ds:DigestMethod Algorithm="[^"]+"/,
          '$1<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha512"',
        ),
      ]
    ) {
      assert.notEqual(bad, signed);
      await assert.rejects(
        verifyXml(bad, trusted("any")),
        (e: unknown) => isPkcs11exError(e, "unsupported_signature_method"),
      );
    }
  });

  test("cleanup", () => cleanup());
});
