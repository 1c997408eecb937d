/**
 * The parser, c14n, sign and verify stay bounded on a 20 MiB document: linear work (the time
 * is logged, with a generous ceiling for a loaded machine) and a retained tree of a small
 * multiple of the text size.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { parseCertificate } from "../../../src/core/x509.ts";
import { parseXml } from "../../../src/formats/xml/parser.ts";
import { signXml } from "../../../src/formats/xml/sign.ts";
import { verifyXml } from "../../../src/formats/xml/verify.ts";
import { makeSelfSigned, softwareSigner } from "../../_support/software_keys.ts";
import { makeTempDir } from "../../_support/tmp.ts";
import { trusted } from "./_support.ts";

const MIB = 1024 * 1024;

function invoice(bytes: number): string {
  const parts = ['<inv:Invoice xmlns:inv="urn:example:invoice"><inv:Lines>\n'];
  let size = parts[0].length;
  for (let n = 1; size < bytes; n++) {
    const line = `  <inv:Line n="${n}"><inv:Item>Widget ñandú &amp; co</inv:Item>` +
      `<inv:Qty>${n % 7}</inv:Qty></inv:Line>\n`;
    parts.push(line);
    size += line.length;
  }
  parts.push("</inv:Lines></inv:Invoice>");
  return parts.join("");
}

describe("XML on a 20 MiB document", () => {
  test("parse, sign and verify in bounded time and memory", { timeout: 170_000 }, async () => {
    const { dir, cleanup } = makeTempDir("xml-mem-");
    try {
      const doc = invoice(20 * MIB);
      const before = process.memoryUsage().heapUsed;
      let t = performance.now();
      const tree = parseXml(doc);
      const parseMs = performance.now() - t;
      const retainedMiB = (process.memoryUsage().heapUsed - before) / MIB;
      assert.ok(tree.elements.length > 400_000);
      // The tree of 20 MiB of text (40 MiB as UTF-16) is retained in well under 40x.
      assert.ok(retainedMiB < 20 * 40, `retained ${retainedMiB} MiB`);
      const id = makeSelfSigned(dir, "ec", { name: "mem" });
      t = performance.now();
      const signed = await signXml(doc, softwareSigner(id, "ES256"));
      const signMs = performance.now() - t;
      t = performance.now();
      const pins = { [parseCertificate(id.certDer).spkiSha256Hex]: "acme" };
      const res = await verifyXml(signed, trusted(pins));
      const verifyMs = performance.now() - t;
      assert.equal(res.subjectId, "acme");
      console.log(JSON.stringify({ parseMs, retainedMiB, signMs, verifyMs }));
      assert.ok(parseMs + signMs + verifyMs < 150_000);
    } finally {
      cleanup();
    }
  });
});
