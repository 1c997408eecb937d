/**
 * Another implementation as a reference: `@signpdf/signpdf` with a plain-text placeholder
 * and a P12 software key (node-forge), the P12 made by openssl. Used by the interop test
 * and by bench/pdf.ts.
 */
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SignPdf } from "@signpdf/signpdf";
import { plainAddPlaceholder } from "@signpdf/placeholder-plain";
import { P12Signer } from "@signpdf/signer-p12";
import { runOk } from "../../_support/run.ts";
import type { TestIdentity } from "../../_support/software_keys.ts";

/** A test-only passphrase of the throw-away P12 files. */
export const P12_PASSPHRASE = "signpdf-test";

/** Exports `identity` (an RSA key) as a P12 node-forge reads (3DES, SHA-1 MAC). */
export function makeP12(dir: string, identity: TestIdentity): Uint8Array {
  const out = join(dir, "signer.p12");
  runOk("openssl", [
    "pkcs12",
    "-export",
    "-inkey",
    identity.keyPath,
    "-in",
    identity.certPath,
    "-keypbe",
    "PBE-SHA1-3DES",
    "-certpbe",
    "PBE-SHA1-3DES",
    "-macalg",
    "sha1",
    "-passout",
    `pass:${P12_PASSPHRASE}`,
    "-out",
    out,
  ]);
  return new Uint8Array(readFileSync(out));
}

/** Signs `pdf` with @signpdf/signpdf: a placeholder of `signatureLength` bytes, then the P12. */
export async function signWithSignpdf(
  pdf: Uint8Array,
  p12: Uint8Array,
  signatureLength = 8192,
): Promise<Uint8Array> {
  const withPlaceholder = plainAddPlaceholder({
    pdfBuffer: Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength),
    reason: "interop",
    contactInfo: "tests@example.com",
    name: "signpdf",
    location: "loopback",
    signatureLength,
  });
  const signer = new P12Signer(Buffer.from(p12), { passphrase: P12_PASSPHRASE });
  return new Uint8Array(await new SignPdf().sign(withPlaceholder, signer));
}
