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

const PS256_URI = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1";
const RS256_URI = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

/**
 * PS256 without xmlsec1 knowing the RFC 6931 MGF1 URI: xmlsec1 verifies a copy whose method
 * URI is swapped to rsa-sha256, which checks both references (libxml2's c14n, xmlsec's
 * digests) and prints the canonical SignedInfo it signed over (`--store-signatures`); with the
 * URI swapped back, `openssl dgst` checks the RSASSA-PSS signature (SHA-256, salt 32) on
 * exactly those bytes. Returns xmlsec1's reference tally and openssl's verdict.
 */
export function ps256ByXmlsecAndOpenssl(
  dir: string,
  doc: string,
  certPath: string,
): { references: string; verified: boolean } {
  const tag = Math.random().toString(36).slice(2);
  const swapped = join(dir, `ps256-${tag}.xml`);
  writeFileSync(swapped, doc.replace(PS256_URI, RS256_URI));
  const res = run("xmlsec1", [
    "--verify",
    "--store-signatures",
    "--print-debug",
    "--enabled-key-data",
    "x509",
    "--trusted-pem",
    certPath,
    "--id-attr:Id",
    "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
    swapped,
  ]);
  const references = /SignedInfo References \(ok\/all\): (\d+\/\d+)/.exec(res.stdout + res.stderr)
    ?.[1] ?? "none";
  const buffer = /== PreSigned data - start buffer:\n([\s\S]*?)\n== PreSigned data - end buffer/
    .exec(res.stdout)?.[1];
  if (buffer === undefined) return { references, verified: false };
  const signedInfo = join(dir, `ps256-${tag}.c14n`);
  writeFileSync(signedInfo, buffer.replace(RS256_URI, PS256_URI));
  const value = /<ds:SignatureValue[^>]*>([^<]+)</.exec(doc)?.[1] ?? "";
  const sig = join(dir, `ps256-${tag}.sig`);
  writeFileSync(sig, Buffer.from(value, "base64"));
  const pub = join(dir, `ps256-${tag}.pub.pem`);
  writeFileSync(pub, run("openssl", ["x509", "-in", certPath, "-pubkey", "-noout"]).stdout);
  const dgst = run("openssl", [
    "dgst",
    "-sha256",
    "-sigopt",
    "rsa_padding_mode:pss",
    "-sigopt",
    "rsa_pss_saltlen:32",
    "-verify",
    pub,
    "-signature",
    sig,
    signedInfo,
  ]);
  return { references, verified: dgst.status === 0 && /Verified OK/.test(dgst.stdout) };
}

let xadesReady = false;

function xadesSetup(): void {
  if (!xadesReady) {
    xadesjs.setNodeDependencies({
      XMLSerializer: xmldom.XMLSerializer,
      DOMParser: xmldom.DOMParser,
      DOMImplementation: xmldom.DOMImplementation,
    } as never);
    xadesjs.Application.setEngine("NodeJS", globalThis.crypto);
    xadesReady = true;
  }
}

/** Whether xadesjs (over @xmldom/xmldom and WebCrypto) accepts the document's signature. */
export async function xadesjsVerify(text: string): Promise<boolean> {
  xadesSetup();
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

const XADES_ALGS = {
  RS256: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
  PS256: { name: "RSA-PSS", hash: "SHA-256", saltLength: 32 },
  ES256: { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" },
} as const;

/** What {@linkcode xadesjsSign} makes the data reference and the signing certificate. */
export interface XadesjsSignOptions {
  /** The data reference's transforms (xadesjs names: enveloped, c14n, exc-c14n, …). */
  transforms?: string[];
  /** Write a SigningCertificate (v1) instead of SigningCertificateV2. */
  signingCertificateV1?: boolean;
}

/** A private key of a test identity, imported into WebCrypto for `alg`. */
export function importSigningKey(
  pem: string,
  alg: keyof typeof XADES_ALGS,
): Promise<CryptoKey> {
  const pkcs8 = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64");
  return crypto.subtle.importKey("pkcs8", pkcs8, XADES_ALGS[alg], false, ["sign"]);
}

/** Signs `text` with xadesjs (enveloped, the way its README shows), software key. */
export async function xadesjsSign(
  text: string,
  key: CryptoKey,
  certDer: Uint8Array,
  alg: keyof typeof XADES_ALGS,
  opts: XadesjsSignOptions = {},
): Promise<string> {
  xadesSetup();
  const doc = xadesjs.Parse(text);
  const cert = Buffer.from(certDer).toString("base64");
  const signed = new xadesjs.SignedXml();
  await signed.Sign(XADES_ALGS[alg], key, doc, {
    references: [{ hash: "SHA-256", transforms: opts.transforms ?? ["enveloped", "exc-c14n"] }],
    x509: [cert],
    signingTime: { value: new Date() },
    ...(opts.signingCertificateV1 ? { signingCertificate: cert } : { signingCertificateV2: cert }),
  });
  doc.documentElement!.appendChild(signed.GetXml()!);
  return new xmldom.XMLSerializer().serializeToString(doc as never);
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
