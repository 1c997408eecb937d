/**
 * One case of bench/pdf.ts, run in its own child process so its peak memory is its own:
 * reads the input PDF, runs the operation `reps` times, prints `{ ms, peakRssMiB }` (the
 * median time, and VmHWM from /proc/self/status: the process's peak resident set).
 */
import { readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { parseCertificate } from "../src/core/x509.ts";
import { signPdf } from "../src/formats/pdf/sign.ts";
import { verifyPdfWithPolicy } from "../src/formats/pdf/verify_policy.ts";
import { PinnedRegistry } from "../src/policy/pinned_registry.ts";
import { softwareSigner, type TestIdentity } from "../tests/_support/software_keys.ts";
import { signWithSignpdf } from "../tests/formats/pdf/_signpdf.ts";
import { median } from "./_support.ts";

/** What the parent passes in PDF_BENCH_CASE (JSON). */
export interface PdfBenchCase {
  op: "ours-sign" | "ours-verify" | "signpdf-sign";
  input: string;
  output?: string;
  reps: number;
  identity: TestIdentity;
  p12Path: string;
}

function peakRssMiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : Math.round(process.memoryUsage().rss / 2 ** 20);
}

const c = JSON.parse(process.env.PDF_BENCH_CASE!) as PdfBenchCase;
c.identity.certDer = new Uint8Array(Object.values(c.identity.certDer));
const pdf = new Uint8Array(readFileSync(c.input));
const p12 = new Uint8Array(readFileSync(c.p12Path));
const signer = softwareSigner(c.identity, "RS256");
const policy = new PinnedRegistry({
  pins: { [parseCertificate(c.identity.certDer).spkiSha256Hex]: "bench" },
});
const ops: Record<PdfBenchCase["op"], () => Promise<Uint8Array | undefined>> = {
  "ours-sign": () => signPdf(pdf, signer, { placeholderSize: 8192 }),
  "ours-verify": async () => {
    await verifyPdfWithPolicy(pdf, { policy, allowedAlgs: ["RS256"] });
    return undefined;
  },
  "signpdf-sign": () => signWithSignpdf(pdf, p12, 8192),
};
const times: number[] = [];
let out: Uint8Array | undefined;
for (let i = 0; i < c.reps; i++) {
  const t = performance.now();
  out = await ops[c.op]();
  times.push(performance.now() - t);
}
if (c.output && out) writeFileSync(c.output, out);
console.log(JSON.stringify({ ms: median(times), peakRssMiB: peakRssMiB() }));
