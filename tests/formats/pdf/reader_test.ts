import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isPkcs11exError } from "../../../src/core/errors.ts";
import { PdfName, PdfStream } from "../../../src/formats/pdf/_objects.ts";
import { readPdf } from "../../../src/formats/pdf/reader.ts";
import { corpusPdf, makePdf } from "./_helpers.ts";

function allObjects(name: string): number {
  const doc = readPdf(corpusPdf(name));
  let n = 0;
  for (const s of doc.sections) {
    for (const num of s.entries.keys()) {
      doc.latest.object(num);
      n++;
    }
  }
  return n;
}

describe("PDF reader", () => {
  test("reads a classic cross-reference table", () => {
    const doc = readPdf(corpusPdf("pyhanko-minimal-xref-table.pdf"));
    assert.equal(doc.xrefKind, "table");
    assert.equal(doc.latest.catalog().name("Type"), "Catalog");
    assert.equal(doc.revisions.length, 1);
  });

  test("reads a cross-reference stream with object streams (type-2 entries)", () => {
    const doc = readPdf(corpusPdf("pyhanko-objstm-xref-stream.pdf"));
    assert.equal(doc.xrefKind, "stream");
    const compressed = [...doc.sections[0].entries.values()].filter((e) => e.type === 2);
    assert.ok(compressed.length >= 4);
    assert.equal(doc.latest.catalog().name("Type"), "Catalog");
    assert.ok(allObjects("pyhanko-objstm-xref-stream.pdf") > 4);
  });

  test("reads PNG-predicted xref streams of a linearized file", () => {
    const doc = readPdf(corpusPdf("dss-acrobat-linearized-objstm.pdf"));
    assert.equal(doc.sections.length, 2);
    assert.ok(doc.latest.dict(doc.latest.catalog().get("Pages")));
  });

  test("honours /XRefStm in hybrid files", () => {
    for (const f of ["pyhanko-minimal-hybrid-xref.pdf", "dss-word2013-hybrid-xref.pdf"]) {
      const doc = readPdf(corpusPdf(f));
      assert.equal(doc.xrefKind, "table");
      assert.ok(allObjects(f) > 5, f);
      assert.ok(doc.latest.dict(doc.latest.catalog().get("Pages")), f);
    }
  });

  test("follows /Prev through incremental updates and finds revision ends", () => {
    const doc = readPdf(corpusPdf("dss-libreoffice-two-empty-sig-fields-incremental.pdf"));
    assert.equal(doc.sections.length, 3);
    assert.equal(doc.revisions.length, 3);
    assert.equal(doc.revisions[2].end, doc.bytes.length);
    const first = doc.viewAt(doc.revisions[0].end);
    assert.ok(first.catalog());
  });

  test("reads pdf-lib output", async () => {
    const doc = readPdf(await makePdf({ pages: 2 }));
    assert.equal(doc.xrefKind, "stream");
    const pages = doc.latest.dict(doc.latest.catalog().get("Pages"));
    assert.equal(pages?.get("Count"), 2);
  });

  test("tolerates a startxref that is slightly off", () => {
    const doc = readPdf(corpusPdf("dss-digest-mismatch-corrupted.pdf"));
    assert.ok(doc.latest.catalog().get("AcroForm"));
  });

  test("decodes streams lazily: content streams stay raw", () => {
    const doc = readPdf(corpusPdf("pyhanko-minimal-xref-table.pdf"));
    const page = doc.latest.dict(
      (doc.latest.dict(doc.latest.catalog().get("Pages"))!.get("Kids") as never[])[0],
    );
    const contents = doc.latest.resolve(page!.get("Contents"));
    assert.ok(contents instanceof PdfStream);
    assert.ok(page!.get("Type") instanceof PdfName);
  });

  for (
    const f of [
      "pyhanko-encrypted-aes256.pdf",
      "pyhanko-encrypted-rc4.pdf",
      "pyhanko-encrypted-pubkey-aes256.pdf",
      "dss-encrypted-signed-legacy.pdf",
    ]
  ) {
    test(`refuses the encrypted ${f}`, () => {
      assert.throws(
        () => readPdf(corpusPdf(f)),
        (e) => isPkcs11exError(e, "encrypted_pdf_unsupported"),
      );
    });
  }
});
