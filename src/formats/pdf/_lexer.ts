/**
 * A bounded lexer and object parser for PDF syntax (ISO 32000-2 §7.2–7.3).
 *
 * @module
 */
import { type Budget, malformed } from "./_limits.ts";
import { PdfDict, PdfName, type PdfObject, PdfRef, PdfString } from "./_objects.ts";

const WS = new Uint8Array(256);
for (const c of [0, 9, 10, 12, 13, 32]) WS[c] = 1;
const DELIM = new Uint8Array(256);
for (const c of "()<>[]{}/%") DELIM[c.charCodeAt(0)] = 1;

/** Whether byte `c` is PDF white space. */
export function isWhite(c: number): boolean {
  return WS[c] === 1;
}

/** A token: a parsed atom or a punctuation/keyword marker. */
type Token =
  | { t: "obj"; v: PdfObject; int: boolean }
  | { t: "kw"; v: string }
  | { t: "punct"; v: "[" | "]" | "<<" | ">>" }
  | { t: "eof" };

/** Reads PDF objects from a buffer, starting at `pos`. */
export class Lexer {
  /** Current offset. */
  pos: number;

  /**
   * @param buf The bytes to read.
   * @param pos The starting offset.
   * @param budget Shared work limits.
   */
  constructor(readonly buf: Uint8Array, pos: number, readonly budget: Budget) {
    this.pos = pos;
  }

  /** Skips white space and comments. */
  skipWhite(): void {
    const b = this.buf;
    let p = this.pos;
    while (p < b.length) {
      const c = b[p];
      if (WS[c]) p++;
      else if (c === 0x25) {
        while (p < b.length && b[p] !== 10 && b[p] !== 13) p++;
      } else break;
    }
    this.pos = p;
  }

  /** Reads the next token. */
  next(): Token {
    this.budget.tick();
    this.skipWhite();
    const b = this.buf;
    const start = this.pos;
    if (start >= b.length) return { t: "eof" };
    const c = b[start];
    if (c === 0x5b || c === 0x5d) {
      this.pos++;
      return { t: "punct", v: c === 0x5b ? "[" : "]" };
    }
    if (c === 0x3c && b[start + 1] === 0x3c) {
      this.pos += 2;
      return { t: "punct", v: "<<" };
    }
    if (c === 0x3e && b[start + 1] === 0x3e) {
      this.pos += 2;
      return { t: "punct", v: ">>" };
    }
    if (c === 0x3c) return { t: "obj", v: this.#hexString(), int: false };
    if (c === 0x28) return { t: "obj", v: this.#literalString(), int: false };
    if (c === 0x2f) return { t: "obj", v: this.#name(), int: false };
    let p = start;
    while (p < b.length && !WS[b[p]] && !DELIM[b[p]]) p++;
    if (p === start) {
      this.pos++;
      throw malformed("unexpected_byte", `unexpected byte 0x${c.toString(16)} at ${start}`);
    }
    this.pos = p;
    const word = latin1(b, start, p);
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(word)) {
      const int = /^[+-]?\d+$/.test(word);
      return { t: "obj", v: Number(word), int };
    }
    if (word === "true" || word === "false") return { t: "obj", v: word === "true", int: false };
    if (word === "null") return { t: "obj", v: null, int: false };
    return { t: "kw", v: word };
  }

  /** Reads one object; `int int R` becomes a {@linkcode PdfRef}. */
  parseObject(depth = 0): PdfObject {
    const tok = this.next();
    return this.#fromToken(tok, depth);
  }

  /** Reads a keyword, or throws `malformed_pdf` with `kind` when something else is there. */
  expectKeyword(word: string, kind: string): void {
    const at = this.pos;
    const tok = this.next();
    if (tok.t !== "kw" || tok.v !== word) {
      throw malformed(kind, `expected "${word}" at offset ${at}`);
    }
  }

  /** Reads a non-negative integer, or throws `malformed_pdf` with `kind`. */
  expectInt(kind: string): number {
    const at = this.pos;
    const tok = this.next();
    if (tok.t !== "obj" || !tok.int || (tok.v as number) < 0) {
      throw malformed(kind, `expected an integer at offset ${at}`);
    }
    return tok.v as number;
  }

  /** Peeks whether the next token is the keyword `word` (and consumes it if so). */
  acceptKeyword(word: string): boolean {
    const save = this.pos;
    const tok = this.next();
    if (tok.t === "kw" && tok.v === word) return true;
    this.pos = save;
    return false;
  }

  #fromToken(tok: Token, depth: number): PdfObject {
    if (depth > this.budget.maxDepth) {
      throw malformed("nesting_too_deep", `objects nest deeper than ${this.budget.maxDepth}`);
    }
    switch (tok.t) {
      case "eof":
        throw malformed("unexpected_eof", "the input ends inside an object");
      case "kw":
        throw malformed("unexpected_keyword", `unexpected keyword at offset ${this.pos}`);
      case "obj":
        return tok.int ? this.#maybeRef(tok.v as number) : tok.v;
      case "punct":
        if (tok.v === "[") return this.#array(depth);
        if (tok.v === "<<") return this.#dict(depth);
        throw malformed("unexpected_delimiter", `unexpected "${tok.v}" at offset ${this.pos}`);
    }
  }

  #maybeRef(num: number): PdfObject {
    const save = this.pos;
    const t2 = this.next();
    if (t2.t === "obj" && t2.int && num >= 0 && (t2.v as number) >= 0) {
      const t3 = this.next();
      if (t3.t === "kw" && t3.v === "R") return new PdfRef(num, t2.v as number);
    }
    this.pos = save;
    return num;
  }

