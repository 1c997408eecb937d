/**
 * PDF text strings (PDFDocEncoding-safe ASCII or UTF-16BE with a BOM) and dates.
 *
 * @module
 */
import { PdfString } from "./_objects.ts";

/** A text string: ASCII as is, anything else as UTF-16BE with a byte-order mark. */
export function textString(text: string): PdfString {
  if (/^[\x20-\x7e]*$/.test(text)) {
    return new PdfString(Uint8Array.from(text, (c) => c.charCodeAt(0)), false);
  }
  const out = new Uint8Array(2 + text.length * 2);
  out[0] = 0xfe;
  out[1] = 0xff;
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i);
    out[2 + i * 2] = u >> 8;
    out[3 + i * 2] = u & 0xff;
  }
  return new PdfString(out, true);
}

/** Decodes a text string (UTF-16BE with BOM, UTF-8 with BOM, or PDFDocEncoding as Latin-1). */
export function decodeText(s: PdfString): string {
  const b = s.bytes;
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) {
    let out = "";
    for (let i = 2; i + 1 < b.length; i += 2) out += String.fromCharCode((b[i] << 8) | b[i + 1]);
    return out;
  }
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) {
    return new TextDecoder().decode(b.subarray(3));
  }
  let out = "";
  for (const c of b) out += String.fromCharCode(c);
  return out;
}

/** A PDF date `D:YYYYMMDDHHmmSS+00'00'` in UTC. */
export function pdfDate(date: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `D:${p(date.getUTCFullYear(), 4)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}` +
    `${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}+00'00'`;
}

/** Parses a PDF date (`D:YYYYMMDDHHmmSSOHH'mm'`, later parts optional), or `undefined`. */
export function parsePdfDate(text: string): Date | undefined {
  const m = /^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz+-])?(\d{2})?'?(\d{2})?/
    .exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i, k) => Number(m[i] ?? (k < 3 ? 1 : 0)));
  let t = Date.UTC(y, mo - 1, d, h, mi, s);
  if (m[7] === "+" || m[7] === "-") {
    const off = (Number(m[8] ?? 0) * 60 + Number(m[9] ?? 0)) * 60_000;
    t += m[7] === "+" ? -off : off;
  }
  return Number.isNaN(t) ? undefined : new Date(t);
}
