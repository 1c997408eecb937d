/**
 * A minimal DER reader and writer: just enough to slice raw fields out of a certificate
 * (the bytes that were signed, the issuer and subject `Name`s, the SPKI) and to convert
 * ECDSA signatures between raw r‖s and `SEQUENCE { INTEGER r, INTEGER s }`.
 *
 * Every read is bounds-checked and throws {@linkcode DerError}; callers turn that into
 * their own typed reason.
 *
 * @module
 */

/** A malformed DER encoding (callers map it to their own reason). */
export class DerError extends Error {
  /** @param message What is wrong with the encoding. */
  constructor(message: string) {
    super(message);
    this.name = "DerError";
  }
}

/** One tag-length-value element located inside a byte array. */
export interface Tlv {
  /** The identifier octet (single-byte tags only). */
  tag: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just past the last content octet. */
  end: number;
}

/** Reads the TLV at `offset`, refusing indefinite lengths, non-minimal lengths and overruns. */
export function readTlv(bytes: Uint8Array, offset: number, limit: number = bytes.length): Tlv {
  if (offset + 2 > limit) throw new DerError("Cannot read a DER element: input truncated");
  const tag = bytes[offset];
  if ((tag & 0x1f) === 0x1f) throw new DerError("Cannot read a DER element: multi-byte tag");
  let len = bytes[offset + 1];
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new DerError("Cannot read a DER element: indefinite length");
    if (n > 4) throw new DerError("Cannot read a DER element: length too large");
    if (pos + n > limit) throw new DerError("Cannot read a DER element: input truncated");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[pos + i];
    if (bytes[pos] === 0 || len < 0x80) {
      throw new DerError("Cannot read a DER element: non-minimal length");
    }
    pos += n;
  }
  const end = pos + len;
  if (end > limit) throw new DerError("Cannot read a DER element: input truncated");
  return { tag, start: offset, contentStart: pos, end };
}

/** The child elements of a constructed TLV, in order. */
export function readChildren(bytes: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let pos = parent.contentStart;
  while (pos < parent.end) {
    const child = readTlv(bytes, pos, parent.end);
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** Reads one element that must span all of `bytes` with the expected tag. */
export function readWhole(bytes: Uint8Array, tag: number): Tlv {
  const tlv = readTlv(bytes, 0);
  if (tlv.tag !== tag) throw new DerError(`Cannot read a DER element: expected tag ${tag}`);
  if (tlv.end !== bytes.length) throw new DerError("Cannot read a DER element: trailing bytes");
  return tlv;
}

/** The full encoding (header and content) of `tlv`. */
export function tlvBytes(bytes: Uint8Array, tlv: Tlv): Uint8Array {
  return bytes.subarray(tlv.start, tlv.end);
}

function encodeLength(len: number): number[] {
  if (len < 0x80) return [len];
  const out: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) out.unshift(n & 0xff);
  return [0x80 | out.length, ...out];
}

/** Encodes a TLV with the given tag around `content`. */
export function encodeTlv(tag: number, content: Uint8Array): Uint8Array {
  const header = encodeLength(content.length);
  const out = new Uint8Array(1 + header.length + content.length);
  out[0] = tag;
  out.set(header, 1);
  out.set(content, 1 + header.length);
  return out;
}

/** Encodes a non-negative big-endian magnitude as a minimal DER INTEGER. */
export function encodeUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const trimmed = magnitude.subarray(i);
  const pad = trimmed.length === 0 || (trimmed[0] & 0x80) !== 0;
  const content = new Uint8Array(trimmed.length + (pad ? 1 : 0));
  content.set(trimmed, pad ? 1 : 0);
  return encodeTlv(0x02, content);
}

/**
 * Reads a DER INTEGER that must be positive and minimally encoded, returning its magnitude
 * without the sign-padding zero.
 */
export function readUnsignedInteger(bytes: Uint8Array, tlv: Tlv): Uint8Array {
  if (tlv.tag !== 0x02) throw new DerError("Cannot read a DER INTEGER: wrong tag");
  const content = bytes.subarray(tlv.contentStart, tlv.end);
  if (content.length === 0) throw new DerError("Cannot read a DER INTEGER: empty");
  if (content[0] & 0x80) throw new DerError("Cannot read a DER INTEGER: negative");
  if (content.length > 1 && content[0] === 0 && (content[1] & 0x80) === 0) {
    throw new DerError("Cannot read a DER INTEGER: non-minimal encoding");
  }
  return content[0] === 0 && content.length > 1 ? content.subarray(1) : content;
}

/**
 * Longest OBJECT IDENTIFIER content read, in bytes. Real ones are short (a UUID arc, the
 * longest in use, takes 19); without a bound, a hostile one costs time quadratic in its
 * length and ends up in error messages.
 */
const MAX_OID_BYTES = 128;

/** Reads a DER OBJECT IDENTIFIER as dotted text. */
export function readOid(bytes: Uint8Array, tlv: Tlv): string {
  if (tlv.tag !== 0x06) throw new DerError("Cannot read a DER OBJECT IDENTIFIER: wrong tag");
  const content = bytes.subarray(tlv.contentStart, tlv.end);
  if (content.length > MAX_OID_BYTES) {
    throw new DerError(`Cannot read a DER OBJECT IDENTIFIER longer than ${MAX_OID_BYTES} bytes`);
  }
  if (content.length === 0 || (content[content.length - 1] & 0x80) !== 0) {
    throw new DerError("Cannot read a DER OBJECT IDENTIFIER: truncated arc");
  }
  const arcs: bigint[] = [];
  let cur = 0n;
  for (let i = 0; i < content.length; i++) {
    const b = content[i];
    const arcStarts = i === 0 || (content[i - 1] & 0x80) === 0;
    if (arcStarts && b === 0x80) {
      throw new DerError("Cannot read a DER OBJECT IDENTIFIER: an arc is not minimally encoded");
    }
    cur = (cur << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(cur);
      cur = 0n;
    }
  }
  const first = arcs[0] < 80n ? arcs[0] / 40n : 2n;
  return [first, arcs[0] - first * 40n, ...arcs.slice(1)].join(".");
}

/**
 * Reads a certificate validity time (RFC 5280 §4.1.2.5) as milliseconds since the epoch:
 * UTCTime `YYMMDDHHMMSSZ` (years 1950–2049) or GeneralizedTime `YYYYMMDDHHMMSSZ`, in UTC,
 * seconds present, no fractions. Anything else — another form, a month 13, February 30 — is
 * refused rather than rolled over into some other date.
 */
export function readTime(bytes: Uint8Array, tlv: Tlv): number {
  const digits = tlv.tag === 0x17 ? 12 : tlv.tag === 0x18 ? 14 : -1;
  if (digits < 0) throw new DerError("Cannot read a DER time: not UTCTime or GeneralizedTime");
  const text = String.fromCharCode(...bytes.subarray(tlv.contentStart, tlv.end));
  if (text.length !== digits + 1 || !/^\d+Z$/.test(text)) {
    throw new DerError("Cannot read a DER time: not in the form RFC 5280 requires");
  }
  const field = (at: number, length: number) => Number(text.slice(at, at + length));
  const at = digits - 10; // where the month starts
  let year = field(0, at);
  if (digits === 12) year += year >= 50 ? 1900 : 2000;
  const [month, day, hour, minute, second] = [0, 2, 4, 6, 8].map((i) => field(at + i, 2));
  const time = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(time);
  if (
    date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day || date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute || date.getUTCSeconds() !== second
  ) {
    throw new DerError("Cannot read a DER time: no such date");
  }
  return time;
}
