/** verifyPdf: every structural refusal point of api §3.3 on PDFs signed here, then tampered. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isPkcs11exError, type Pkcs11exReason } from "../../../src/core/errors.ts";
import { verifySignerInfoMath } from "../../../src/formats/cms/mod.ts";
import { inspectPdfSignatures } from "../../../src/formats/pdf/inspect.ts";
import { signPdf } from "../../../src/formats/pdf/sign.ts";
import { type PdfSignatureToVerify, verifyPdf } from "../../../src/formats/pdf/verify.ts";
import { makeSelfSigned, softwareSigner } from "../../_support/software_keys.ts";
import { makeTempDir } from "../../_support/tmp.ts";
import { appendUpdate, bytes, minimalPdf, text } from "./_helpers.ts";

const math = {
  verifyCms: (sig: PdfSignatureToVerify): Promise<number> => {
    verifySignerInfoMath(sig.cms);
    return Promise.resolve(sig.cms.leaf.der.length);
  },
};

async function signedMinimal(): Promise<Uint8Array> {
  const { dir, cleanup } = makeTempDir();
  try {
    return await signPdf(minimalPdf(), softwareSigner(makeSelfSigned(dir, "ec"), "ES256"));
  } finally {
    cleanup();
  }
}

async function refuses(pdf: Uint8Array, reason: Pkcs11exReason, kind?: string): Promise<void> {
  await assert.rejects(verifyPdf(pdf, math), (e) => {
    assert.ok(isPkcs11exError(e, reason), `${reason}: got ${e}`);
    if (kind) assert.equal(e.detail.kind, kind);
    return true;
  });
}

/** Rewrites the padded /ByteRange numbers of the (only) signature, same width. */
function withByteRange(pdf: Uint8Array, nums: string): Uint8Array {
  const t = text(pdf);
  return bytes(t.replace(/\/ByteRange \[0 ([0-9 ]+)\]/, (_m, inner: string) => {
    return `/ByteRange [${nums.padEnd(inner.length + 2, " ")}]`;
  }));
}

