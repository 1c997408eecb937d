/**
 * Writing the cross-reference section of an incremental update: a classic table or a
 * cross-reference stream (ISO 32000-2 §7.5.4, §7.5.8), with its trailer and `startxref`.
 *
 * @module
 */
import { PdfDict, PdfName, type PdfObject } from "./_objects.ts";
import { type ByteWriter, serialize } from "./_serialize.ts";

/** Where one object of the update was written. */
export interface WrittenObject {
  num: number;
  gen: number;
  /** Offset in the final file. */
  offset: number;
}

/** What the new section needs besides its entries. */
export interface XrefTrailer {
  /** Trailer entries to carry (`/Root`, `/Info`, `/ID`). */
  carry: Map<string, PdfObject>;
  /** One more than the highest object number. */
  size: number;
  /** The offset of the previous section (`/Prev`). */
  prev: number;
}

/** Runs of consecutive object numbers: `[first, count]` pairs. */
function runs(objects: WrittenObject[]): [number, number][] {
  const out: [number, number][] = [];
  for (const o of objects) {
    const last = out[out.length - 1];
    if (last && last[0] + last[1] === o.num) last[1]++;
    else out.push([o.num, 1]);
  }
  return out;
}

function trailerDict(t: XrefTrailer, size: number): PdfDict {
  const d = new PdfDict();
  d.entries.set("Size", size);
  for (const [k, v] of t.carry) d.entries.set(k, v);
  d.entries.set("Prev", t.prev);
  return d;
}

/** Writes `xref`, the entries, `trailer`, `startxref` and `%%EOF`; `base` is the file offset of `w`. */
export function writeXrefTable(
  w: ByteWriter,
  base: number,
  objects: WrittenObject[],
  t: XrefTrailer,
): void {
  const sorted = [...objects].sort((a, b) => a.num - b.num);
  const start = base + w.length;
  w.write("xref\n");
  let i = 0;
  for (const [first, count] of runs(sorted)) {
    w.write(`${first} ${count}\n`);
    for (let k = 0; k < count; k++, i++) {
      const o = sorted[i];
      w.write(`${String(o.offset).padStart(10, "0")} ${String(o.gen).padStart(5, "0")} n\r\n`);
    }
  }
  w.write(`trailer\n${serialize(trailerDict(t, t.size))}\nstartxref\n${start}\n%%EOF\n`);
}

/** Writes a cross-reference stream object (numbered `t.size`) and `startxref`, `%%EOF`. */
export function writeXrefStream(
  w: ByteWriter,
  base: number,
  objects: WrittenObject[],
  t: XrefTrailer,
): void {
  const num = t.size;
  const start = base + w.length;
  const sorted = [...objects, { num, gen: 0, offset: start }].sort((a, b) => a.num - b.num);
  const offBytes = Math.max(1, Math.ceil(Math.log2(start + 1) / 8));
  const row = 1 + offBytes + 2;
  const data = new Uint8Array(sorted.length * row);
  sorted.forEach((o, i) => {
    const p = i * row;
    data[p] = 1;
    for (let b = 0; b < offBytes; b++) {
      data[p + 1 + b] = Math.floor(o.offset / 2 ** (8 * (offBytes - 1 - b))) & 0xff;
    }
    data[p + 1 + offBytes] = o.gen >> 8;
    data[p + 2 + offBytes] = o.gen & 0xff;
  });
  const d = trailerDict(t, num + 1);
  d.entries.set("Type", new PdfName("XRef"));
  d.entries.set("W", [1, offBytes, 2]);
  d.entries.set("Index", runs(sorted).flat());
  d.entries.set("Length", data.length);
  w.write(`${num} 0 obj\n${serialize(d)}\nstream\n`);
  w.write(data);
  w.write(`\nendstream\nendobj\nstartxref\n${start}\n%%EOF\n`);
}
