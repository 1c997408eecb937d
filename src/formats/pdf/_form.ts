/**
 * Walking the interactive form (AcroForm field tree) and the page tree, bounded.
 *
 * @module
 */
import { malformed } from "./_limits.ts";
import { type PdfDict, PdfName, type PdfObject, PdfRef, PdfString } from "./_objects.ts";
import { decodeText } from "./_text.ts";
import type { PdfView } from "./reader.ts";

/** A named field of the form. */
export interface FormField {
  /** The field's reference (`undefined` for a direct dictionary). */
  ref: PdfRef | undefined;
  /** The field dictionary. */
  dict: PdfDict;
  /** The fully qualified name (`parent.child`). */
  fullName: string;
  /** The field type, inherited from ancestors (`Sig`, `Tx`, …). */
  type: string | undefined;
}

const MAX_DEPTH = 32;
const MAX_FIELDS = 100_000;

/** Every field that has a name, depth first, from the AcroForm's `/Fields`. */
export function listFields(view: PdfView, acroForm: PdfDict | undefined): FormField[] {
  const out: FormField[] = [];
  const seen = new Set<number>();
  const walk = (items: PdfObject, prefix: string, ft: string | undefined, depth: number) => {
    const list = view.resolve(items);
    if (!Array.isArray(list) || depth > MAX_DEPTH) return;
    for (const item of list) {
      if (item instanceof PdfRef) {
        if (seen.has(item.num)) continue;
        seen.add(item.num);
      }
      const dict = view.dict(item);
      if (!dict || out.length >= MAX_FIELDS) continue;
      view.budget.tick();
      const t = dict.get("T");
      const name = t instanceof PdfString ? decodeText(t) : undefined;
      const full = name === undefined ? prefix : prefix === "" ? name : `${prefix}.${name}`;
      const type = dict.name("FT") ?? ft;
      if (name !== undefined) {
        out.push({ ref: item instanceof PdfRef ? item : undefined, dict, fullName: full, type });
      }
      const kids = dict.get("Kids");
      if (kids !== undefined) walk(kids, full, type, depth + 1);
    }
  };
  if (acroForm) walk(acroForm.get("Fields") ?? null, "", undefined, 0);
  return out;
}

/** The references of every page, in order (walks `/Pages` → `/Kids`, bounded; skips cycles). */
export function pageRefs(view: PdfView): PdfRef[] {
  const out: PdfRef[] = [];
  const seen = new Set<number>();
  const walk = (node: PdfObject | undefined, depth: number) => {
    if (!(node instanceof PdfRef) || seen.has(node.num) || depth > MAX_DEPTH) return;
    seen.add(node.num);
    view.budget.tick();
    const dict = view.dict(node);
    if (!dict) return;
    if (dict.get("Type") instanceof PdfName && dict.name("Type") === "Page") {
      out.push(node);
      return;
    }
    const kids = view.resolve(dict.get("Kids"));
    if (Array.isArray(kids)) { for (const kid of kids) walk(kid, depth + 1); }
  };
  walk(view.catalog().get("Pages"), 0);
  return out;
}

/** The reference of the first page (walks `/Pages` → `/Kids`). */
export function firstPageRef(view: PdfView): PdfRef {
  let node = view.catalog().get("Pages");
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    if (!(node instanceof PdfRef)) break;
    const dict = view.dict(node);
    if (!dict) break;
    const kids = view.resolve(dict.get("Kids"));
    if (dict.get("Type") instanceof PdfName && dict.name("Type") === "Page") return node;
    if (!Array.isArray(kids)) return node;
    if (kids.length === 0) break;
    node = kids[0];
  }
  throw malformed("no_pages", "the page tree has no page");
}
