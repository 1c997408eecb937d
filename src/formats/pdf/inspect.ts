/**
 * Structural inspection of the signatures of a PDF: where each signature dictionary is,
 * its `/ByteRange` and `/Contents`, which revision it covers and what changed afterwards.
 * No cryptography happens here; {@linkcode verifyPdf} builds on it.
 *
 * @module
 */
import { Pkcs11exError } from "../../core/errors.ts";
import { type ChangesAfter, changesAfter } from "./_changes.ts";
import { checkByteRange } from "./_byte_range.ts";
import { listFields } from "./_form.ts";
import { isWhite } from "./_lexer.ts";
import type { PdfReadLimits } from "./_limits.ts";
import { dictOf, type PdfDict, PdfRef, PdfString } from "./_objects.ts";
import { decodeText, parsePdfDate } from "./_text.ts";
import { type PdfDocument, readPdf } from "./reader.ts";

/** One signature dictionary of a PDF, as found. */
export interface PdfSignatureInfo {
  /** The signature field's fully qualified name, when a field points at it. */
  fieldName: string | undefined;
  /** The object number of the signature dictionary. */
  objectNumber: number;
  /** `/Type` (`Sig`, `DocTimeStamp`) when present. */
  type: string | undefined;
  /** `/SubFilter` (`ETSI.CAdES.detached`, `adbe.pkcs7.detached`, `ETSI.RFC3161`, …). */
  subFilter: string | undefined;
  /** The `/ByteRange` when it is sane. */
  byteRange: [number, number, number, number] | undefined;
  /** The CMS from `/Contents`, zero padding removed, when sane. */
  contentsDer: Uint8Array | undefined;
  /** `/M`, the claimed (unsigned) signing time. */
  m: Date | undefined;
  /** `/Reason`, when present. */
  reason?: string;
  /** `/Location`, when present. */
  location?: string;
  /** `/ContactInfo`, when present. */
  contactInfo?: string;
  /** `/Name`, when present. */
  name?: string;
  /** The index in `revisions` of the revision the signature covers (-1 when none). */
  revision: number;
  /** Whether the signed range ends exactly at a revision's end. */
  coversRevisionEnd: boolean;
  /** Whether the signed range reaches the end of the file. */
  coversWholeFile: boolean;
  /** What the later revisions change. */
  changesAfter: ChangesAfter;
  /** Objects changed after the signature other than by signature additions. */
  otherChangedObjects: number[];
  /** The structural refusal for this signature, if any. */
  problem: Pkcs11exError | undefined;
}

/** The structural picture of a PDF's signatures. */
export interface PdfInspection {
  /** Signature dictionaries in file order. */
  signatures: PdfSignatureInfo[];
  /** Revision ends (offsets after `%%EOF` and its end-of-line). */
  revisions: number[];
  /** Bytes after the last revision that are not white space. */
  trailingBytes: number;
  /** The kind of the newest cross-reference section. */
  xrefKind: "table" | "stream";
}

/** Inspects every signature dictionary of `pdf` (throws only when the PDF cannot be read). */
export function inspectPdfSignatures(
  pdf: Uint8Array,
  opts: { limits?: PdfReadLimits } = {},
): PdfInspection {
  const doc = readPdf(pdf, opts.limits);
  const view = doc.latest;
  const names = new Map<number, string>();
  for (const f of listFields(view, view.dict(view.catalog().get("AcroForm")))) {
    const v = f.dict.get("V");
    if (v instanceof PdfRef && f.type === "Sig") names.set(v.num, f.fullName);
  }
  const nums = new Set<number>();
  for (const s of doc.sections) for (const n of s.entries.keys()) nums.add(n);
  const signatures: PdfSignatureInfo[] = [];
  const ranges = new Map<PdfSignatureInfo, string>();
  const offsets = new Map<PdfSignatureInfo, number>();
  for (const num of [...nums].sort((a, b) => a - b)) {
    const entry = view.entry(num);
    if (!entry || entry.type === 0) continue;
    const d = dictOf(view.object(num));
    if (!d || !isSignatureDict(d)) continue;
    const info = describe(doc, num, d, entry.type === 1, names.get(num));
    signatures.push(info);
    offsets.set(info, entry.type === 1 ? entry.offset : 0);
    const br = d.get("ByteRange");
    if (Array.isArray(br)) ranges.set(info, br.join(" "));
  }
  markSharedRanges(ranges);
  signatures.sort((x, y) => offsets.get(x)! - offsets.get(y)!);
  const last = doc.revisions[doc.revisions.length - 1]?.end ?? 0;
  let trailing = 0;
  for (let i = last; i < pdf.length; i++) if (!isWhite(pdf[i])) trailing++;
  return {
    signatures,
    revisions: doc.revisions.map((r) => r.end),
    trailingBytes: trailing,
    xrefKind: doc.xrefKind,
  };
}

