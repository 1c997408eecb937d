import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { isPkcs11exError } from "../../../src/core/errors.ts";
import { preparePdfSignature } from "../../../src/formats/pdf/prepare.ts";
import { signPdf } from "../../../src/formats/pdf/sign.ts";
import { readPdf } from "../../../src/formats/pdf/reader.ts";
import { makeSelfSigned, softwareSigner } from "../../_support/software_keys.ts";
import { makeTempDir } from "../../_support/tmp.ts";
import { runOk } from "../../_support/run.ts";
import { corpusPdf, makePdf, pdfsig, qpdfCheck, text } from "./_helpers.ts";

function assertValid(dir: string, pdf: Uint8Array, count: number, cn: string): void {
  const q = qpdfCheck(dir, pdf);
  assert.equal(q.status, 0, q.text);
  const v = pdfsig(dir, pdf);
  assert.equal(v.signatures.length, count, v.text);
  for (const s of v.signatures) {
    assert.ok(s.valid, v.text);
    assert.equal(s.commonName, cn, v.text);
  }
}

describe("signPdf / preparePdfSignature", () => {
  test("signs pdf-lib output (xref stream) with RS256, PS256 and ES256; pdfsig + qpdf agree", async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const rsa = makeSelfSigned(dir, "rsa", { subject: "/CN=Pdf Rsa/O=pkcs11ex tests" });
      const ec = makeSelfSigned(dir, "ec", { subject: "/CN=Pdf Ec/O=pkcs11ex tests" });
      const pdf = await makePdf();
      for (
        const [id, alg, cn] of [[rsa, "RS256", "Pdf Rsa"], [rsa, "PS256", "Pdf Rsa"], [
          ec,
          "ES256",
          "Pdf Ec",
        ]] as const
      ) {
        const signed = await signPdf(pdf, softwareSigner(id, alg), { reason: "approved" });
        assert.deepEqual(signed.subarray(0, pdf.length), pdf, "original bytes kept");
        assert.equal(readPdf(signed).xrefKind, "stream");
        assertValid(dir, signed, 1, cn);
      }
    } finally {
      cleanup();
    }
  });

  test("signs classic-table output and qpdf --object-streams=generate output", async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const id = makeSelfSigned(dir, "rsa", { subject: "/CN=Pdf Signer/O=pkcs11ex tests" });
      const table = await makePdf({ objectStreams: false });
      const signedTable = await signPdf(table, softwareSigner(id, "PS256"));
      assert.equal(readPdf(signedTable).xrefKind, "table");
      assertValid(dir, signedTable, 1, "Pdf Signer");
      writeFileSync(join(dir, "in.pdf"), table);
      runOk("qpdf", ["--object-streams=generate", join(dir, "in.pdf"), join(dir, "os.pdf")]);
      const os = new Uint8Array(runOk("cat", [join(dir, "os.pdf")]).stdoutBytes);
      const signedOs = await signPdf(os, softwareSigner(id, "PS256"));
      assert.equal(readPdf(signedOs).xrefKind, "stream");
      assertValid(dir, signedOs, 1, "Pdf Signer");
    } finally {
      cleanup();
    }
  });

  test("a second signature leaves the first valid", async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const a = makeSelfSigned(dir, "rsa", { name: "a", subject: "/CN=First Signer" });
      const b = makeSelfSigned(dir, "ec", { name: "b", subject: "/CN=Second Signer" });
      const once = await signPdf(await makePdf(), softwareSigner(a, "PS256"));
      const twice = await signPdf(once.slice(), softwareSigner(b, "ES256"));
      const v = pdfsig(dir, twice);
      assert.equal(v.signatures.length, 2, v.text);
      assert.ok(v.signatures.every((s) => s.valid), v.text);
      assert.deepEqual(v.signatures.map((s) => s.commonName), ["First Signer", "Second Signer"]);
      assert.deepEqual(v.signatures.map((s) => s.field), ["Signature1", "Signature2"]);
      assert.equal(qpdfCheck(dir, twice).status, 0);
    } finally {
      cleanup();
    }
  });

  test("writes /M and escaped optional entries (UTF-16BE with BOM for non-ASCII)", () => {
    const p = preparePdfSignature(corpusPdf("pyhanko-minimal-xref-table.pdf"), {
      reason: "ok (a\\b)",
      location: "Santiago, Ñuñoa",
      contactInfo: "x@example.com",
      name: "Jane",
      signingTime: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
      placeholderSize: 256,
    });
    const t = text(p.bytes);
    assert.match(t, /\/M\(D:20240102030405\+00'00'\)/);
    assert.match(t, /\/Reason\(ok \\\(a\\\\b\\\)\)/);
    assert.match(t, /\/Location<feff0053/);
    assert.match(t, /\/Type\/Sig\/Filter\/Adobe\.PPKLite\/SubFilter\/ETSI\.CAdES\.detached/);
    assert.match(t, /\/Rect \[0 0 0 0\]\/F 132/);
    assert.match(t, /\/SigFlags 3/);
    const [, a, b, c] = p.byteRange;
    assert.equal(t[a], "<");
    assert.equal(t[b - 1], ">");
    assert.equal(b + c, p.bytes.length);
    assert.equal(b - a, 256 * 2 + 2);
  });

  test("keeps /ID[0], makes a new /ID[1], keeps /Root and /Info, sets /Prev", () => {
    const pdf = corpusPdf("dss-itext-empty-sig-field.pdf");
    const before = readPdf(pdf);
    const after = readPdf(preparePdfSignature(pdf, { placeholderSize: 256 }).bytes);
    const id0 = before.latest.trailer.get("ID") as { bytes: Uint8Array }[];
    const id1 = after.latest.trailer.get("ID") as { bytes: Uint8Array }[];
    assert.deepEqual(id1[0].bytes, id0[0].bytes);
    assert.notDeepEqual(id1[1].bytes, id0[1].bytes);
    assert.deepEqual(after.latest.trailer.get("Root"), before.latest.trailer.get("Root"));
    assert.deepEqual(after.latest.trailer.get("Info"), before.latest.trailer.get("Info"));
    assert.equal(after.latest.trailer.get("Prev"), before.startxref);
    assert.ok(
      (after.latest.trailer.get("Size") as number) > (before.latest.trailer.get("Size") as number),
    );
  });

  test("fills a named empty signature field instead of adding one", async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const id = makeSelfSigned(dir, "rsa", { subject: "/CN=Field Filler" });
      const signed = await signPdf(
        corpusPdf("pyhanko-one-empty-sig-field.pdf"),
        softwareSigner(id, "PS256"),
        {
          fieldName: "Sig1",
        },
      );
      const v = pdfsig(dir, signed);
      assert.equal(v.signatures.length, 1, v.text);
      assert.equal(v.signatures[0].field, "Sig1");
      assert.ok(v.signatures[0].valid, v.text);
      await assert.rejects(
        signPdf(signed, softwareSigner(id, "PS256"), { fieldName: "Sig1" }),
        (e) => isPkcs11exError(e, "writer") && e.detail.kind === "field_already_signed",
      );
    } finally {
      cleanup();
    }
  });

  test("merges a new field into an existing AcroForm with other fields", async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const id = makeSelfSigned(dir, "rsa", { subject: "/CN=Form Merger" });
      const pdf = corpusPdf("signpdf-openoffice-acroform-no-sig-field.pdf");
      const signed = await signPdf(pdf, softwareSigner(id, "PS256"));
      const doc = readPdf(signed);
      const form = doc.latest.dict(doc.latest.catalog().get("AcroForm"))!;
      const fields = doc.latest.resolve(form.get("Fields")) as unknown[];
      assert.equal(fields.length, 18);
      assertValid(dir, signed, 1, "Form Merger");
    } finally {
      cleanup();
    }
  });

  test("refuses a placeholder size out of range and a CMS that does not fit", () => {
    const pdf = corpusPdf("pyhanko-minimal-xref-table.pdf");
    for (const placeholderSize of [255, 1024 * 1024 + 1, 1.5]) {
      assert.throws(
        () => preparePdfSignature(pdf, { placeholderSize }),
        (e) => isPkcs11exError(e, "writer") && e.detail.kind === "placeholder_size_out_of_range",
      );
    }
    const p = preparePdfSignature(pdf, { placeholderSize: 256 });
    assert.throws(
      () => p.finish(new Uint8Array(257)),
      (e) => isPkcs11exError(e, "writer") && e.detail.kind === "cms_der_too_large",
    );
  });

  test("B-T against an unreachable TSA fails with bt_failed and no signature", async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const id = makeSelfSigned(dir, "ec");
      await assert.rejects(
        signPdf(corpusPdf("pyhanko-minimal-xref-table.pdf"), softwareSigner(id, "ES256"), {
          tsaUrl: "http://127.0.0.1:9/",
        }),
        (e) => isPkcs11exError(e, "bt_failed"),
      );
    } finally {
      cleanup();
    }
  });
});
