/**
 * PEM armour (RFC 7468) and strict base64 for certificates.
 *
 * @module
 */
import { Buffer } from "node:buffer";

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes standard base64, returning `undefined` when the text is not strict base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  const clean = text.replace(/\s+/g, "");
  if (clean.length % 4 !== 0 || !B64.test(clean)) return undefined;
  return new Uint8Array(Buffer.from(clean, "base64"));
}

/** Encodes bytes as standard base64. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** One PEM block: its label and the bytes it carries (`undefined` when the body is not base64). */
export interface PemBlock {
  /** The label, e.g. `CERTIFICATE` or `X509 CRL`. */
  label: string;
  /** The decoded body, or `undefined` when it is not valid base64. */
  der: Uint8Array | undefined;
}

/** Every PEM block in `text`, in order. */
export function readPemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) out.push({ label: m[1], der: decodeBase64(m[2]) });
  return out;
}

/** Whether `text` looks like PEM (contains a BEGIN line). */
export function looksLikePem(text: string): boolean {
  return text.includes("-----BEGIN ");
}