function isSignatureDict(d: PdfDict): boolean {
  const type = d.name("Type");
  return (d.get("ByteRange") !== undefined && d.get("Contents") !== undefined) ||
    ((type === "Sig" || type === "DocTimeStamp") && d.get("Contents") !== undefined);
}

function text(d: PdfDict, key: string): string | undefined {
  const v = d.get(key);
  return v instanceof PdfString ? decodeText(v) : undefined;
}

function describe(
  doc: PdfDocument,
  num: number,
  d: PdfDict,
  inFile: boolean,
  fieldName: string | undefined,
): PdfSignatureInfo {
  const mText = text(d, "M");
  const info: PdfSignatureInfo = {
    fieldName,
    objectNumber: num,
    type: d.name("Type"),
    subFilter: d.name("SubFilter"),
    byteRange: undefined,
    contentsDer: undefined,
    m: mText === undefined ? undefined : parsePdfDate(mText),
    reason: text(d, "Reason"),
    location: text(d, "Location"),
    contactInfo: text(d, "ContactInfo"),
    name: text(d, "Name"),
    revision: -1,
    coversRevisionEnd: false,
    coversWholeFile: false,
    changesAfter: "none",
    otherChangedObjects: [],
    problem: undefined,
  };
  try {
    const checked = checkByteRange(d, doc.bytes.length, inFile);
    info.byteRange = checked.byteRange;
    info.contentsDer = checked.contentsDer;
  } catch (err) {
    if (!(err instanceof Pkcs11exError)) throw err;
    info.problem = err;
    return info;
  }
  const end = info.byteRange[2] + info.byteRange[3];
  info.coversWholeFile = end === doc.bytes.length;
  info.revision = doc.revisions.findIndex((r) => r.end === end || r.eofEnd === end);
  info.coversRevisionEnd = info.revision >= 0;
  if (!info.coversRevisionEnd && !info.coversWholeFile) {
    info.problem = new Pkcs11exError(
      "incremental_update_after_signature",
      "Cannot verify the PDF signature: its /ByteRange ends inside a revision, leaving bytes unsigned",
      { detail: { kind: "range_ends_inside_revision", end } },
    );
    return info;
  }
  const report = changesAfter(doc, end);
  info.changesAfter = report.verdict;
  info.otherChangedObjects = report.otherObjects;
  return info;
}

/** Two dictionaries with one `/ByteRange`: the ones that do not own that hole are refused. */
function markSharedRanges(ranges: Map<PdfSignatureInfo, string>): void {
  const byRange = new Map<string, PdfSignatureInfo[]>();
  for (const [s, br] of ranges) {
    const group = byRange.get(br);
    if (group) group.push(s);
    else byRange.set(br, [s]);
  }
  for (const group of byRange.values()) {
    if (group.length < 2) continue;
    const allOwn = group.every((g) => !g.problem);
    for (const s of group) {
      if (!allOwn && !s.problem) continue;
      s.problem = new Pkcs11exError(
        "byte_range_invalid",
        "Cannot verify the PDF signature: another signature dictionary claims the same /ByteRange",
        { detail: { kind: "shared_byte_range" } },
      );
    }
  }
}
