/**
 * Interop the other way: PDFs signed by another implementation (`@signpdf/signpdf` with a
 * P12 made by openssl) verify here when their signer is pinned, and are refused when it is
 * not or when the bytes change. (`pdfsig -add-signature` would need an NSS database made
 * with certutil / pk12util, which are not installed here: not covered.)
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isPkcs11exError } from "../../../src/core/errors.ts";
import { parseCertificate } from "../../../src/core/x509.ts";
import { signPdf } from "../../../src/formats/pdf/sign.ts";
import { verifyPdfWithPolicy } from "../../../src/formats/pdf/verify_policy.ts";
import { PinnedRegistry } from "../../../src/policy/pinned_registry.ts";
import { makeSelfSigned, softwareSigner } from "../../_support/software_keys.ts";
import { makeTempDir } from "../../_support/tmp.ts";
import { buildPdf, makePdf, minimalPdf, pdfsig, text } from "./_helpers.ts";
import { makeP12, signWithSignpdf } from "./_signpdf.ts";

const { dir, cleanup } = makeTempDir("pdf-interop-");
const id = makeSelfSigned(dir, "rsa", { name: "signpdf", subject: "/CN=Signpdf Signer/O=other" });
const p12 = makeP12(dir, id);
const pinned = new PinnedRegistry({
  pins: { [parseCertificate(id.certDer).spkiSha256Hex]: "signpdf-signer" },
});
const opts = { policy: pinned, allowedAlgs: ["RS256", "PS256", "ES256"] };

describe("PDFs signed by @signpdf/signpdf (P12 from openssl)", () => {
  test("a classic-xref PDF: pdfsig says valid, we verify it with the signer pinned", async () => {
    const signed = await signWithSignpdf(minimalPdf(), p12);
    const v = pdfsig(dir, signed, "signpdf.pdf");
    assert.ok(v.signatures[0]?.valid, v.text);
    const { signatures } = await verifyPdfWithPolicy(signed, opts);
    assert.equal(signatures.length, 1);
    const [s] = signatures;
    assert.ok(s.ok);
    assert.equal(s.result.subjectId, "signpdf-signer");
    assert.equal(s.result.alg, "RS256");
    assert.equal(s.info.subFilter, "adbe.pkcs7.detached");
    assert.equal(s.info.coversWholeFile, true);
  });

  test("a pdf-lib PDF saved without object streams (what the plain placeholder reads)", async () => {
    const signed = await signWithSignpdf(await makePdf({ objectStreams: false }), p12);
    const { signatures } = await verifyPdfWithPolicy(signed, opts);
    assert.ok(signatures[0].ok);
  });

  test("unpinned → unknown_signer; a changed byte → message_digest_mismatch", async () => {
    const signed = await signWithSignpdf(minimalPdf(), p12);
    await assert.rejects(
      verifyPdfWithPolicy(signed, { ...opts, policy: new PinnedRegistry() }),
      (e) => isPkcs11exError(e, "unknown_signer"),
    );
    const tampered = signed.slice();
    tampered[text(tampered).indexOf("signed text")] = 0x53;
    await assert.rejects(
      verifyPdfWithPolicy(tampered, opts),
      (e) => isPkcs11exError(e, "message_digest_mismatch"),
    );
  });

  test("their signature, then ours: both verify, theirs is followed by a signature only", async () => {
    const theirs = await signWithSignpdf(minimalPdf(), p12);
    const ours = makeSelfSigned(dir, "ec", { name: "ours", subject: "/CN=Our Signer" });
    const twice = await signPdf(theirs, softwareSigner(ours, "ES256"));
    const both = new PinnedRegistry({
      pins: {
        [parseCertificate(id.certDer).spkiSha256Hex]: "signpdf-signer",
        [parseCertificate(ours.certDer).spkiSha256Hex]: "ours",
      },
    });
    const { signatures } = await verifyPdfWithPolicy(twice, { ...opts, policy: both });
    assert.deepEqual(
      signatures.map((s) => s.ok && [s.result.subjectId, s.info.changesAfter]),
      [["signpdf-signer", "signatures_only"], ["ours", "none"]],
    );
    const v = pdfsig(dir, twice, "twice.pdf");
    assert.deepEqual(v.signatures.map((s) => s.valid), [true, true], v.text);
  });

  test("a small hand-built PDF with an Info dictionary also round-trips through signpdf", async () => {
    const pdf = buildPdf([
      "<</Type/Catalog/Pages 2 0 R>>",
      "<</Type/Pages/Kids[3 0 R]/Count 1>>",
      "<</Type/Page/Parent 2 0 R/MediaBox[0 0 100 100]>>",
      "<</Producer(hand)>>",
    ], "/Root 1 0 R /Info 4 0 R");
    const signed = await signWithSignpdf(pdf, p12);
    assert.ok((await verifyPdfWithPolicy(signed, opts)).signatures[0].ok);
  });

  test("cleanup", () => cleanup());
});
