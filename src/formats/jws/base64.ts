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

/** Decodes canonical unpadded base64url; `undefined` when `text` is not exactly that. */
export function decodeBase64url(text: string): Uint8Array | undefined {
  if (!URL_ALPHABET.test(text) || text.length % 4 === 1) return undefined;
  return canonical(text, "base64url");
}

/** Decodes canonical padded standard base64; `undefined` when `text` is not exactly that. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!STD_ALPHABET.test(text) || text.length % 4 !== 0) return undefined;
  return canonical(text, "base64");
}

function canonical(text: string, encoding: "base64" | "base64url"): Uint8Array | undefined {
  const bytes = Buffer.from(text, encoding);
  if (bytes.toString(encoding) !== text) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
