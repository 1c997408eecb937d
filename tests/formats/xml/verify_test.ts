import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { isPkcs11exError } from "../../../src/core/errors.ts";
import { encodeBase64 } from "../../../src/core/x509/pem.ts";
import { parseCertificate } from "../../../src/core/x509.ts";
import { encodeIssuerSerial } from "../../../src/formats/cms/ess.ts";
import { signXml } from "../../../src/formats/xml/sign.ts";
import { verifyXml } from "../../../src/formats/xml/verify.ts";
import { makeSelfSigned, softwareSigner } from "../../_support/software_keys.ts";
import { makeTempDir } from "../../_support/tmp.ts";
import { createWebCryptoBackend } from "../../../src/core/_verify_webcrypto.ts";
import type { VerifyBackend } from "../../../src/core/verify_bytes.ts";
import { resign, tamper, trusted, xmlsecVerify } from "./_support.ts";

const DOC = '<Order xmlns="urn:shop" xmlns:p="urn:pay"><item Id="i1">book</item>' +
  "<p:amount>1000</p:amount><user>alice@example.com</user></Order>";
const opts = trusted("any");

async function refused(doc: string, reason: string, kind?: string): Promise<void> {
  await assert.rejects(verifyXml(doc, opts), (e: unknown) => {
    assert.ok(isPkcs11exError(e), String(e));
    assert.equal(e.reason, reason, e.message);
    if (kind) assert.equal(e.detail.kind, kind, e.message);
    return true;
  });
}