describe("verifyPdf", () => {
  test("accepts what we sign; the trust step sees the x5c hint", async () => {
    const pdf = await signedMinimal();
    let hint: string[] = [];
    const { signatures } = await verifyPdf(pdf, {
      verifyCms: (sig) => {
        verifySignerInfoMath(sig.cms);
        hint = sig.hint.x5c;
        return Promise.resolve("subject");
      },
    });
    assert.equal(signatures.length, 1);
    assert.ok(signatures[0].ok && signatures[0].result === "subject");
    assert.equal(hint.length, 1);
  });

  test("no signature → no_signature", async () => {
    await refuses(minimalPdf(), "no_signature");
  });

  test("a flipped byte in the signed range → message_digest_mismatch", async () => {
    const pdf = await signedMinimal();
    const i = text(pdf).indexOf("signed text");
    pdf[i] = "S".charCodeAt(0);
    await refuses(pdf, "message_digest_mismatch");
  });

  test("a /ByteRange past the end → byte_range_out_of_bounds", async () => {
    const pdf = await signedMinimal();
    const [, a, b] = inspectPdfSignatures(pdf).signatures[0].byteRange!;
    await refuses(withByteRange(pdf, `0 ${a} ${b} ${pdf.length}`), "byte_range_out_of_bounds");
  });

  test("overlapping, one-range, not-from-zero and gap ranges → byte_range_invalid", async () => {
    const pdf = await signedMinimal();
    const [, a, b, c] = inspectPdfSignatures(pdf).signatures[0].byteRange!;
    await refuses(withByteRange(pdf, `0 ${b + 5} ${b} ${c}`), "byte_range_invalid", "overlap");
    await refuses(withByteRange(pdf, `0 ${a}`), "byte_range_invalid", "not_four_integers");
    await refuses(
      withByteRange(pdf, `1 ${a - 1} ${b} ${c}`),
      "byte_range_invalid",
      "not_from_start",
    );
    await refuses(
      withByteRange(pdf, `0 ${a - 4} ${b} ${c}`),
      "byte_range_invalid",
      "hole_not_contents",
    );
  });

  test("/Contents that is not hex → malformed_signature_contents", async () => {
    const pdf = await signedMinimal();
    const [, a] = inspectPdfSignatures(pdf).signatures[0].byteRange!;
    pdf[a + 3] = "z".charCodeAt(0);
    await refuses(pdf, "malformed_signature_contents");
  });

  test("two signature dictionaries claiming the same range → byte_range_invalid", async () => {
    const pdf = await signedMinimal();
    const br = /\/ByteRange \[[0-9 ]+\]/.exec(text(pdf))![0];
    const forged = appendUpdate(pdf, {
      40: `<</Type/Sig/Filter/Adobe.PPKLite${br}/Contents <3000>>>`,
    }, "/Size 41 /Root 1 0 R");
    const sigs = inspectPdfSignatures(forged).signatures;
    assert.equal(sigs.length, 2);
    await refuses(forged, "byte_range_invalid", "shared_byte_range");
  });

  test("a signed revision followed by a content change (shadow attack) → incremental_update_after_signature", async () => {
    const pdf = await signedMinimal();
    const evil = "BT /F1 12 Tf 10 10 Td (other text) Tj ET";
    const shadow = appendUpdate(pdf, {
      4: `<</Length ${evil.length}>>\nstream\n${evil}\nendstream`,
    }, "/Size 50 /Root 1 0 R");
    const [sig] = inspectPdfSignatures(shadow).signatures;
    assert.equal(sig.changesAfter, "other");
    assert.deepEqual(sig.otherChangedObjects, [4]);
    await refuses(shadow, "incremental_update_after_signature", "changes_after_signature");
    const allowed = await verifyPdf(shadow, { ...math, allowChangesAfter: true });
    assert.ok(allowed.signatures[0].ok);
  });

  test("content changes disguised as signature-only changes are still other changes", async () => {
    // Each update replaces the page content (object 4) or draws over the page, and gives the
    // changed object a role that a signature-only update may change: the roles must come
    // from the signed revision, and what a new reference points to must be looked at.
    const pdf = await signedMinimal();
    const evil = "BT /F1 12 Tf 10 10 Td (other text) Tj ET";
    const content = (dict: string) =>
      `<<${dict}/Length ${evil.length}>>\nstream\n${evil}\nendstream`;
    const catalog = /1 0 obj\n(<<\/Type \/Catalog[^\n]*)\nendobj/.exec(text(pdf))![1];
    const page = /3 0 obj\n(<<\/Type \/Page[^\n]*)\nendobj/.exec(text(pdf))![1];
    assert.ok(page.includes("/Annots [6 0 R]") && /\/AcroForm <<[^>]*>>/.test(catalog));
    const trailer = "/Size 20 /Root 1 0 R";
    const overlay = `<</Type/XObject/Subtype/Form/BBox[0 0 200 200]/Length ${evil.length}>>` +
      `\nstream\n${evil}\nendstream`;
    const cases: [string, Record<number, string>, string, number[]][] = [
      ["typed as XMP metadata", { 4: content("/Type/Metadata/Subtype/XML") }, trailer, [4]],
      ["typed as an object stream", { 4: content("/Type/ObjStm/N 0/First 0") }, trailer, [4]],
      [
        "named the Info dictionary by the new trailer",
        { 4: content("") },
        `${trailer} /Info 4 0 R`,
        [4],
      ],
      [
        "listed in a new DSS",
        { 1: catalog.replace(/>>$/, "/DSS 7 0 R>>"), 7: "<</Certs[4 0 R]>>", 4: content("") },
        trailer,
        [4],
      ],
      [
        "a FreeText annotation behind a new /Annots reference",
        {
          3: page.replace("/Annots [6 0 R]", "/Annots 8 0 R"),
          8: "[6 0 R 9 0 R]",
          9: "<</Type/Annot/Subtype/FreeText/Rect[0 0 200 200]/Contents(x)/AP<</N 10 0 R>>>>",
          10: overlay,
        },
        trailer,
        [3],
      ],
      [
        "a text field behind a new /AcroForm reference",
        {
          1: catalog.replace(/\/AcroForm <<[^>]*>>/, "/AcroForm 11 0 R"),
          11: "<</Fields[6 0 R 12 0 R]/NeedAppearances true>>",
          12: "<</FT/Tx/T(t)/V(other)/Type/Annot/Subtype/Widget/Rect[0 0 200 200]/P 3 0 R>>",
        },
        trailer,
        [1],
      ],
      [
        "a new appearance for the signed field",
        {
          6: "<</Type /Annot/Subtype /Widget/FT /Sig/T (Signature1)/V 5 0 R/Rect [0 0 0 0]" +
            "/F 132/P 3 0 R/AP<</N 10 0 R>>>>",
          10: overlay,
        },
        trailer,
        [6],
      ],
      ["a catalog of its own", { 13: "<</Pages 2 0 R>>" }, "/Size 20 /Root 13 0 R", [13]],
    ];
    for (const [name, objects, newTrailer, others] of cases) {
      const shadow = appendUpdate(pdf, objects, newTrailer);
      const [sig] = inspectPdfSignatures(shadow).signatures;
      assert.equal(sig.changesAfter, "other", name);
      assert.deepEqual(sig.otherChangedObjects, others, name);
      await refuses(shadow, "incremental_update_after_signature", "changes_after_signature");
    }
  });

  test("bytes appended after the last revision → incremental_update_after_signature", async () => {
    const pdf = await signedMinimal();
    const junk = new Uint8Array(pdf.length + 20);
    junk.set(pdf);
    junk.set(bytes("1 0 obj <<>> endobj\n"), pdf.length);
    await refuses(junk, "incremental_update_after_signature", "trailing_bytes");
  });

  test("a second signature is a signature-only change for the first", async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const once = await signedMinimal();
      const twice = await signPdf(once, softwareSigner(makeSelfSigned(dir, "rsa"), "PS256"));
      const { signatures } = await verifyPdf(twice, math);
      assert.deepEqual(signatures.map((s) => s.info.changesAfter), ["signatures_only", "none"]);
      assert.deepEqual(signatures.map((s) => s.info.fieldName), ["Signature1", "Signature2"]);
    } finally {
      cleanup();
    }
  });
});
