import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { isPkcs11exError } from "../../../src/core/errors.ts";
import { signXml } from "../../../src/formats/xml/sign.ts";
import { verifyXml } from "../../../src/formats/xml/verify.ts";
import { makeSelfSigned, softwareSigner, type TestIdentity } from "../../_support/software_keys.ts";
import { makeTempDir } from "../../_support/tmp.ts";
import {
  ps256ByXmlsecAndOpenssl,
  tamper,
  trusted,
  xadesjsVerify,
  xmlsecVerify,
} from "./_support.ts";

const DOC = '<?xml version="1.0" encoding="UTF-8"?>\r\n<!-- before -->\r\n' +
  '<inv:Invoice xmlns:inv="urn:example:invoice" xmlns:unused="urn:unused" Id="inv-1">\r\n' +
  "\t<inv:Line  qty = '2' >Widget &amp; gadget — ünïcode</inv:Line>\r\n" +
  '\t<inv:Total currency="CLP">1000</inv:Total><!-- inside -->\r\n</inv:Invoice>\r\n';

function sigValueAt(text: string): number {
  return text.indexOf(">", text.indexOf("<ds:SignatureValue")) + 5;
}

async function rejects(p: Promise<unknown>, reason: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => isPkcs11exError(e) && e.reason === reason);
}

describe("signXml: outside verifiers accept what we sign", () => {
  const { dir, cleanup } = makeTempDir("xml-sign-");
  const ids: Record<string, TestIdentity> = {};
  const identity = (kind: "rsa" | "ec"): TestIdentity =>
    ids[kind] ??= makeSelfSigned(dir, kind, { name: `xml-${kind}` });

  for (const alg of ["RS256", "PS256", "ES256"] as const) {
    test(`${alg}: bytes kept, xmlsec1 + xadesjs + verifyXml accept, tampering fails`, async () => {
      const id = identity(alg === "ES256" ? "ec" : "rsa");
      const signer = softwareSigner(id, alg);
      const signed = await signXml(DOC, signer, { signingTime: new Date("2024-05-01T10:00:00Z") });
      // The document's own text is untouched: only the Signature element was inserted.
      const start = signed.indexOf("<ds:Signature ");
      const end = signed.indexOf("</ds:Signature>") + "</ds:Signature>".length;
      assert.equal(signed.slice(0, start) + signed.slice(end), DOC);
      assert.ok(signed.slice(end).startsWith("</inv:Invoice>"));

      if (alg !== "PS256") {
        const res = xmlsecVerify(dir, signed, id.certPath);
        assert.equal(res.status, 0, res.stderr);
        assert.match(res.stderr, /SignedInfo References \(ok\/all\): 2\/2/);
      } else {
        // xmlsec1 1.2.37 lacks the RFC 6931 MGF1 URI: its c14n and digests plus openssl's PSS.
        assert.deepEqual(ps256ByXmlsecAndOpenssl(dir, signed, id.certPath), {
          references: "2/2",
          verified: true,
        });
      }
      assert.equal(await xadesjsVerify(signed), true);
      const pins = {
        [(await import("../../../src/core/x509.ts")).parseCertificate(id.certDer).spkiSha256Hex]:
          "acme",
      };
      const ok = await verifyXml(signed, trusted(pins));
      assert.equal(ok.subjectId, "acme");
      assert.equal(ok.alg, alg);
      assert.equal(ok.root.localName, "Invoice");
      assert.equal(ok.signingTime, "2024-05-01T10:00:00Z");
      assert.ok(
        new TextDecoder().decode(ok.signedBytes).startsWith(
          '<inv:Invoice xmlns:inv="urn:example:invoice" Id="inv-1">',
        ),
      );

      const attacks: [string, string, string][] = [
        ["data", tamper(signed, "1000"), "digest_mismatch"],
        ["SignedProperties", tamper(signed, "<xades:SigningTime>", 21), "digest_mismatch"],
        [
          "SignatureValue",
          signed.slice(0, sigValueAt(signed)) +
          (signed[sigValueAt(signed)] === "A" ? "B" : "A") + signed.slice(sigValueAt(signed) + 1),
          "signature_invalid",
        ],
      ];
      for (const [what, bad, reason] of attacks) {
        assert.notEqual(bad, signed, what);
        if (alg !== "PS256") assert.notEqual(xmlsecVerify(dir, bad, id.certPath).status, 0, what);
        else {
          const proof = ps256ByXmlsecAndOpenssl(dir, bad, id.certPath);
          assert.ok(proof.references !== "2/2" || !proof.verified, what);
        }
        assert.equal(await xadesjsVerify(bad), false, what);
        await rejects(verifyXml(bad, trusted(pins)), reason);
      }
      await rejects(verifyXml(signed, trusted({})), "unknown_signer");
    });
  }

  test("bytes in, bytes out; a self-closing root is opened", async () => {
    const signer = softwareSigner(identity("ec"), "ES256");
    const input = new TextEncoder().encode('\uFEFF<r xmlns="urn:r" a="1"/>');
    const signed = await signXml(input, signer);
    assert.ok(signed instanceof Uint8Array);
    const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(signed);
    assert.ok(text.startsWith('\uFEFF<r xmlns="urn:r" a="1"><ds:Signature'));
    assert.ok(text.endsWith("</ds:Signature></r>"));
    assert.equal(xmlsecVerify(dir, signed, identity("ec").certPath).status, 0);
  });

  test("refusals: existing signature, unsupported alg, duplicate Ids", async () => {
    const signer = softwareSigner(identity("ec"), "ES256");
    const once = await signXml("<a/>", signer);
    await rejects(signXml(once, signer), "multiple_signatures_unsupported_in_v1");
    await rejects(signXml("<a/>", { ...signer, alg: "EdDSA" }), "unsupported_signature_method");
    await rejects(signXml('<a><b Id="x"/><c Id="x"/></a>', signer), "signature_wrapping");
  });

  test("cleanup", () => cleanup());
});
