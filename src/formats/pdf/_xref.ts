/**
 * Reading cross-reference sections: classic tables (ISO 32000-2 §7.5.4), cross-reference
 * streams (§7.5.8) and hybrid files (`/XRefStm`, §7.5.8.4), following the `/Prev` chain.
 *
 * @module
 */
import { decodeStream } from "./_filters.ts";
import { indexOfBytes, isWhite, Lexer } from "./_lexer.ts";
import { type Budget, malformed } from "./_limits.ts";
import { isNonNegInt, PdfDict, type PdfObject, PdfStream } from "./_objects.ts";

/** One cross-reference entry: free, at a byte offset, or inside an object stream. */
export type XrefEntry =
  | { type: 0 }
  | { type: 1; offset: number; gen: number }
  | { type: 2; stream: number; index: number };

/** One cross-reference section with its trailer dictionary. */
export interface XrefSection {
  /** Byte offset of the section (`xref` keyword or the xref stream object). */
  offset: number;
  /** Classic table or cross-reference stream. */
  kind: "table" | "stream";
  /** The trailer (for a stream: the stream dictionary). */
  trailer: PdfDict;
  /** Entries by object number (for hybrid files, merged with the `/XRefStm` stream). */
  entries: Map<number, XrefEntry>;
}

/** Parses an indirect object at an offset (supplied by the reader). */
export type ParseAt = (offset: number) => PdfObject;

/** Reads the `/Prev` chain from `startxref`, newest section first. */
export function readXrefChain(
  bytes: Uint8Array,
  startxref: number,
  budget: Budget,
  parseAt: ParseAt,
): XrefSection[] {
  const sections: XrefSection[] = [];
  const seen = new Set<number>();
  let offset: number | undefined = startxref;
  while (offset !== undefined) {
    if (seen.has(offset)) {
      throw malformed("prev_chain_cycle", "the /Prev chain of cross-reference sections loops");
    }
    if (sections.length >= budget.maxSections) {
      throw malformed("too_many_sections", "too many cross-reference sections");
    }
    seen.add(offset);
    const section = readSection(bytes, offset, budget, parseAt);
    const stm = section.trailer.get("XRefStm");
    if (section.kind === "table" && isNonNegInt(stm)) {
      const extra = readSection(bytes, stm, budget, parseAt);
      for (const [num, e] of extra.entries) {
        const mine = section.entries.get(num);
        if (mine === undefined || mine.type === 0) section.entries.set(num, e);
      }
    }
    sections.push(section);
    const prev = section.trailer.get("Prev");
    if (prev !== undefined && !isNonNegInt(prev)) {
      throw malformed("prev_invalid", "a trailer's /Prev is not an offset");
    }
    offset = prev;
  }
  return sections;
}

function readSection(
  bytes: Uint8Array,
  offset: number,
  budget: Budget,
  parseAt: ParseAt,
): XrefSection {
  if (offset >= bytes.length) {
    throw malformed("xref_offset_out_of_bounds", "a cross-reference offset is past the end");
  }
  try {
    let p = offset;
    while (p < bytes.length && isWhite(bytes[p])) p++;
    if (bytes[p] === 0x78 /* x */) return readTable(bytes, offset, budget);
    return readStreamSection(offset, budget, parseAt);
  } catch (err) {
    // A slightly wrong offset (bytes removed or added by a careless tool): use the nearest
    // `xref` keyword instead, as every mainstream reader does.
    const near = nearestTableKeyword(bytes, offset);
    if (near < 0 || near === offset) throw err;
    return readTable(bytes, near, budget);
  }
}

const SLACK = 1024;

function nearestTableKeyword(bytes: Uint8Array, offset: number): number {
  let best = -1;
  let from = Math.max(0, offset - SLACK);
  for (;;) {
    const at = indexOfBytes(bytes, "xref", from, offset + SLACK);
    if (at < 0) return best;
    from = at + 4;
    if (at > 0 && !isWhite(bytes[at - 1]) && bytes[at - 1] !== 0x3e) continue;
    if (best < 0 || Math.abs(at - offset) < Math.abs(best - offset)) best = at;
  }
}

