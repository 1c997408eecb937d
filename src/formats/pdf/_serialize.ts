/**
 * Writing PDF objects as bytes (ISO 32000-2 §7.3), and a small appendable byte buffer.
 *
 * @module
 */
import { PdfDict, PdfName, type PdfObject, PdfRef, PdfStream, PdfString } from "./_objects.ts";

/** Serializes a PDF object (not a stream) as Latin-1 text. */
export function serialize(obj: PdfObject): string {
  if (obj === null) return "null";
  if (typeof obj === "boolean") return obj ? "true" : "false";
  if (typeof obj === "number") return formatNumber(obj);
  if (obj instanceof PdfName) return "/" + escapeName(obj.value);
  if (obj instanceof PdfRef) return `${obj.num} ${obj.gen} R`;
  if (obj instanceof PdfString) return obj.hex ? "<" + toHex(obj.bytes) + ">" : literal(obj.bytes);
  if (Array.isArray(obj)) return "[" + obj.map(serialize).join(" ") + "]";
  if (obj instanceof PdfDict) {
    let s = "<<";
    for (const [k, v] of obj.entries) s += "/" + escapeName(k) + " " + serialize(v);
    return s + ">>";
  }
  if (obj instanceof PdfStream) throw new TypeError("Streams are not rewritten by the writer");
  throw new TypeError("Not a PDF object");
}

function literal(bytes: Uint8Array): string {
  let s = "(";
  for (const b of bytes) {
    if (b === 0x28 || b === 0x29 || b === 0x5c) s += "\\" + String.fromCharCode(b);
    else if (b < 0x20 || b > 0x7e) s += "\\" + b.toString(8).padStart(3, "0");
    else s += String.fromCharCode(b);
  }
  return s + ")";
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError("PDF numbers must be finite");
  if (Number.isInteger(n)) return String(n);
  return n.toFixed(6).replace(/0+$/, "").replace(/\.$/, "");
}

function escapeName(name: string): string {
  let s = "";
  for (const ch of name) {
    const c = ch.charCodeAt(0);
    const plain = c > 0x20 && c < 0x7f && !"()<>[]{}/%#".includes(ch);
    s += plain ? ch : "#" + (c & 0xff).toString(16).padStart(2, "0");
  }
  return s;
}

/** Lower-case hexadecimal of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Bytes of a Latin-1 string (each char code is one byte). */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Appends text and bytes; knows its length so callers can record offsets. */
export class ByteWriter {
  readonly #chunks: Uint8Array[] = [];
  #length = 0;

  /** The number of bytes written so far. */
  get length(): number {
    return this.#length;
  }

  /** Appends Latin-1 text or raw bytes. */
  write(data: string | Uint8Array): void {
    const bytes = typeof data === "string" ? latin1Bytes(data) : data;
    this.#chunks.push(bytes);
    this.#length += bytes.length;
  }

  /** Copies everything written into `target` at `offset`. */
  copyInto(target: Uint8Array, offset: number): void {
    let p = offset;
    for (const c of this.#chunks) {
      target.set(c, p);
      p += c.length;
    }
  }
}
