/**
 * The PDF object model of the reader and writer (ISO 32000-2 §7.3).
 *
 * @module
 */

/** A name object such as `/Type`; `value` is the decoded name without the slash. */
export class PdfName {
  /** @param value The name's characters (bytes as Latin-1), without the leading slash. */
  constructor(readonly value: string) {}
}

/** An indirect reference `num gen R`. */
export class PdfRef {
  /** @param num Object number. @param gen Generation number. */
  constructor(readonly num: number, readonly gen: number) {}
}

/** A string object; `start`/`end` are its offsets in the source buffer (`-1` when built). */
export class PdfString {
  /**
   * @param bytes The decoded bytes.
   * @param hex Whether it was written as a hexadecimal string `<…>`.
   * @param start Offset of the opening delimiter in the source.
   * @param end Offset just after the closing delimiter.
   * @param wellFormed False when a hex string held characters that are not hex digits.
   */
  constructor(
    readonly bytes: Uint8Array,
    readonly hex: boolean,
    readonly start = -1,
    readonly end = -1,
    readonly wellFormed = true,
  ) {}
}

/** A dictionary; keys are names without the slash. */
export class PdfDict {
  /** @param entries The entries in source order. */
  constructor(readonly entries: Map<string, PdfObject> = new Map()) {}

  /** The value of `key`, or `undefined`. */
  get(key: string): PdfObject | undefined {
    return this.entries.get(key);
  }

  /** The name value of `key` (without the slash), or `undefined`. */
  name(key: string): string | undefined {
    const v = this.entries.get(key);
    return v instanceof PdfName ? v.value : undefined;
  }
}

/** A stream: its dictionary and where its raw (still encoded) data lies in `source`. */
export class PdfStream {
  /**
   * @param dict The stream dictionary.
   * @param source The buffer that holds the data.
   * @param dataStart Offset of the first data byte.
   * @param dataEnd Offset just after the last data byte.
   */
  constructor(
    readonly dict: PdfDict,
    readonly source: Uint8Array,
    readonly dataStart: number,
    readonly dataEnd: number,
  ) {}

  /** The raw data bytes (a view, not a copy). */
  raw(): Uint8Array {
    return this.source.subarray(this.dataStart, this.dataEnd);
  }
}

/** Any PDF object. */
export type PdfObject =
  | null
  | boolean
  | number
  | PdfName
  | PdfRef
  | PdfString
  | PdfObject[]
  | PdfDict
  | PdfStream;

/** The dictionary of a dictionary or stream object, else `undefined`. */
export function dictOf(obj: PdfObject | undefined): PdfDict | undefined {
  if (obj instanceof PdfDict) return obj;
  if (obj instanceof PdfStream) return obj.dict;
  return undefined;
}

/** Whether `v` is a non-negative safe integer. */
export function isNonNegInt(v: PdfObject | undefined): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/** Deep structural equality of two objects (references compare by number and generation). */
export function sameObject(a: PdfObject | undefined, b: PdfObject | undefined): boolean {
  if (a === b) return true;
  if (a instanceof PdfName && b instanceof PdfName) return a.value === b.value;
  if (a instanceof PdfRef && b instanceof PdfRef) return a.num === b.num && a.gen === b.gen;
  if (a instanceof PdfString && b instanceof PdfString) return sameBytes(a.bytes, b.bytes);
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => sameObject(v, b[i]));
  }
  if (a instanceof PdfStream && b instanceof PdfStream) {
    return sameObject(a.dict, b.dict) && sameBytes(a.raw(), b.raw());
  }
  if (a instanceof PdfDict && b instanceof PdfDict) {
    if (a.entries.size !== b.entries.size) return false;
    for (const [k, v] of a.entries) if (!sameObject(v, b.entries.get(k))) return false;
    return true;
  }
  return false;
}

/** Whether two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