function readTable(bytes: Uint8Array, offset: number, budget: Budget): XrefSection {
  const lex = new Lexer(bytes, offset, budget);
  lex.expectKeyword("xref", "xref_keyword_missing");
  const entries = new Map<number, XrefEntry>();
  for (;;) {
    if (lex.acceptKeyword("trailer")) break;
    const first = lex.expectInt("xref_subsection_header_invalid");
    const count = lex.expectInt("xref_subsection_header_invalid");
    if (count > budget.maxObjects || first + count > budget.maxObjects) {
      throw malformed("too_many_objects", "a cross-reference subsection is too large");
    }
    for (let i = 0; i < count; i++) {
      const off = lex.expectInt("xref_entry_malformed");
      const gen = lex.expectInt("xref_entry_malformed");
      const at = lex.pos;
      const tok = lex.next();
      if (tok.t !== "kw" || (tok.v !== "n" && tok.v !== "f")) {
        throw malformed("xref_entry_malformed", `bad cross-reference entry at ${at}`);
      }
      if (entries.has(first + i)) continue;
      entries.set(
        first + i,
        tok.v === "n" && off > 0 ? { type: 1, offset: off, gen } : { type: 0 },
      );
    }
  }
  const trailer = lex.parseObject();
  if (!(trailer instanceof PdfDict)) {
    throw malformed("trailer_keyword_missing", "the trailer is not a dictionary");
  }
  return { offset, kind: "table", trailer, entries };
}

function readStreamSection(offset: number, budget: Budget, parseAt: ParseAt): XrefSection {
  const obj = parseAt(offset);
  if (!(obj instanceof PdfStream) || obj.dict.name("Type") !== "XRef") {
    throw malformed("xref_keyword_missing", `no cross-reference at offset ${offset}`);
  }
  const dict = obj.dict;
  const w = dict.get("W");
  const size = dict.get("Size");
  if (
    !Array.isArray(w) || w.length !== 3 || !w.every((x) => isNonNegInt(x) && x <= 8) ||
    !isNonNegInt(size) || size > budget.maxObjects
  ) {
    throw malformed("xref_stream_invalid", "a cross-reference stream has a bad /W or /Size");
  }
  const widths = w as number[];
  const index = dict.get("Index") ?? [0, size];
  if (!Array.isArray(index) || index.length % 2 !== 0 || !index.every(isNonNegInt)) {
    throw malformed("xref_stream_invalid", "a cross-reference stream has a bad /Index");
  }
  const data = decodeStream(obj, budget);
  const rowLen = widths[0] + widths[1] + widths[2];
  const entries = new Map<number, XrefEntry>();
  let p = 0;
  for (let i = 0; i < index.length; i += 2) {
    const first = index[i] as number;
    const count = index[i + 1] as number;
    if (first + count > budget.maxObjects) {
      throw malformed("too_many_objects", "a cross-reference stream declares too many objects");
    }
    if (p + count * rowLen > data.length) {
      throw malformed("xref_stream_truncated", "a cross-reference stream is shorter than /Index");
    }
    budget.tick(count);
    for (let j = 0; j < count; j++, p += rowLen) {
      const type = widths[0] === 0 ? 1 : field(data, p, widths[0]);
      const f2 = field(data, p + widths[0], widths[1]);
      const f3 = field(data, p + widths[0] + widths[1], widths[2]);
      const num = first + j;
      if (entries.has(num)) continue;
      if (type === 1 && f2 > 0) entries.set(num, { type: 1, offset: f2, gen: f3 });
      else if (type === 2) entries.set(num, { type: 2, stream: f2, index: f3 });
      else entries.set(num, { type: 0 });
    }
  }
  return { offset, kind: "stream", trailer: dict, entries };
}

function field(data: Uint8Array, p: number, width: number): number {
  let v = 0;
  for (let i = 0; i < width; i++) v = v * 256 + data[p + i];
  return v;
}
