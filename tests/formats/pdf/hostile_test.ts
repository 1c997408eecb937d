/** Hostile and broken input: typed errors, no crash, bounded time. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { deflateSync } from "node:zlib";
import { isPkcs11exError, Pkcs11exError } from "../../../src/core/errors.ts";
import { inspectPdfSignatures } from "../../../src/formats/pdf/inspect.ts";
import { readPdf } from "../../../src/formats/pdf/reader.ts";
import { buildPdf, bytes, corpusPdf, minimalPdf, text } from "./_helpers.ts";

function readAll(pdf: Uint8Array, limits = {}): void {
  const doc = readPdf(pdf, limits);
  for (const s of doc.sections) for (const n of s.entries.keys()) doc.latest.object(n);
}

/**
 * A PDF whose objects 3 … n + 2 are the numbers 3 … n + 2, all in one uncompressed object
 * stream (object 2), with a cross-reference stream.
 */
function objectStreamPdf(n: number): Uint8Array {
  let header = "", data = "";
  for (let i = 0; i < n; i++) {
    header += `${i + 3} ${data.length} `;
    data += `${i + 3} `;
  }
  let s = "%PDF-1.7\n";
  const offsets = [0, s.length];
  s += "1 0 obj\n<</Type/Catalog>>\nendobj\n";
  offsets.push(s.length);
  const body = header + data;
  s += `2 0 obj\n<</Type/ObjStm/N ${n}/First ${header.length}/Length ${body.length}>>\nstream\n`;
  s += `${body}\nendstream\nendobj\n`;
  const xrefNum = n + 3;
  const row = (type: number, a: number, b: number) =>
    String.fromCharCode(
      type,
      a >>> 24,
      (a >>> 16) & 255,
      (a >>> 8) & 255,
      a & 255,
      b >>> 8,
      b & 255,
    );
  let rows = row(0, 0, 65535) + row(1, offsets[1], 0) + row(1, offsets[2], 0);
  for (let i = 0; i < n; i++) rows += row(2, 2, i);
  rows += row(1, s.length, 0);
  const xref = s.length;
  s += `${xrefNum} 0 obj\n<</Type/XRef/Size ${n + 4}/W[1 4 2]/Root 1 0 R/Length ${rows.length}>>\n`;
  s += `stream\n${rows}\nendstream\nendobj\nstartxref\n${xref}\n%%EOF\n`;
  return bytes(s);
}

function assertMalformed(fn: () => unknown, kind?: string): void {
  const t = performance.now();
  assert.throws(fn, (e) => {
    assert.ok(isPkcs11exError(e, "malformed_pdf"), String(e));
    if (kind) assert.equal((e as Pkcs11exError).detail.kind, kind);
    return true;
  });
  assert.ok(performance.now() - t < 5000, "bounded time");
}

describe("PDF reader on hostile input", () => {
  test("truncated files: only typed errors, at every cut", () => {
    for (
      const name of [
        "pyhanko-objstm-xref-stream.pdf",
        "dss-pades-bb.pdf",
        "pyhanko-minimal-hybrid-xref.pdf",
      ]
    ) {
      const pdf = corpusPdf(name);
      const step = Math.max(1, Math.floor(pdf.length / 60));
      for (let cut = 0; cut < pdf.length; cut += step) {
        try {
          readAll(pdf.subarray(0, cut));
          inspectPdfSignatures(pdf.subarray(0, cut));
        } catch (e) {
          assert.ok(e instanceof Pkcs11exError, `${name} cut ${cut}: ${e}`);
        }
      }
    }
  });

  test("missing startxref and missing header", () => {
    const pdf = text(minimalPdf()).replace("startxref", "startxxxx");
    assertMalformed(() => readPdf(bytes(pdf)), "startxref_not_found");
    assertMalformed(() => readPdf(bytes("hello")), "header_missing");
    assert.throws(() => readPdf("%PDF" as never), TypeError);
  });

  test("a /Prev cycle", () => {
    const base = text(minimalPdf());
    const xref = Number(/startxref\n(\d+)/.exec(base)![1]);
    const cyclic = base.replace("/Root 1 0 R>>", `/Root 1 0 R/Prev ${xref}>>`);
    assertMalformed(() => readPdf(bytes(cyclic)), "prev_chain_cycle");
  });

  test("deeply nested arrays and dictionaries", () => {
    const depth = 100_000;
    assertMalformed(
      () => readAll(buildPdf(["[".repeat(depth) + "]".repeat(depth)])),
      "nesting_too_deep",
    );
    assertMalformed(
      () => readAll(buildPdf(["<</A ".repeat(depth) + ">>".repeat(depth)])),
      "nesting_too_deep",
    );
  });

  test("a huge declared /Length with no endstream", () => {
    const pdf = buildPdf(["<</Type/Catalog>>", "<</Length 999999999999>>\nstream\nabc"]);
    assertMalformed(() => readAll(pdf));
  });

  test("a lying /Length is recovered by endstream", () => {
    const doc = readPdf(
      buildPdf(["<</Type/Catalog>>", "<</Length 999999>>\nstream\nabc\nendstream"]),
    );
    const s = doc.latest.object(2) as { raw(): Uint8Array };
    assert.equal(text(s.raw()), "abc");
  });

  test("a decompression bomb in a cross-reference stream stays under the limit", () => {
    const bomb = deflateSync(new Uint8Array(8 * 1024 * 1024));
    let s = "%PDF-1.7\n";
    const at = s.length;
    s +=
      `1 0 obj\n<</Type/XRef/Size 1/W[1 2 1]/Filter/FlateDecode/Length ${bomb.length}>>\nstream\n`;
    const head = bytes(s);
    const tail = bytes(`\nendstream\nendobj\nstartxref\n${at}\n%%EOF\n`);
    const pdf = new Uint8Array(head.length + bomb.length + tail.length);
    pdf.set(head);
    pdf.set(bomb, head.length);
    pdf.set(tail, head.length + bomb.length);
    assertMalformed(() => readPdf(pdf, { maxStreamBytes: 1024 * 1024 }), "stream_too_large");
  });

  test("an xref subsection declaring billions of objects", () => {
    const pdf = text(minimalPdf()).replace("xref\n0 5", "xref\n0 4000000000");
    assertMalformed(() => readPdf(bytes(pdf)), "too_many_objects");
  });

  test("objects that refer to themselves as /Length", () => {
    const pdf = buildPdf(["<</Type/Catalog>>", "<</Length 2 0 R>>\nstream\nabc\nendstream"]);
    assertMalformed(() => readAll(pdf), "reference_cycle");
  });

  test("an object stream of 20 000 objects is read in work linear in them", () => {
    // Each object's header pair used to be found by lexing the header again from its start.
    const pdf = objectStreamPdf(20_000);
    const doc = readPdf(pdf, { maxTokens: 400_000 });
    for (let n = 3; n < 20_003; n++) assert.equal(doc.latest.object(n), n);
  });

  test("many streams whose /Length is wrong, before one endstream, scan once", () => {
    const bodies = ["<</Type/Catalog>>"];
    for (let i = 0; i < 5_000; i++) bodies.push("<</Length 999999>>\nstream\nx");
    const pdf = new Uint8Array([...buildPdf(bodies), ...bytes("endstream\n")]);
    // Scanning to the end again for each stream would cost ≈ 10 M tokens.
    readAll(pdf, { maxTokens: 1_000_000 });
  });

  test("the work limit stops long work", () => {
    const big = "[" + "0 ".repeat(2_000_000) + "]";
    assertMalformed(() => readAll(buildPdf([big]), { maxTokens: 100_000 }), "too_many_tokens");
  });
});
