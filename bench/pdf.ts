/**
 * PAdES sign and verify time and peak memory for 100 KiB, 10 MiB and 100 MiB PDFs, against
 * `@signpdf/signpdf` (P12 software key, node-forge) signing the same files in the same run,
 * and poppler's `pdfsig` verifying the same signed files (signpdf has no verifier). Our side
 * signs with a software-key DocumentSigner (RS256, RSA-2048: the same work as signpdf) and
 * verifies with verifyPdfWithPolicy (pinned signer). Every case runs in its own child
 * process; peak memory is that process's VmHWM (input included).
 *
 * Run: `node bench/run.mjs bench/pdf.ts` (both runtimes), or `deno run -A bench/pdf.ts` /
 * `bun bench/pdf.ts`. BENCH_PDF_SIZES=100k,10m limits the sizes. Prints one JSON line per
 * case: {bench, runtime, case, oursMs, baselineMs, ratio, peakRssMiB, baselinePeakRssMiB}.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { PDFDocument, PDFName } from "pdf-lib";
import { makeSelfSigned } from "../tests/_support/software_keys.ts";
import { makeTempDir } from "../tests/_support/tmp.ts";
import { makeP12 } from "../tests/formats/pdf/_signpdf.ts";
import type { PdfBenchCase } from "./_pdf_case.ts";
import { runtimeName } from "./_support.ts";

const SIZES: Record<string, number> = {
  "100k": 100 * 1024,
  "10m": 10 * 2 ** 20,
  "100m": 100 * 2 ** 20,
};
const LABEL: Record<string, string> = { "100k": "100 KiB", "10m": "10 MiB", "100m": "100 MiB" };
const REPS: Record<string, number> = { "100k": 15, "10m": 3, "100m": 1 };
const chosen = (process.env.BENCH_PDF_SIZES ?? "100k,10m,100m").split(",");

/** A one-page pdf-lib PDF (classic xref) carrying `size` bytes of incompressible data. */
async function fixture(size: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([300, 200]);
  page.drawText("pkcs11ex PDF benchmark", { x: 20, y: 100, size: 14 });
  const data = doc.context.register(doc.context.stream(new Uint8Array(randomBytes(size))));
  page.node.set(PDFName.of("PieceInfo"), data);
  const pdf = await doc.save({ useObjectStreams: false });
  return pdf;
}

function child(c: Omit<PdfBenchCase, "identity" | "p12Path">): { ms: number; peakRssMiB: number } {
  const script = fileURLToPath(new URL("./_pdf_case.ts", import.meta.url));
  const args = process.execPath.includes("deno") ? ["run", "-A", script] : [script];
  const res = spawnSync(process.execPath, args, {
    encoding: "utf8",
    maxBuffer: 1 << 20,
    env: { ...process.env, PDF_BENCH_CASE: JSON.stringify({ ...c, identity, p12Path }) },
  });
  if (res.status !== 0) throw new Error(`${c.op} failed: ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split("\n").at(-1)!);
}

function pdfsigCase(file: string, reps: number): { ms: number; peakRssMiB: number } {
  const times: number[] = [];
  let peak = 0;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    const res = spawnSync("/usr/bin/time", ["-f", "%M", "pdfsig", file], { encoding: "utf8" });
    times.push(performance.now() - t);
    if (!/Signature is Valid/.test(res.stdout)) throw new Error(`pdfsig: ${res.stdout}`);
    peak = Math.max(peak, Number(res.stderr.trim().split("\n").at(-1)) / 1024);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], peakRssMiB: Math.round(peak) };
}

function line(
  name: string,
  ours: { ms: number; peakRssMiB: number },
  base: typeof ours,
  by: string,
) {
  console.log(JSON.stringify({
    bench: "pdf",
    runtime: runtimeName(),
    case: name,
    oursMs: Math.round(ours.ms * 10) / 10,
    baselineMs: Math.round(base.ms * 10) / 10,
    ratio: Math.round((base.ms / ours.ms) * 100) / 100,
    peakRssMiB: ours.peakRssMiB,
    baselinePeakRssMiB: base.peakRssMiB,
    baseline: by,
  }));
}

const { dir, cleanup } = makeTempDir("pdf-bench-");
const identity = makeSelfSigned(dir, "rsa", { name: "bench", subject: "/CN=Bench Signer" });
const p12Path = join(dir, "bench.p12");
writeFileSync(p12Path, makeP12(dir, identity));
try {
  for (const key of chosen) {
    const input = join(dir, `in-${key}.pdf`);
    writeFileSync(input, await fixture(SIZES[key]));
    const reps = REPS[key];
    const signed = join(dir, `ours-${key}.pdf`);
    const theirs = join(dir, `signpdf-${key}.pdf`);
    const oursSign = child({ op: "ours-sign", input, output: signed, reps });
    const signpdfSign = child({ op: "signpdf-sign", input, output: theirs, reps });
    line(`sign ${LABEL[key]}`, oursSign, signpdfSign, "@signpdf/signpdf (P12, node-forge)");
    const oursVerify = child({ op: "ours-verify", input: signed, reps });
    line(`verify ${LABEL[key]}`, oursVerify, pdfsigCase(signed, reps), "pdfsig (poppler, NSS)");
  }
} finally {
  cleanup();
}
