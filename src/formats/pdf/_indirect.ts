/**
 * Parsing one indirect object `num gen obj … endobj`, including stream data located by
 * `/Length` (with a bounded search for `endstream` when `/Length` lies).
 *
 * @module
 */
import { indexOfBytes, isWhite, Lexer } from "./_lexer.ts";
import { type Budget, malformed } from "./_limits.ts";
import { isNonNegInt, PdfDict, type PdfObject, PdfRef, PdfStream } from "./_objects.ts";

/** An indirect object read from a buffer. */
export interface IndirectObject {
  num: number;
  gen: number;
  value: PdfObject;
}

/** Resolves a `/Length` given as an indirect reference. */
export type LengthResolver = (ref: PdfRef) => PdfObject;

/** Parses the indirect object whose header starts at `offset`. */
export function parseIndirect(
  buf: Uint8Array,
  offset: number,
  budget: Budget,
  resolveLength: LengthResolver,
): IndirectObject {
  if (offset < 0 || offset >= buf.length) {
    throw malformed("object_offset_out_of_bounds", `an object offset ${offset} is out of bounds`);
  }
  const lex = new Lexer(buf, offset, budget);
  const num = lex.expectInt("object_header_invalid");
  const gen = lex.expectInt("object_header_invalid");
  lex.expectKeyword("obj", "object_header_invalid");
  const value = lex.parseObject();
  if (!(value instanceof PdfDict)) return { num, gen, value };
  lex.skipWhite();
  if (!startsWith(buf, lex.pos, "stream")) return { num, gen, value };
  let dataStart = lex.pos + 6;
  if (buf[dataStart] === 13 && buf[dataStart + 1] === 10) dataStart += 2;
  else if (buf[dataStart] === 10 || buf[dataStart] === 13) dataStart += 1;
  let length = value.get("Length");
  if (length instanceof PdfRef) length = resolveLength(length);
  const dataEnd = findDataEnd(buf, dataStart, isNonNegInt(length) ? length : -1, budget);
  return { num, gen, value: new PdfStream(value, buf, dataStart, dataEnd) };
}

function findDataEnd(buf: Uint8Array, start: number, length: number, budget: Budget): number {
  if (length >= 0 && start + length <= buf.length) {
    let p = start + length;
    while (p < buf.length && isWhite(buf[p])) p++;
    if (startsWith(buf, p, "endstream")) return start + length;
  }
  // /Length is missing or wrong: look for the keyword instead (bounded by the input).
  const at = nextEndstream(buf, start, budget);
  if (at < 0) {
    throw malformed("stream_length_invalid", "a stream's /Length is wrong and it never ends");
  }
  let end = at;
  if (end > start && buf[end - 1] === 10) end--;
  if (end > start && buf[end - 1] === 13) end--;
  return end;
}

/**
 * What earlier searches for `endstream` in an input found: each occurrence `at` (ascending)
 * with the lowest start `from` a search reached it from, so none lies in `[from, at)`. Without
 * it, many streams whose `/Length` is wrong, before one `endstream`, each scan to it again.
 */
const endstreamSearches = new WeakMap<Uint8Array, { at: number[]; from: number[] }>();

/** The offset of the first `endstream` at or after `start`, or -1. */
function nextEndstream(buf: Uint8Array, start: number, budget: Budget): number {
  let known = endstreamSearches.get(buf);
  if (!known) endstreamSearches.set(buf, known = { at: [], from: [] });
  // The first known occurrence at or after `start` (the ranges [from, at] never overlap).
  let lo = 0, hi = known.at.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (known.at[mid] < start) lo = mid + 1;
    else hi = mid;
  }
  if (lo < known.at.length && known.from[lo] <= start) {
    return known.at[lo] === buf.length ? -1 : known.at[lo];
  }
  const found = indexOfBytes(buf, "endstream", start);
  const at = found < 0 ? buf.length : found; // "none before the end" is remembered the same way
  budget.tick((at - start) >>> 4);
  if (lo < known.at.length && known.at[lo] === at) known.from[lo] = start;
  else {
    known.at.splice(lo, 0, at);
    known.from.splice(lo, 0, start);
  }
  return found;
}

function startsWith(buf: Uint8Array, p: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) if (buf[p + i] !== word.charCodeAt(i)) return false;
  return true;
}
