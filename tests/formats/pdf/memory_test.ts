/** A 100 MiB PDF signs with peak memory under 3× its size (input + output + small change). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { preparePdfSignature } from "../../../src/formats/pdf/prepare.ts";
import { bytes } from "./_helpers.ts";

function bigPdf(size: number): Uint8Array {
  let head = "%PDF-1.7\n";
  const offsets: number[] = [];
  for (
    const body of [
      "<</Type/Catalog/Pages 2 0 R>>",
      "<</Type/Pages/Kids[3 0 R]/Count 1>>",
      "<</Type/Page/Parent 2 0 R/MediaBox[0 0 9 9]/Contents 4 0 R>>",
    ]
  ) {
    offsets.push(head.length);
    head += `${offsets.length} 0 obj\n${body}\nendobj\n`;
  }
  offsets.push(head.length);
  head += `4 0 obj\n<</Length ${size}>>\nstream\n`;
  let tail = "\nendstream\nendobj\n";
  const xref = head.length + size + tail.length;
  tail += "xref\n0 5\n0000000000 65535 f\r\n" +
    offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n\r\n`).join("") +
    `trailer\n<</Size 5/Root 1 0 R>>\nstartxref\n${xref}\n%%EOF\n`;
  const pdf = new Uint8Array(head.length + size + tail.length);
  pdf.set(bytes(head));
  pdf.fill(0x20, head.length, head.length + size);
  pdf.set(bytes(tail), head.length + size);
  return pdf;
}

test("a 100 MiB PDF is prepared, hashed and finished under 3x its size in memory", () => {
  const pdf = bigPdf(100 * 1024 * 1024);
  const before = process.memoryUsage().rss;
  const prepared = preparePdfSignature(pdf, { placeholderSize: 8192 });
  const digest = prepared.digest();
  const out = prepared.finish(new Uint8Array(64).fill(0x30));
  const extra = process.memoryUsage().rss - before;
  assert.equal(digest.length, 32);
  assert.equal(out.length, prepared.bytes.length);
  // The input is already resident; the output buffer adds ~1x. Allow up to 2x more.
  assert.ok(extra < 2 * pdf.length, `extra RSS ${extra} for a ${pdf.length}-byte PDF`);
});