  #array(depth: number): PdfObject[] {
    const out: PdfObject[] = [];
    for (;;) {
      const tok = this.next();
      if (tok.t === "punct" && tok.v === "]") return out;
      out.push(this.#fromToken(tok, depth + 1));
    }
  }

  #dict(depth: number): PdfDict {
    const d = new PdfDict();
    for (;;) {
      const at = this.pos;
      const tok = this.next();
      if (tok.t === "punct" && tok.v === ">>") return d;
      if (tok.t !== "obj" || !(tok.v instanceof PdfName)) {
        throw malformed("dict_key_not_name", `a dictionary key is not a name at offset ${at}`);
      }
      const value = this.#fromToken(this.next(), depth + 1);
      // A null value is the same as an absent entry (ISO 32000-2 §7.3.7).
      if (value !== null) d.entries.set(tok.v.value, value);
    }
  }

  #name(): PdfName {
    const b = this.buf;
    let p = this.pos + 1;
    let s = "";
    while (p < b.length && !WS[b[p]] && !DELIM[b[p]]) {
      if (b[p] === 0x23 && p + 2 < b.length && isHex(b[p + 1]) && isHex(b[p + 2])) {
        s += String.fromCharCode(parseInt(latin1(b, p + 1, p + 3), 16));
        p += 3;
      } else s += String.fromCharCode(b[p++]);
    }
    this.pos = p;
    return new PdfName(s);
  }

  #hexString(): PdfString {
    const b = this.buf;
    const start = this.pos;
    let p = start + 1;
    const out: number[] = [];
    let half = -1;
    let ok = true;
    while (p < b.length && b[p] !== 0x3e) {
      const c = b[p++];
      if (WS[c]) continue;
      const v = hexValue(c);
      if (v < 0) {
        ok = false;
        continue;
      }
      if (half < 0) half = v;
      else {
        out.push((half << 4) | v);
        half = -1;
      }
    }
    if (p >= b.length) throw malformed("unterminated_string", `hex string at ${start} never ends`);
    if (half >= 0) out.push(half << 4);
    this.budget.tick(p - start);
    this.pos = p + 1;
    return new PdfString(Uint8Array.from(out), true, start, p + 1, ok);
  }

  #literalString(): PdfString {
    const b = this.buf;
    const start = this.pos;
    let p = start + 1;
    let level = 1;
    const out: number[] = [];
    while (p < b.length) {
      const c = b[p++];
      if (c === 0x5c) {
        if (p >= b.length) break;
        const e = b[p++];
        const simple = ESCAPES[e];
        if (simple !== undefined) out.push(simple);
        else if (e >= 0x30 && e <= 0x37) {
          let v = e - 0x30;
          for (let i = 0; i < 2 && p < b.length && b[p] >= 0x30 && b[p] <= 0x37; i++) {
            v = v * 8 + (b[p++] - 0x30);
          }
          out.push(v & 0xff);
        } else if (e === 13) {
          if (b[p] === 10) p++;
        } else if (e !== 10) out.push(e);
      } else if (c === 0x28) {
        level++;
        out.push(c);
      } else if (c === 0x29) {
        if (--level === 0) {
          this.budget.tick(p - start);
          this.pos = p;
          return new PdfString(Uint8Array.from(out), false, start, p);
        }
        out.push(c);
      } else if (c === 13) {
        if (b[p] === 10) p++;
        out.push(10);
      } else out.push(c);
    }
    throw malformed("unterminated_string", `literal string at ${start} never ends`);
  }
}

const ESCAPES: Record<number, number> = {
  0x6e: 10,
  0x72: 13,
  0x74: 9,
  0x62: 8,
  0x66: 12,
  0x28: 0x28,
  0x29: 0x29,
  0x5c: 0x5c,
};

function isHex(c: number): boolean {
  return hexValue(c) >= 0;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Decodes bytes `[start, end)` of `b` as Latin-1. */
export function latin1(b: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** The offset of `needle` in `b` at or after `from` (before `to`), or -1. */
export function indexOfBytes(b: Uint8Array, needle: string, from = 0, to = b.length): number {
  const n0 = needle.charCodeAt(0);
  const last = Math.min(to, b.length) - needle.length;
  outer: for (let i = Math.max(0, from); i <= last; i++) {
    if (b[i] !== n0) continue;
    for (let j = 1; j < needle.length; j++) {
      if (b[i + j] !== needle.charCodeAt(j)) continue outer;
    }
    return i;
  }
  return -1;
}

/** The offset of the last `needle` in `b` that starts before `before`, or -1. */
export function lastIndexOfBytes(b: Uint8Array, needle: string, before = b.length): number {
  for (let i = Math.min(before, b.length - needle.length); i >= 0; i--) {
    let ok = true;
    for (let j = 0; j < needle.length && ok; j++) ok = b[i + j] === needle.charCodeAt(j);
    if (ok) return i;
  }
  return -1;
}
