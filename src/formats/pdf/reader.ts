/**
 * The PDF reader: finds `startxref`, reads the cross-reference chain (tables, streams,
 * hybrid files, object streams), the revision boundaries, and resolves objects, all within
 * the limits of a {@linkcode Budget}. Encrypted files are refused.
 *
 * @module
 */
import { Pkcs11exError } from "../../core/errors.ts";
import { decodeStream } from "./_filters.ts";
import { parseIndirect } from "./_indirect.ts";
import { indexOfBytes, lastIndexOfBytes, latin1, Lexer } from "./_lexer.ts";
import { Budget, malformed, type PdfReadLimits } from "./_limits.ts";
import {
  dictOf,
  isNonNegInt,
  type PdfDict,
  type PdfObject,
  PdfRef,
  PdfStream,
} from "./_objects.ts";
import { findRevisions, type Revision } from "./_revisions.ts";
import { readXrefChain, type XrefEntry, type XrefSection } from "./_xref.ts";

/** The object table as of one revision (or of the whole file). */
export class PdfView {
  readonly #doc: PdfDocument;
  readonly #sections: XrefSection[];
  /** Every visible entry by object number, merged on first use (newest section wins). */
  #entries: Map<number, XrefEntry> | undefined;

  /** @param doc The document. @param sections The sections visible, newest first. */
  constructor(doc: PdfDocument, sections: XrefSection[]) {
    this.#doc = doc;
    this.#sections = sections;
  }

  /** The document this view belongs to. */
  get doc(): PdfDocument {
    return this.#doc;
  }

  /** The work limits of the document. */
  get budget(): Budget {
    return this.#doc.budget;
  }

  /** The newest trailer visible in this view. */
  get trailer(): PdfDict {
    return this.#sections[0].trailer;
  }

  /**
   * The entry of object `num` in the newest section that has one, or `undefined`. One merged
   * table per view: walking the sections per lookup made a file of many revisions cost time
   * cubic in their number (each signature compares every later object in two views).
   */
  entry(num: number): XrefEntry | undefined {
    if (this.#entries === undefined) {
      this.#entries = new Map();
      for (let i = this.#sections.length - 1; i >= 0; i--) {
        for (const [n, e] of this.#sections[i].entries) this.#entries.set(n, e);
      }
    }
    return this.#entries.get(num);
  }

  /** Object `num` (null when free or absent). */
  object(num: number): PdfObject {
    const e = this.entry(num);
    return e === undefined ? null : this.#doc.load(num, e, this);
  }

  /** Follows `obj` when it is a reference. */
  resolve(obj: PdfObject | undefined): PdfObject {
    return obj instanceof PdfRef ? this.object(obj.num) : obj ?? null;
  }

  /** The dictionary `obj` resolves to (of a stream too), or `undefined`. */
  dict(obj: PdfObject | undefined): PdfDict | undefined {
    return dictOf(this.resolve(obj));
  }

  /** The document catalog (`/Root`). */
  catalog(): PdfDict {
    const root = this.dict(this.trailer.get("Root"));
    if (!root) throw malformed("root_missing", "the trailer has no /Root catalog");
    return root;
  }
}

/** A parsed PDF: its bytes, cross-reference sections and revisions. */
export class PdfDocument {
  /** The input, never copied. */
  readonly bytes: Uint8Array;
  /** The offset `startxref` names. */
  readonly startxref: number;
  /** Cross-reference sections, newest first (the `/Prev` chain). */
  readonly sections: XrefSection[];
  /** Revision boundaries in file order. */
  readonly revisions: Revision[];
  /** The state of the whole file. */
  readonly latest: PdfView;
  /** Work limits shared by every read of this document. */
  readonly budget: Budget;
  readonly #cache = new Map<string, PdfObject>();
  /** Object streams read so far, by the file offset of the stream object. */
  readonly #objectStreams = new Map<number, ObjectStream>();
  readonly #loading = new Set<string>();

  /** Use {@linkcode readPdf}. */
  constructor(bytes: Uint8Array, budget: Budget) {
    this.bytes = bytes;
    this.budget = budget;
    this.startxref = findStartxref(bytes, budget);
    this.sections = readXrefChain(bytes, this.startxref, budget, (off) => this.#parseAt(off));
    this.latest = new PdfView(this, this.sections);
    this.revisions = findRevisions(bytes, budget);
    if (this.latest.trailer.get("Encrypt") !== undefined) {
      throw new Pkcs11exError(
        "encrypted_pdf_unsupported",
        "Cannot process the PDF: it is encrypted (/Encrypt in the trailer)",
        { detail: { kind: "encrypted_pdf_unsupported" } },
      );
    }
  }

  /** The object table as it was at byte offset `end` (sections that start before it). */
  viewAt(end: number): PdfView {
    const visible = this.sections.filter((s) => s.offset < end);
    if (visible.length === 0) throw malformed("no_xref_before", "no revision ends there");
    return new PdfView(this, visible);
  }

  /** The kind of the newest cross-reference section. */
  get xrefKind(): "table" | "stream" {
    return this.sections[0].kind;
  }

  /** Loads object `num` described by `entry` (cached). */
  load(num: number, entry: XrefEntry, view: PdfView): PdfObject {
    if (entry.type === 0) return null;
    const key = entry.type === 1 ? `o${entry.offset}` : `s${entry.stream}:${entry.index}:${num}`;
    const hit = this.#cache.get(key);
    if (hit !== undefined) return hit;
    if (this.#loading.has(key)) throw malformed("reference_cycle", "objects refer in a loop");
    this.#loading.add(key);
    try {
      const value = entry.type === 1
        ? this.#type1(num, entry.offset, view)
        : this.#fromObjectStream(num, entry.stream, entry.index, view);
      this.#cache.set(key, value);
      return value;
    } finally {
      this.#loading.delete(key);
    }
  }

  /** Where the indirect object `num` starts in the file, if it is stored uncompressed. */
  offsetOf(num: number, view: PdfView = this.latest): number | undefined {
    const e = view.entry(num);
    return e?.type === 1 ? e.offset : undefined;
  }

  #parseAt(offset: number): PdfObject {
    return parseIndirect(this.bytes, offset, this.budget, () => {
      throw malformed("xref_stream_invalid", "a cross-reference stream has an indirect /Length");
    }).value;
  }

  #type1(num: number, offset: number, view: PdfView): PdfObject {
    const parse = (at: number) =>
      parseIndirect(this.bytes, at, this.budget, (r) => view.object(r.num));
    try {
      const got = parse(offset);
      if (got.num === num) return got.value;
      throw malformed("object_number_mismatch", `object ${num} is not at offset ${offset}`);
    } catch (err) {
      // Tolerate an offset that is slightly off, as mainstream readers do.
      const near = nearestHeader(this.bytes, num, offset);
      if (near < 0) throw err;
      const got = parse(near);
      if (got.num !== num) throw err;
      return got.value;
    }
  }

