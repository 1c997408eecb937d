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