describe("verifyXml: every XML reason and the wrapping attacks", () => {
  const { dir, cleanup } = makeTempDir("xml-verify-");
  const id = makeSelfSigned(dir, "rsa", { name: "verify" });
  const other = makeSelfSigned(dir, "ec", { name: "other" });
  const signer = softwareSigner(id, "RS256");
  let signed = "";
  const sig = () =>
    signed.slice(signed.indexOf("<ds:Signature "), signed.indexOf("</ds:Signature>") + 15);

  test("baseline: valid, returns the verified root and bytes", async () => {
    signed = await signXml(DOC, signer);
    const res = await verifyXml(signed, opts);
    assert.equal(res.root.localName, "Order");
    assert.equal(
      new TextDecoder().decode(res.signedBytes),
      '<Order xmlns="urn:shop"><item Id="i1">book</item><p:amount xmlns:p="urn:pay">1000</p:amount>' +
        "<user>alice@example.com</user></Order>",
    );
  });

  test("no_signature_element, multiple_signatures, malformed_xml", async () => {
    await refused(DOC, "no_signature_element");
    await refused(
      signed.replace("</Order>", `<x>${sig()}</x></Order>`),
      "multiple_signatures_unsupported_in_v1",
    );
    await refused(signed.slice(0, -"</Order>".length), "malformed_xml", "unexpected_end");
  });

  test("unsupported_signature_method with { uri }, c14n unsupported_canonicalization", async () => {
    const sha1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
    await assert.rejects(
      verifyXml(
        signed.replace("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", sha1),
        opts,
      ),
      (e: unknown) => isPkcs11exError(e, "unsupported_signature_method") && e.detail.uri === sha1,
    );
    const c14n11 = "http://www.w3.org/2006/12/xml-c14n11";
    await refused(
      signed.replace(/(<ds:CanonicalizationMethod Algorithm=")[^"]+/, `$1${c14n11}`),
      "c14n",
      "unsupported_canonicalization",
    );
    await refused(
      await resign(signed.replace("#enveloped-signature", "#base64"), signer),
      "c14n",
      "unsupported_transform",
    );
  });

  test("xades_cert_digest_mismatch and xades_issuer_serial_mismatch (validly re-signed)", async () => {
    const wrongDigest = signed.replace(
      /(<xades:CertDigest>.*?<ds:DigestValue>)[^<]+/,
      `$1${encodeBase64(new Uint8Array(32))}`,
    );
    await refused(await resign(wrongDigest, signer), "xades_cert_digest_mismatch");
    const otherSerial = encodeBase64(encodeIssuerSerial(parseCertificate(other.certDer)));
    const wrongSerial = signed.replace(/(<xades:IssuerSerialV2>)[^<]+/, `$1${otherSerial}`);
    await refused(await resign(wrongSerial, signer), "xades_issuer_serial_mismatch");
  });

  test("XSW: a wrapped copy under a forged root", async () => {
    const wrapped =
      `<Evil xmlns="urn:shop"><p:amount xmlns:p="urn:pay">1</p:amount>${signed}</Evil>`;
    await refused(wrapped, "signature_wrapping", "signature_not_enveloped");
  });

  test("XSW: a reference that points at a child element, not the document", async () => {
    const elsewhere = await resign(signed.replace('URI=""', 'URI="#i1"'), signer);
    await refused(elsewhere, "signature_wrapping", "data_reference_not_root");
    // xmlsec1 alone would accept this shape: the XSW defence is ours.
    assert.equal(xmlsecVerify(dir, elsewhere, id.certPath).status !== 0, true);
  });

  test("XSW: an extra reference, a missing enveloped transform", async () => {
    const extra = signed.replace(
      "<ds:Reference Type=",
      '<ds:Reference URI="#i1"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference><ds:Reference Type=',
    );
    await refused(await resign(extra, signer), "signature_wrapping", "unexpected_reference");
    const noEnv = signed.replace(
      '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>',
      "",
    );
    await refused(
      await resign(noEnv, signer),
      "signature_wrapping",
      "data_reference_not_enveloped",
    );
  });

  test("XSW: a reference without URI means the whole document, and only as the data reference", async () => {
    // Dropping URI="" keeps the meaning (and the digest): the whole document, enveloped.
    const noUri = await resign(signed.replace('URI=""', ""), signer);
    const res = await verifyXml(noUri, opts);
    assert.equal(res.root.localName, "Order");
    assert.deepEqual(res.signedBytes, (await verifyXml(signed, opts)).signedBytes);
    // As the SignedProperties reference it would cover the document: refused.
    const spUri = /URI="(#xades-[^"]+)"/.exec(signed)![1];
    await refused(
      await resign(signed.replace(`URI="${spUri}"`, ""), signer),
      "signature_wrapping",
      "signed_properties_reference_invalid",
    );
    // A second URI-less reference next to the data one.
    const dataRef = /<ds:Reference Id="[^"]+" URI="">[\s\S]*?<\/ds:Reference>/.exec(signed)![0];
    const twice = signed.replace(dataRef, dataRef + dataRef.replace(/ Id="[^"]+" URI=""/, ""));
    await refused(await resign(twice, signer), "signature_wrapping", "unexpected_reference");
  });

  test("XSW: SignedProperties moved out of the signature, or duplicated by Id", async () => {
    const object = signed.slice(signed.indexOf("<ds:Object>"), signed.indexOf("</ds:Object>") + 12);
    const moved = signed.replace(object, "").replace(
      "</Order>",
      `<w xmlns:ds="http://www.w3.org/2000/09/xmldsig#">${object}</w></Order>`,
    );
    await refused(moved, "signature_wrapping", "signed_properties_misplaced");
    const spId = /<xades:SignedProperties Id="([^"]+)"/.exec(signed)![1];
    await refused(
      signed.replace("<user>", `<user Id="${spId}">`),
      "signature_wrapping",
      "duplicate_id",
    );
    await refused(signed.replace("<user>", '<user ID="i1">'), "signature_wrapping", "duplicate_id");
  });

  test("comment injection keeps the signed text; whitespace injection breaks the digest", async () => {
    const injected = signed.replace("alice@example.com", "alice@example.com<!---->.evil.com");
    await refused(injected, "digest_mismatch");
    const split = signed.replace("alice@example.com", "alice@<!-- x -->example.com");
    const res = await verifyXml(split, opts);
    const user = res.root.children.find((c) => c.kind === "element" && c.localName === "user");
    assert.ok(user && user.kind === "element");
    // The comment is not signed content: what we return reads exactly as signed.
    assert.equal(
      user.children.filter((c) => c.kind === "text").map((c) => c.kind === "text" ? c.value : "")
        .join(""),
      "alice@example.com",
    );
    assert.ok(new TextDecoder().decode(res.signedBytes).includes("<user>alice@example.com</user>"));
    await refused(signed.replace("<p:amount>1000", "<p:amount>1000 "), "digest_mismatch");
  });

  test("namespace prefix rebinding breaks the digest", async () => {
    await refused(signed.replace('xmlns:p="urn:pay"', 'xmlns:p="urn:evil"'), "digest_mismatch");
    await refused(
      signed.replace('<Order xmlns="urn:shop"', '<Order xmlns="urn:evil"'),
      "digest_mismatch",
    );
    // Rebinding ds outside the signature changes nothing the signature covers.
    const res = await verifyXml(
      signed.replace('<Order xmlns="urn:shop"', '<Order xmlns:ds="urn:evil" xmlns="urn:shop"'),
      opts,
    );
    assert.ok(res);
  });

  test("the allowlist gate runs first: no digest and no math for an unknown signer", async () => {
    const webcrypto = createWebCryptoBackend();
    let maths = 0;
    const backend: VerifyBackend = {
      verify: (req) => {
        maths++;
        return webcrypto.verify(req);
      },
    };
    const pins = { [parseCertificate(id.certDer).spkiSha256Hex]: "acme" };
    // Both the data digest and the SignatureValue are wrong.
    const at = signed.indexOf(">", signed.indexOf("<ds:SignatureValue")) + 3;
    const bad = tamper(
      signed.replace("1000", "9000"),
      "<ds:SignatureValue",
      at - signed.indexOf("<ds:SignatureValue"),
    );
    const rejectsWith = (p: Promise<unknown>, reason: string) =>
      assert.rejects(
        p,
        (e: unknown) => isPkcs11exError(e, reason as never) || assert.fail(String(e)),
      );
    await rejectsWith(verifyXml(bad, trusted({}, { backend })), "unknown_signer");
    await rejectsWith(
      verifyXml(bad, trusted(pins, { backend, allowedAlgs: ["PS256"] })),
      "disallowed_alg",
    );
    await rejectsWith(
      verifyXml(bad, trusted(pins, { backend, validationTime: new Date("2001-01-01T00:00:00Z") })),
      "cert_not_yet_valid",
    );
    await rejectsWith(
      verifyXml(bad, trusted(pins, { backend, expectedSubject: "beta" })),
      "digest_mismatch",
    );
    assert.equal(maths, 0);
    // A known signer: step 5 (digest) comes before step 7 (math), which then runs once.
    await rejectsWith(
      verifyXml(
        tamper(signed, "<ds:SignatureValue", at - signed.indexOf("<ds:SignatureValue")),
        trusted(pins, { backend }),
      ),
      "signature_invalid",
    );
    assert.equal(maths, 1);
    await rejectsWith(
      verifyXml(signed, trusted(pins, { backend, expectedSubject: "beta" })),
      "unexpected_subject",
    );
    const ok = await verifyXml(signed, trusted(pins, { backend, expectedSubject: "acme" }));
    assert.equal(ok.subjectId, "acme");
    assert.equal(maths, 3);
  });

  test("cleanup", () => cleanup());
});