  #fromObjectStream(num: number, streamNum: number, index: number, view: PdfView): PdfObject {
    const se = view.entry(streamNum);
    const stream = se?.type === 1 ? this.load(streamNum, se, view) : null;
    if (!(stream instanceof PdfStream) || stream.dict.name("Type") !== "ObjStm") {
      throw malformed("object_stream_invalid", `object stream ${streamNum} is missing`);
    }
    const key = se!.type === 1 ? se!.offset : 0;
    let objects = this.#objectStreams.get(key);
    if (!objects) {
      objects = readObjectStream(stream, streamNum, this.budget);
      this.#objectStreams.set(key, objects);
    }
    const at = objects.first + objects.offsetOf(num, index);
    return new Lexer(objects.data, at, this.budget).parseObject();
  }
}

/** A decoded object stream and its header, read once for all the objects it holds. */
interface ObjectStream {
  /** The decoded data. */
  data: Uint8Array;
  /** Where the first object starts in `data`. */
  first: number;
  /** Where object `num` (listed at `index`) starts, relative to `first`. */
  offsetOf(num: number, index: number): number;
}

/**
 * Decodes an object stream and reads its header (`N` pairs of object number and offset) in
 * one pass. A header that goes bad part of the way still serves the objects before that
 * point, as a scan up to each object's index would.
 */
function readObjectStream(stream: PdfStream, streamNum: number, budget: Budget): ObjectStream {
  const n = stream.dict.get("N");
  const first = stream.dict.get("First");
  if (!isNonNegInt(n) || !isNonNegInt(first) || n > budget.maxObjects) {
    throw malformed("object_stream_invalid", `object stream ${streamNum} has a bad header`);
  }
  const data = decodeStream(stream, budget);
  const lex = new Lexer(data, 0, budget);
  const nums: number[] = [];
  const offsets: number[] = [];
  let broken: unknown;
  try {
    for (let i = 0; i < n; i++) {
      const objNum = lex.expectInt("object_stream_invalid");
      offsets.push(lex.expectInt("object_stream_invalid"));
      nums.push(objNum);
    }
  } catch (err) {
    broken = err;
  }
  const firstIndex = new Map<number, number>();
  nums.forEach((num, i) => firstIndex.has(num) || firstIndex.set(num, i));
  return {
    data,
    first,
    offsetOf(num: number, index: number): number {
      const at = nums[index] === num ? index : firstIndex.get(num);
      if (at !== undefined) return offsets[at];
      if (broken !== undefined) throw broken;
      throw malformed("object_stream_invalid", `object ${num} is not in its stream`);
    },
  };
}

/** Reads `bytes` as a PDF; throws `malformed_pdf` or `encrypted_pdf_unsupported`. */
export function readPdf(bytes: Uint8Array, limits: PdfReadLimits = {}): PdfDocument {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("The PDF must be a Uint8Array");
  if (indexOfBytes(bytes, "%PDF-", 0, 1024) < 0) {
    throw malformed("header_missing", "no %PDF- header in the first 1024 bytes");
  }
  return new PdfDocument(bytes, new Budget(limits));
}

function nearestHeader(bytes: Uint8Array, num: number, offset: number): number {
  const needle = `${num} `;
  let best = -1;
  let from = Math.max(0, offset - 1024);
  for (;;) {
    const at = indexOfBytes(bytes, needle, from, offset + 1024);
    if (at < 0) return best;
    from = at + 1;
    if (at > 0 && bytes[at - 1] >= 0x30 && bytes[at - 1] <= 0x39) continue;
    if (!/^\d+ \d+\s*obj/.test(latin1(bytes, at, Math.min(bytes.length, at + 24)))) continue;
    if (best < 0 || Math.abs(at - offset) < Math.abs(best - offset)) best = at;
  }
}

function findStartxref(bytes: Uint8Array, budget: Budget): number {
  const at = lastIndexOfBytes(bytes, "startxref");
  budget.tick(bytes.length >>> 6);
  if (at < 0) throw malformed("startxref_not_found", "no startxref keyword");
  const lex = new Lexer(bytes, at + 9, budget);
  const offset = lex.expectInt("startxref_not_found");
  if (offset >= bytes.length) {
    throw malformed("xref_offset_out_of_bounds", "startxref points past the end of the file");
  }
  return offset;
}
