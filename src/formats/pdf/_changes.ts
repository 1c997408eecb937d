/**
 * What changed after a signed revision: nothing, only later signature additions (new
 * signature fields and dictionaries, page `/Annots` and AcroForm updates for them, DSS/VRI
 * dictionaries, XMP metadata), or anything else (the shadow / append attack).
 *
 * @module
 */
import { dictOf, PdfDict, type PdfObject, PdfRef, PdfStream, sameObject } from "./_objects.ts";
import type { PdfDocument, PdfView } from "./reader.ts";

/** The verdict on the revisions after a signature. */
export type ChangesAfter = "none" | "signatures_only" | "other";

/** The verdict and the object numbers that made it `other`. */
export interface ChangeReport {
  verdict: ChangesAfter;
  /** Objects changed in ways other than adding signatures. */
  otherObjects: number[];
}

const CATALOG_KEYS = new Set(["AcroForm", "DSS", "Metadata", "Extensions", "Perms"]);
const FORM_KEYS = new Set(["Fields", "SigFlags", "DR", "DA", "NeedAppearances"]);
const SIG_FIELD_KEYS = new Set(["V", "AP", "AS", "MK", "DA", "Lock", "SV", "F", "Ff"]);

/** Compares the state at byte `end` (a revision end) with the whole file. */
export function changesAfter(doc: PdfDocument, end: number): ChangeReport {
  const later = doc.sections.filter((s) => s.offset >= end);
  if (later.length === 0) return { verdict: "none", otherObjects: [] };
  const before = doc.viewAt(end);
  const now = doc.latest;
  const nums = new Set<number>();
  for (const s of later) for (const n of s.entries.keys()) nums.add(n);
  const ctx = context(now);
  const other: number[] = [];
  for (const num of nums) {
    doc.budget.tick();
    if (!allowed(num, before, now, ctx)) other.push(num);
  }
  return {
    verdict: other.length ? "other" : "signatures_only",
    otherObjects: other.sort((a, b) => a - b),
  };
}

interface Ctx {
  root: number | undefined;
  info: number | undefined;
  form: number | undefined;
  dss: Set<number>;
}

function refNum(v: PdfObject | undefined): number | undefined {
  return v instanceof PdfRef ? v.num : undefined;
}

function context(now: PdfView): Ctx {
  const catalog = now.catalog();
  const dss = new Set<number>();
  const addRefs = (v: PdfObject | undefined, depth: number) => {
    if (v instanceof PdfRef) {
      if (dss.has(v.num)) return;
      dss.add(v.num);
    }
    if (depth > 3) return;
    const r = now.resolve(v ?? null);
    if (Array.isArray(r)) r.forEach((x) => addRefs(x, depth + 1));
    else if (r instanceof PdfDict) { for (const x of r.entries.values()) addRefs(x, depth + 1); }
  };
  addRefs(catalog.get("DSS"), 0);
  return {
    root: refNum(now.trailer.get("Root")),
    info: refNum(now.trailer.get("Info")),
    form: refNum(catalog.get("AcroForm")),
    dss,
  };
}

function allowed(num: number, before: PdfView, now: PdfView, ctx: Ctx): boolean {
  const old = before.object(num);
  const cur = now.object(num);
  if (sameObject(old, cur)) return true;
  const curType = dictOf(cur)?.name("Type");
  if (cur instanceof PdfStream && (curType === "XRef" || curType === "ObjStm")) return true;
  if (old instanceof PdfStream && ["XRef", "ObjStm"].includes(old.dict.name("Type") ?? "")) {
    return true;
  }
  if (old === null) return !["Page", "Pages", "Catalog"].includes(curType ?? "");
  if (cur === null) return false;
  if (num === ctx.info || ctx.dss.has(num) || curType === "Metadata") return true;
  if (num === ctx.root) return catalogAllowed(old, cur, before, now);
  if (num === ctx.form) return formAllowed(old, cur, before, now);
  if (Array.isArray(old) && Array.isArray(cur)) return appendsSignatures(old, cur, now);
  if (old instanceof PdfDict && cur instanceof PdfDict) {
    if (old.name("Type") === "Page" && curType === "Page") {
      return onlyKeys(old, cur, new Set(["Annots", "Resources"])) &&
        arrayEntryAllowed(old.get("Annots"), cur.get("Annots"), now) &&
        resourcesExtended(old.get("Resources"), cur.get("Resources"), before, now);
    }
    if (isSignatureField(old, before)) {
      const v = old.get("V");
      return onlyKeys(old, cur, SIG_FIELD_KEYS) && (v === undefined || sameObject(v, cur.get("V")));
    }
  }
  return false;
}

function catalogAllowed(old: PdfObject, cur: PdfObject, before: PdfView, now: PdfView): boolean {
  if (!(old instanceof PdfDict && cur instanceof PdfDict)) return false;
  if (!onlyKeys(old, cur, CATALOG_KEYS)) return false;
  const of = old.get("AcroForm"), cf = cur.get("AcroForm");
  if (sameObject(of, cf) || cf instanceof PdfRef) return true;
  return formAllowed(before.resolve(of), now.resolve(cf), before, now);
}

function formAllowed(old: PdfObject, cur: PdfObject, _before: PdfView, now: PdfView): boolean {
  if (!(cur instanceof PdfDict)) return false;
  const o = old instanceof PdfDict ? old : new PdfDict();
  return onlyKeys(o, cur, FORM_KEYS) && arrayEntryAllowed(o.get("Fields"), cur.get("Fields"), now);
}

/** An array entry (direct or a reference) that only gained signature fields/widgets. */
function arrayEntryAllowed(
  old: PdfObject | undefined,
  cur: PdfObject | undefined,
  now: PdfView,
): boolean {
  if (sameObject(old, cur) || cur instanceof PdfRef) return true;
  const o = old instanceof PdfRef ? now.resolve(old) : old ?? [];
  return Array.isArray(o) && Array.isArray(cur) && appendsSignatures(o, cur, now);
}

function appendsSignatures(old: PdfObject[], cur: PdfObject[], now: PdfView): boolean {
  const kept = old.every((o) => cur.some((c) => sameObject(o, c)));
  const added = cur.filter((c) => !old.some((o) => sameObject(o, c)));
  return kept && added.every((a) => isSignatureField(now.dict(a), now));
}

/** New resources keep every old name bound to the same object (only additions). */
function resourcesExtended(
  oldEntry: PdfObject | undefined,
  curEntry: PdfObject | undefined,
  before: PdfView,
  now: PdfView,
): boolean {
  const old = before.dict(oldEntry), cur = now.dict(curEntry);
  if (!old || !cur) return old === cur;
  for (const [k, v] of old.entries) {
    const w = cur.get(k);
    if (sameObject(v, w)) continue;
    const ov = before.dict(v);
    const nv = now.dict(w);
    if (!ov || !nv) return false;
    for (const [name, target] of ov.entries) if (!sameObject(target, nv.get(name))) return false;
  }
  return true;
}

function isSignatureField(d: PdfDict | undefined, view: PdfView): boolean {
  if (!d) return false;
  if (d.name("FT") === "Sig") return true;
  const parent = view.dict(d.get("Parent"));
  return d.name("Subtype") === "Widget" && parent?.name("FT") === "Sig";
}

function onlyKeys(old: PdfDict, cur: PdfDict, allowedKeys: Set<string>): boolean {
  const keys = new Set([...old.entries.keys(), ...cur.entries.keys()]);
  for (const k of keys) {
    if (!allowedKeys.has(k) && !sameObject(old.get(k), cur.get(k))) return false;
  }
  return true;
}
