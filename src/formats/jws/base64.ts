/**
 * Strict base64 codecs for JWS. base64url (RFC 4648 §5, unpadded) for the compact segments
 * (RFC 7515 §2) and standard padded base64 for `x5c` entries (RFC 7515 §4.1.6). Padding where
 * none belongs, characters outside the alphabet, impossible lengths and non-zero trailing bits
 * are refused, so one byte string has exactly one accepted encoding.
 *
 * @module
 */
import { Buffer } from "node:buffer";

const URL_ALPHABET = /^[A-Za-z0-9_-]*$/;
const STD_ALPHABET = /^[A-Za-z0-9+/]*={0,2}$/;

/** Encodes bytes or a UTF-8 string as unpadded base64url. */
export function encodeBase64url(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data);
  return bytes.toString("base64url");
}

/** Encodes bytes as standard padded base64 (the `x5c` encoding). */
export function encodeBase64(data: Uint8Array): string {
  return Buffer.from(data).toString("base64");
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** The 6-bit value of a base64 (`+/`) or base64url (`-_`) character. */
function sextet(ch: string): number {
  const i = ALPHABET.indexOf(ch);
  return i >= 0 ? i : ch === "+" || ch === "-" ? 62 : 63;
}

/**
 * Whether the final character of `data` (no padding) leaves no stray bits, i.e. whether
 * `data` is the one canonical encoding of its bytes (RFC 4648 §3.5) — checked without
 * re-encoding.
 */
function canonicalTail(data: string): boolean {
  const rest = data.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const mask = rest === 2 ? 0x0f : 0x03;
  return (sextet(data[data.length - 1]) & mask) === 0;
}

/** Whether `text` is canonical unpadded base64url. */
export function isBase64url(text: string): boolean {
  return URL_ALPHABET.test(text) && canonicalTail(text);
}

/** Whether `text` is canonical padded standard base64. */
export function isBase64(text: string): boolean {
  if (text.length % 4 !== 0 || !STD_ALPHABET.test(text)) return false;
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x3d) end--; // "=" padding
  return canonicalTail(text.slice(0, end));
}

/** Decodes canonical unpadded base64url; `undefined` when `text` is not exactly that. */
export function decodeBase64url(text: string): Uint8Array | undefined {
  return isBase64url(text) ? toBytes(Buffer.from(text, "base64url")) : undefined;
}

/** Decodes canonical padded standard base64; `undefined` when `text` is not exactly that. */
export function decodeBase64(text: string): Uint8Array | undefined {
  return isBase64(text) ? toBytes(Buffer.from(text, "base64")) : undefined;
}

function toBytes(bytes: Buffer): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
