/** Shared helpers of the PDF tests: corpus location, outside-tool verdicts, test PDFs. */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PDFDocument } from "pdf-lib";
import { run } from "../../_support/run.ts";

const repoRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

/** The corpus folder (PKCS11EX_CORPUS or ../shared/corpus next to the repo). */
export const corpusDir: string = process.env.PKCS11EX_CORPUS ??
  resolve(repoRoot, "../shared/corpus");

/** Reads a corpus PDF by file name. */
export function corpusPdf(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(corpusDir, "pdf", name)));
}

/** What pdfsig says about each signature of a file. */
export interface PdfsigVerdict {
  text: string;
  signatures: { valid: boolean; commonName: string | undefined; field: string | undefined }[];
}

/** Runs `pdfsig` on `pdf` (written into `dir`) and parses its text (it exits 0 on failures). */
export function pdfsig(dir: string, pdf: Uint8Array, name = "check.pdf"): PdfsigVerdict {
  const path = join(dir, name);
  writeFileSync(path, pdf);
  const res = run("pdfsig", [path]);
  const text = res.stdout + res.stderr;
  const blocks = text.split(/^Signature #\d+:$/m).slice(1);
  return {
    text,
    signatures: blocks.map((b) => ({
      valid: /Signature Validation: Signature is Valid\./.test(b),
      commonName: /Signer Certificate Common Name: (.*)$/m.exec(b)?.[1],
      field: /Signature Field Name: (.*)$/m.exec(b)?.[1],
    })),
  };
}

/** Runs `qpdf --check`; returns its exit status (0 ok, 3 warnings) and text. */
export function qpdfCheck(dir: string, pdf: Uint8Array, name = "qcheck.pdf"): {
  status: number;
  text: string;
} {
  const path = join(dir, name);
  writeFileSync(path, pdf);
  const res = run("qpdf", ["--check", path]);
  return { status: res.status, text: res.stdout + res.stderr };
}

/** A small PDF made by pdf-lib (object streams and an xref stream unless told otherwise). */
export async function makePdf(
  opts: { pages?: number; objectStreams?: boolean; text?: string } = {},
): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  for (let i = 0; i < (opts.pages ?? 1); i++) {
    const page = doc.addPage([300, 200]);
    page.drawText(opts.text ?? `page ${i + 1}`, { x: 20, y: 100, size: 18 });
  }
  return await doc.save({ useObjectStreams: opts.objectStreams ?? true });
}

/** Latin-1 text of bytes (for assertions on PDF syntax). */
export function text(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** Bytes of Latin-1 text. */
export function bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
}

/**
 * A classic-xref PDF from object bodies (`bodies[i]` is object i + 1), with a correct table;
 * `trailer` is inserted into the trailer dictionary.
 */
export function buildPdf(bodies: string[], trailer = "/Root 1 0 R"): Uint8Array {
  let s = "%PDF-1.7\n";
  const offsets: number[] = [];
  bodies.forEach((b, i) => {
    offsets.push(s.length);
    s += `${i + 1} 0 obj\n${b}\nendobj\n`;
  });
  const xref = s.length;
  s += `xref\n0 ${bodies.length + 1}\n0000000000 65535 f\r\n`;
  for (const o of offsets) s += `${String(o).padStart(10, "0")} 00000 n\r\n`;
  s += `trailer\n<</Size ${bodies.length + 1} ${trailer}>>\nstartxref\n${xref}\n%%EOF\n`;
  return bytes(s);
}

/** Appends an incremental update (classic table) replacing or adding objects. */
export function appendUpdate(
  pdf: Uint8Array,
  objects: Record<number, string>,
  trailer: string,
): Uint8Array {
  const base = text(pdf);
  const prev = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(base)![1]);
  let s = "\n";
  const entries: [number, number][] = [];
  for (const [num, body] of Object.entries(objects)) {
    entries.push([Number(num), base.length + s.length]);
    s += `${num} 0 obj\n${body}\nendobj\n`;
  }
  const xref = base.length + s.length;
  s += "xref\n";
  for (const [num, off] of entries) s += `${num} 1\n${String(off).padStart(10, "0")} 00000 n\r\n`;
  s += `trailer\n<<${trailer} /Prev ${prev}>>\nstartxref\n${xref}\n%%EOF\n`;
  return bytes(base + s);
}

/** A one-page classic-xref PDF (catalog 1, pages 2, page 3, content 4). */
export function minimalPdf(): Uint8Array {
  const content = "BT /F1 12 Tf 10 10 Td (signed text) Tj ET";
  return buildPdf([
    "<</Type/Catalog/Pages 2 0 R>>",
    "<</Type/Pages/Kids[3 0 R]/Count 1>>",
    "<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Contents 4 0 R>>",
    `<</Length ${content.length}>>\nstream\n${content}\nendstream`,
  ], "/Root 1 0 R");
}
