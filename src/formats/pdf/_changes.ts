/**
 * What changed after a signed revision: nothing, only later signature additions (new
 * signature fields and dictionaries, page `/Annots` and AcroForm updates for them, DSS/VRI
 * dictionaries, XMP metadata), or anything else (the shadow / append attack).
 *
 * @module
 */
import { dictOf, PdfDict, type PdfObject, PdfRef, PdfStream, sameObject } from "./_objects.ts";
import { pageRefs } from "./_form.ts";
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
  const ctx = context(before);
  const other: number[] = [];
  // A trailer naming another catalog makes another document, whatever that catalog holds.
  const root = refNum(now.trailer.get("Root"));
  const rootMoved = root !== ctx.root;
  if (rootMoved) other.push(root ?? 0);
  for (const num of nums) {
    doc.budget.tick();
    if (!(rootMoved && num === root) && !allowed(num, before, now, ctx)) other.push(num);
  }
  return {
    verdict: other.length ? "other" : "signatures_only",
    otherObjects: other.sort((a, b) => a - b),
  };
}

/**
 * What the signed revision says about its own objects. Every role an object may change in is
 * judged from there: a later revision cannot give an object a role (Info, DSS, a form, an
 * `/Annots` array) that excuses changing it.
 */
interface Ctx {
  root: number | undefined;
  info: number | undefined;
  form: number | undefined;
  dss: Set<number>;
  /** Arrays referenced as a page's `/Annots` or the form's `/Fields`. */
  annotArrays: Set<number>;
}

function refNum(v: PdfObject | undefined): number | undefined {
  return v instanceof PdfRef ? v.num : undefined;
}

function context(before: PdfView): Ctx {
  const catalog = before.catalog();
  const dss = new Set<number>();
  const addRefs = (v: PdfObject | undefined, depth: number) => {
    if (v instanceof PdfRef) {
      if (dss.has(v.num)) return;
      dss.add(v.num);
    }
    if (depth > 3) return;
    const r = before.resolve(v ?? null);
    if (Array.isArray(r)) r.forEach((x) => addRefs(x, depth + 1));
    else if (r instanceof PdfDict) { for (const x of r.entries.values()) addRefs(x, depth + 1); }
  };
  addRefs(catalog.get("DSS"), 0);
  const annotArrays = new Set<number>();
  const addArray = (v: PdfObject | undefined) => {
    const num = refNum(v);
    if (num !== undefined) annotArrays.add(num);
  };
  for (const page of pageRefs(before)) addArray(before.dict(page)?.get("Annots"));
  addArray(before.dict(catalog.get("AcroForm"))?.get("Fields"));
  return {
    root: refNum(before.trailer.get("Root")),
    info: refNum(before.trailer.get("Info")),
    form: refNum(catalog.get("AcroForm")),
    dss,
    annotArrays,
  };
}

/** A cross-reference or object stream: file structure, never content. */
function isStructural(obj: PdfObject): boolean {
  return obj instanceof PdfStream && ["XRef", "ObjStm"].includes(obj.dict.name("Type") ?? "");
}

function allowed(num: number, before: PdfView, now: PdfView, ctx: Ctx): boolean {
  const old = before.object(num);
  const cur = now.object(num);
  if (sameObject(old, cur)) return true;
  const curType = dictOf(cur)?.name("Type");
  if (old === null) return !["Page", "Pages", "Catalog"].includes(curType ?? "");
  if (isStructural(old)) return cur === null || isStructural(cur);
  if (cur === null) return false;
  if (num === ctx.info) {
    return old instanceof PdfDict && cur instanceof PdfDict && curType === undefined;
  }
  if (ctx.dss.has(num)) return true;
  if (old instanceof PdfStream && cur instanceof PdfStream) {
    return old.dict.name("Type") === "Metadata" && curType === "Metadata";
  }
  if (num === ctx.root) return catalogAllowed(old, cur, before, now);
  if (num === ctx.form) return formAllowed(old, cur, before, now);
  if (Array.isArray(old) && Array.isArray(cur)) {
    return ctx.annotArrays.has(num) && appendsSignatures(old, cur, now);
  }
  if (old instanceof PdfDict && cur instanceof PdfDict) {
    if (old.name("Type") === "Page" && curType === "Page") {
      return onlyKeys(old, cur, new Set(["Annots", "Resources"])) &&
        arrayEntryAllowed(old.get("Annots"), cur.get("Annots"), before, now) &&
        resourcesExtended(old.get("Resources"), cur.get("Resources"), before, now);
    }
    if (isSignatureField(old, before)) {
      // Signing an empty field fills its value and appearance; a signed one stays as it was.
      return !isSigned(old, before) && onlyKeys(old, cur, SIG_FIELD_KEYS);
    }
  }
  return false;
}

function catalogAllowed(old: PdfObject, cur: PdfObject, before: PdfView, now: PdfView): boolean {
  if (!(old instanceof PdfDict && cur instanceof PdfDict)) return false;
  if (!onlyKeys(old, cur, CATALOG_KEYS)) return false;
  const of = old.get("AcroForm"), cf = cur.get("AcroForm");
  // The same reference: a change to the form object itself is judged as that object.
  if (sameObject(of, cf)) return true;
  return formAllowed(before.resolve(of ?? null), now.resolve(cf ?? null), before, now);
}

function formAllowed(old: PdfObject, cur: PdfObject, before: PdfView, now: PdfView): boolean {
  if (!(cur instanceof PdfDict) || !(old === null || old instanceof PdfDict)) return false;
  const o = old ?? new PdfDict();
  return onlyKeys(o, cur, FORM_KEYS) &&
    arrayEntryAllowed(o.get("Fields"), cur.get("Fields"), before, now);
}

/**
 * An array entry (direct or a reference, old and new each read in its own revision) that only
 * gained signature fields or their widgets. The same reference on both sides is judged as
 * the array object itself.
 */
function arrayEntryAllowed(
  old: PdfObject | undefined,
  cur: PdfObject | undefined,
  before: PdfView,
  now: PdfView,
): boolean {
  if (sameObject(old, cur)) return true;
  const o = old === undefined ? [] : before.resolve(old);
  const c = now.resolve(cur ?? null);
  return Array.isArray(o) && Array.isArray(c) && appendsSignatures(o, c, now);
}

function appendsSignatures(old: PdfObject[], cur: PdfObject[], now: PdfView): boolean {
  const kept = old.every((o) => cur.some((c) => sameObject(o, c)));
  const added = cur.filter((c) => !old.some((o) => sameObject(o, c)));
  return kept && added.every((a) => isSignatureField(now.resolve(a), now));
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

/** A signature field, or the widget of one: a dictionary, never a stream. */
function isSignatureField(d: PdfObject | undefined, view: PdfView): d is PdfDict {
  if (!(d instanceof PdfDict)) return false;
  if (d.name("FT") === "Sig") return true;
  const parent = view.dict(d.get("Parent"));
  return d.name("Subtype") === "Widget" && parent?.name("FT") === "Sig";
}

/** Whether the signature field `d` (or the field of widget `d`) holds a signature in `view`. */
function isSigned(d: PdfDict, view: PdfView): boolean {
  const field = d.name("FT") === "Sig" ? d : view.dict(d.get("Parent"));
  return field?.get("V") !== undefined;
}

function onlyKeys(old: PdfDict, cur: PdfDict, allowedKeys: Set<string>): boolean {
  const keys = new Set([...old.entries.keys(), ...cur.entries.keys()]);
  for (const k of keys) {
    if (!allowedKeys.has(k) && !sameObject(old.get(k), cur.get(k))) return false;
  }
  return true;
}
