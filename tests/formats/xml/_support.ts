/** Shared helpers of the XML tests: outside verifiers (xmlsec1, xadesjs) and a pinned pipeline. */
import * as xmldom from "@xmldom/xmldom";
import * as xadesjs from "xadesjs";
import { Buffer } from "node:buffer";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Allow } from "../../../src/policy/allow.ts";
import { PinnedRegistry } from "../../../src/policy/pinned_registry.ts";
import type { XmlVerifyOptions } from "../../../src/formats/xml/verify.ts";
import { run, type RunResult } from "../../_support/run.ts";

/** The corpus directory (PKCS11EX_CORPUS, default ../shared/corpus next to the repo). */
export function corpusDir(): string {
  const repoRoot = resolve(import.meta.dirname ?? ".", "../../..");
  return process.env.PKCS11EX_CORPUS ?? resolve(repoRoot, "../shared/corpus");
}

/** xmlsec1 with a trust anchor, X.509 key data only, and the XAdES Id attribute declared. */
export function xmlsecVerify(dir: string, doc: string | Uint8Array, trustedPem: string): RunResult {
  const file = join(dir, `doc-${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(file, doc);
  return run("xmlsec1", [
    "--verify",
    "--enabled-key-data",
    "x509",
    "--trusted-pem",
    trustedPem,
    "--id-attr:Id",
    "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
    file,
  ]);
}

let xadesReady = false;

/** Whether xadesjs (over @xmldom/xmldom and WebCrypto) accepts the document's signature. */
export async function xadesjsVerify(text: string): Promise<boolean> {
  if (!xadesReady) {
    xadesjs.setNodeDependencies({
      XMLSerializer: xmldom.XMLSerializer,
      DOMParser: xmldom.DOMParser,
      DOMImplementation: xmldom.DOMImplementation,
    } as never);
    xadesjs.Application.setEngine("NodeJS", globalThis.crypto);
    xadesReady = true;
  }
  const doc = xadesjs.Parse(text);
  const sigs = doc.getElementsByTagNameNS("http://www.w3.org/2000/09/xmldsig#", "Signature");
  const signed = new xadesjs.SignedXml(doc);
  signed.LoadXml(sigs[0]);
  try {
    return await signed.Verify();
  } catch {
    return false;
  }
}

/**
 * Verify options over the real trust pipeline: a PinnedRegistry of `pins` (SPKI SHA-256 hex →
 * subject), or the accept-any test policy for `"any"`; every XML algorithm allowed.
 */
export function trusted(
  pins: Record<string, string> | "any",
  extra: Partial<XmlVerifyOptions> = {},
): XmlVerifyOptions {
  const policy = pins === "any"
    ? new Allow({ environment: "test", subjectId: "anyone" })
    : new PinnedRegistry({ pins });
  return { policy, allowedAlgs: ["RS256", "PS256", "ES256"], ...extra };
}

/** Flips one character of `text` at the first occurrence of `marker` (+ `shift`). */
export function tamper(text: string, marker: string, shift = 0): string {
  const at = text.indexOf(marker) + shift;
  if (at < shift) throw new Error(`marker ${marker} not found`);
  const c = text[at];
  const r = c === "A" ? "B" : c === "0" ? "1" : c === "a" ? "b" : "A";
  return text.slice(0, at) + r + text.slice(at + 1);
}

/**
 * Re-signs a (crafted) signed document: recomputes the SignedProperties digest and the
 * SignatureValue with `signer`, so attack documents carry valid math and only the XML
 * checks can refuse them.
 */
export async function resign(
  text: string,
  signer: { sign(data: Uint8Array, ctx: "jose"): Promise<Uint8Array> },
): Promise<string> {
  const { parseXml } = await import("../../../src/formats/xml/parser.ts");
  const { canonicalize } = await import("../../../src/formats/xml/c14n.ts");
  const { createHash } = await import("node:crypto");
  const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
  const find = (t: string, local: string) =>
    parseXml(t).elements.find((e) => e.localName === local)!;
  const props = find(text, "SignedProperties");
  const digest = b64(createHash("sha256").update(canonicalize(props)).digest());
  const marker = 'Type="http://uri.etsi.org/01903#SignedProperties"';
  const at = text.indexOf("<ds:DigestValue>", text.indexOf(marker)) + "<ds:DigestValue>".length;
  text = text.slice(0, at) + digest + text.slice(text.indexOf("<", at));
  const value = b64(await signer.sign(canonicalize(find(text, "SignedInfo")), "jose"));
  const v = text.indexOf(">", text.indexOf("<ds:SignatureValue")) + 1;
  return text.slice(0, v) + value + text.slice(text.indexOf("<", v));
}
