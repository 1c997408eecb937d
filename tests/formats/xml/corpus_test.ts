/**
 * Interop with the real-world corpus (../shared/corpus/xml, MANIFEST.md): our verify reaches
 * each expected verdict, and every unsigned document is signed so that xmlsec1 accepts it.
 * The corpus certificates are expired test certificates, so trust is the accept-any test
 * policy judged at each document's SigningTime; the pipeline, the math and every XML check
 * are real.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Buffer } from "node:buffer";
import { isPkcs11exError } from "../../../src/core/errors.ts";
import { signXml } from "../../../src/formats/xml/sign.ts";
import { verifyXml } from "../../../src/formats/xml/verify.ts";
import { makeSelfSigned, softwareSigner } from "../../_support/software_keys.ts";
import { makeTempDir } from "../../_support/tmp.ts";
import { corpusDir, trusted, xmlsecVerify } from "./_support.ts";

const XML = join(corpusDir(), "xml");

/** File → "valid" or [reason, detail.kind?] as MANIFEST.md expects (see the notes inline). */
const EXPECTED: Record<string, "valid" | [string, string?]> = {
  "dss-xades-bb-enveloped.xml": "valid",
  // MANIFEST: "valid (xmlsec1 OK; DSS: scope FULL)": the data reference is #Id of the root.
  "dss-xsw-original-tl.xml": "valid",
  // Inclusive c14n 1.0 (SignedInfo and data), default namespace, ISO-8859-1 declaration.
  "dss-xades-enveloped-iso8859-1.xml": "valid",
  // Must fail: the document reference was deleted (DSS: SIGNED_DATA_NOT_FOUND).
  "dss-xades-bb-ref-removed.xml": ["signature_wrapping", "data_reference_missing"],
  "dss-xades-wrong-signcert-digest.xml": ["xades_cert_digest_mismatch"],
  "dss-xades-rsassa-pss-countersigned.xml": ["multiple_signatures_unsupported_in_v1"],
  "dss-xades-blt-enveloped-be-eid.xml": ["c14n", "unsupported_transform"],
  // Enveloping mode is refused (v1); the signature is the document element.
  "dss-xades-bt-enveloping.xml": ["signature_wrapping", "signature_not_enveloped"],
  "dss-xades-blta-enveloping.xml": ["signature_wrapping", "signature_not_enveloped"],
  "dss-xades-tampered-reference.xml": ["signature_wrapping", "signature_not_enveloped"],
  "dss-xsw-enveloped-fake-content.xml": ["signature_wrapping", "data_reference_not_root"],
  "dss-xsw-enveloped-fake-content-misplaced.xml": ["signature_wrapping", "data_reference_not_root"],
  "dss-xsw-enveloped-fake-content-two-same-id.xml": ["signature_wrapping", "duplicate_id"],
  "dss-xsw-enveloped-fake-signedprops.xml": ["signature_wrapping", "signed_properties_misplaced"],
  // RSA-SHA1 SignedInfo: refused before any reference is resolved.
  "dss-xsw-enveloping-fake-manifest.xml": ["unsupported_signature_method"],
  "dss-xsw-enveloping-fake-object.xml": ["unsupported_signature_method"],
  // A reference to an arbitrary Id next to the document one.
  "dss-xsw-disable-checks.xml": ["signature_wrapping", "unexpected_reference"],
  "pyhanko-unsafe-entity-bomb.xml": ["malformed_xml", "doctype_forbidden"],
  "pyhanko-unsafe-external-entity.xml": ["malformed_xml", "doctype_forbidden"],
  // The W3C vectors are plain XML-DSig (no XAdES SignedProperties): refused before any math.
  "xmlsec-merlin-enveloped-dsa.xml": ["signature_wrapping", "signed_properties_reference_missing"],
  "xmlsec-phaos-rsa-enveloped.xml": ["signature_wrapping", "signed_properties_reference_missing"],
  "xmlsec-phaos-rsa-enveloped-bad-digest.xml": [
    "signature_wrapping",
    "signed_properties_reference_missing",
  ],
  "xmlsec-xmldsig11-ecdsa-p256-sha256.xml": [
    "signature_wrapping",
    "signed_properties_reference_missing",
  ],
  // xpointer(id()) references are refused explicitly (and it is plain XML-DSig, no XAdES).
  "xmlsec-merlin-exc-c14n.xml": ["signature_wrapping", "signed_properties_reference_missing"],
};

