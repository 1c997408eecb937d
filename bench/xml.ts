/**
 * XAdES sign and verify of invoice-like documents (10 KiB, 1 MiB, 20 MiB) with a software-key
 * DocumentSigner (RSA-2048, RS256), against xadesjs signing and verifying the same documents
 * with the same key (WebCrypto) in the same run. Run with `node bench/run.mjs bench/xml.ts`
 * (both runtimes) or `deno run -A bench/xml.ts` / `bun bench/xml.ts`. Prints one JSON line
 * per case: `{ bench, runtime, case, oursMs, baselineMs, ratio }` (ours: median ms per
 * operation over ≥3 runs, 1 run at 20 MiB; xadesjs: one run, as it takes seconds per MiB;
 * ratio = baselineMs / oursMs, above 1 means we are faster), plus the parser's time and the
 * process RSS with the parsed tree alive.
 */
import process from "node:process";
import { parseCertificate } from "../src/core/x509.ts";
import { parseXml } from "../src/formats/xml/parser.ts";
import { signXml } from "../src/formats/xml/sign.ts";
import { verifyXml } from "../src/formats/xml/verify.ts";
import { PinnedRegistry } from "../src/policy/pinned_registry.ts";
import { makeSelfSigned, softwareSigner } from "../tests/_support/software_keys.ts";
import { makeTempDir } from "../tests/_support/tmp.ts";
import { importSigningKey, xadesjsSign, xadesjsVerify } from "../tests/formats/xml/_support.ts";
import { median, runtimeName } from "./_support.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);

/** An invoice with `lines` lines: namespaces, attributes, escaped and non-ASCII text. */
function invoice(bytes: number): string {
  const head = '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<inv:Invoice xmlns:inv="urn:example:invoice" xmlns:cac="urn:example:cac" Id="inv-1">\n' +
    "  <cac:Supplier><cac:Name>Acme &amp; Co — Santiago</cac:Name><cac:TaxId>76.123.456-7</cac:TaxId></cac:Supplier>\n" +
    "  <inv:Lines>\n";
  const tail = '  </inv:Lines>\n  <inv:Total currency="CLP">123456</inv:Total>\n</inv:Invoice>\n';
  const parts = [head];
  let size = head.length + tail.length;
  for (let n = 1; size < bytes; n++) {
    const line =
      `    <inv:Line n="${n}"><inv:Item sku="SKU-${n}">Widget ñandú &lt;${n}&gt;</inv:Item>` +
      `<inv:Qty>${n % 7 + 1}</inv:Qty><inv:Price currency="CLP">${
        (n * 137) % 10000
      }</inv:Price></inv:Line>\n`;
    parts.push(line);
    size += line.length;
  }
  parts.push(tail);
  return parts.join("");
}

/** Median ms per call of `op` over `min` calls or more, up to about SECONDS of work. */
async function timeIt(min: number, op: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  while (samples.length < min || (performance.now() < end && samples.length < 200)) {
    const t = performance.now();
    await op();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

/** Times one call and keeps its result. */
async function once<T>(op: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const value = await op();
  return [value, performance.now() - t];
}

const { dir, cleanup } = makeTempDir("bench-xml-");
try {
  const id = makeSelfSigned(dir, "rsa", { name: "bench-xml" });
  const signer = softwareSigner(id, "RS256");
  const key = await importSigningKey(id.keyPem, "RS256");
  const policy = new PinnedRegistry({
    pins: { [parseCertificate(id.certDer).spkiSha256Hex]: "bench" },
  });
  const verifyOpts = { policy, allowedAlgs: ["RS256"] };
  for (
    const [label, bytes] of [["10 KiB", 10 * 1024], ["1 MiB", 1024 * 1024], [
      "20 MiB",
      20 * 1024 * 1024,
    ]] as const
  ) {
    const doc = invoice(bytes);
    const min = bytes > 4 * 1024 * 1024 ? 1 : 3;
    const oursSignMs = await timeIt(min, () => signXml(doc, signer));
    const ours = await signXml(doc, signer);
    const [theirs, theirSignMs] = await once(() => xadesjsSign(doc, key, id.certDer, "RS256"));
    const oursVerifyMs = await timeIt(min, () => verifyXml(ours, verifyOpts));
    // Each verifier accepts the other's document; xadesjs's own verify is the timed one.
    await verifyXml(theirs, verifyOpts);
    const [theirOk, theirVerifyMs] = await once(() => xadesjsVerify(theirs));
    if (!theirOk || (min > 1 && !(await xadesjsVerify(ours)))) {
      throw new Error(`xadesjs refused a ${label} document`);
    }
    const rows: [string, number, number][] = [
      [`sign ${label}`, oursSignMs, theirSignMs],
      [`verify ${label}`, oursVerifyMs, theirVerifyMs],
    ];
    for (const [name, oursMs, baselineMs] of rows) {
      console.log(JSON.stringify({
        bench: "xml",
        runtime: runtimeName(),
        case: name,
        oursMs: Number(oursMs.toFixed(2)),
        baselineMs: Number(baselineMs.toFixed(2)),
        ratio: Number((baselineMs / oursMs).toFixed(2)),
        oursPerSecond: Number((1000 / oursMs).toFixed(2)),
        baselinePerSecond: Number((1000 / baselineMs).toFixed(2)),
      }));
    }
    // The parser alone: its time, and the process RSS while the parsed tree is alive.
    const t = performance.now();
    const tree = parseXml(ours);
    const parseMs = performance.now() - t;
    console.log(JSON.stringify({
      bench: "xml-parse",
      runtime: runtimeName(),
      case: `parse ${label}`,
      elements: tree.elements.length,
      parseMs: Number(parseMs.toFixed(2)),
      rssMiB: Math.round(process.memoryUsage().rss / 1024 / 1024),
      documentMiB: Number((ours.length / 1024 / 1024).toFixed(2)),
    }));
  }
} finally {
  cleanup();
}