/** The corpus certificates have expired: judge each document at its signed SigningTime. */
function atSigningTime(doc: Uint8Array): Date | undefined {
  const t = /SigningTime>([^<]+)</.exec(Buffer.from(doc).toString("latin1"))?.[1];
  return t ? new Date(t) : undefined;
}

const UNSIGNED = [
  "dss-unsigned-c14n-default-ns.xml",
  "dss-unsigned-comments-outside-root.xml",
  "dss-unsigned-iso8859-1.xml",
  "dss-unsigned-prefixed-bom-crlf.xml",
  "dss-unsigned-soap-ns-prefixes.xml",
];

describe("XML corpus", { skip: !existsSync(XML) && "corpus not found" }, () => {
  for (const [file, want] of Object.entries(EXPECTED)) {
    test(`verify ${file}: ${want === "valid" ? "valid" : want.join("/")}`, async () => {
      const doc = readFileSync(join(XML, file));
      const run = verifyXml(doc, trusted("any", { validationTime: atSigningTime(doc) }));
      if (want === "valid") {
        const res = await run;
        assert.equal(res.alg, "RS256");
        assert.ok(res.signedBytes.length > 0);
        return;
      }
      await assert.rejects(run, (e: unknown) => {
        assert.ok(isPkcs11exError(e), String(e));
        assert.equal(e.reason, want[0], e.message);
        if (want[1]) assert.equal(e.detail.kind, want[1], e.message);
        return true;
      });
    });
  }

  test("each unsigned document is signed validly (xmlsec1, verifyXml), bytes kept", async () => {
    const { dir, cleanup } = makeTempDir("xml-corpus-");
    try {
      const id = makeSelfSigned(dir, "rsa", { name: "corpus" });
      const signer = softwareSigner(id, "RS256");
      for (const file of UNSIGNED) {
        const input = new Uint8Array(readFileSync(join(XML, file)));
        const signed = await signXml(input, signer);
        const res = xmlsecVerify(dir, signed, id.certPath);
        assert.equal(res.status, 0, `${file}: ${res.stderr}`);
        const ok = await verifyXml(signed, trusted("any"));
        assert.equal(ok.subjectId, "anyone");
        // Everything outside the inserted element is the input, byte for byte.
        const text = Buffer.from(signed).toString("latin1");
        const start = text.indexOf("<ds:Signature ");
        const end = text.indexOf("</ds:Signature>") + "</ds:Signature>".length;
        assert.deepEqual(
          new Uint8Array([...signed.subarray(0, start), ...signed.subarray(end)]),
          input,
          file,
        );
      }
      // Latin-1 content is decoded as Latin-1: c14n output is UTF-8 (Á = C3 81).
      const latin = await signXml(
        new Uint8Array(readFileSync(join(XML, "dss-unsigned-iso8859-1.xml"))),
        signer,
      );
      const { signedBytes } = await verifyXml(latin, trusted("any"));
      assert.ok(new TextDecoder().decode(signedBytes).includes("Á"));
      // Duplicate Ids: signing is refused (the XSW precondition).
      await assert.rejects(
        signXml(new Uint8Array(readFileSync(join(XML, "dss-unsigned-duplicate-ids.xml"))), signer),
        (e: unknown) =>
          isPkcs11exError(e, "signature_wrapping") && e.detail.kind === "duplicate_id",
      );
    } finally {
      cleanup();
    }
  });
});
