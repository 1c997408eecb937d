/**
 * Plans the object changes that attach a signature dictionary to the form: fill a named
 * empty signature field, or add a new field with an invisible widget on page 1, merging it
 * into an existing AcroForm (direct or indirect `/Fields`) or creating one.
 *
 * @module
 */
import { Pkcs11exError } from "../../core/errors.ts";
import { listFields } from "./_form.ts";
import { firstPageRef } from "./_form.ts";
import { PdfDict, PdfName, type PdfObject, PdfRef } from "./_objects.ts";
import { textString } from "./_text.ts";
import type { PdfView } from "./reader.ts";

/** An object to write in the update: its generation and new value. */
export interface PlannedObject {
  gen: number;
  value: PdfObject;
}

/** Objects to write, by object number. */
export type Plan = Map<number, PlannedObject>;

function writerError(kind: string, message: string): Pkcs11exError {
  return new Pkcs11exError("writer", `Cannot prepare the PDF signature: ${message}`, {
    detail: { kind },
  });
}

function copyDict(d: PdfDict): PdfDict {
  return new PdfDict(new Map(d.entries));
}

/**
 * Adds to `plan` the changes that make `sigRef` the value of a signature field.
 * @returns the fully qualified name of the field used.
 */
export function planSignatureField(
  view: PdfView,
  plan: Plan,
  sigRef: PdfRef,
  allocate: () => number,
  fieldName: string | undefined,
): string {
  const catalog = view.catalog();
  const rootRef = view.trailer.get("Root") as PdfRef;
  const formEntry = catalog.get("AcroForm");
  const form = view.dict(formEntry);
  const fields = listFields(view, form);
  const named = fieldName === undefined ? undefined : fields.find((f) => f.fullName === fieldName);

  if (named) {
    if (named.type !== "Sig") {
      throw writerError("field_not_signature", `field "${fieldName}" is not a signature field`);
    }
    if (named.dict.get("V") !== undefined) {
      throw writerError("field_already_signed", `field "${fieldName}" is already signed`);
    }
    if (!named.ref) throw writerError("field_not_indirect", "the named field is not indirect");
    const filled = copyDict(named.dict);
    filled.entries.set("V", sigRef);
    plan.set(named.ref.num, { gen: named.ref.gen, value: filled });
    setForm(view, plan, rootRef, catalog, formEntry, form, undefined);
    return named.fullName;
  }

  const names = new Set(fields.map((f) => f.fullName));
  let name = fieldName;
  for (let i = 1; name === undefined || names.has(name); i++) name = `Signature${i}`;
  const pageRef = firstPageRef(view);
  const widgetRef = new PdfRef(allocate(), 0);
  const widget = new PdfDict(
    new Map<string, PdfObject>([
      ["Type", new PdfName("Annot")],
      ["Subtype", new PdfName("Widget")],
      ["FT", new PdfName("Sig")],
      ["T", textString(name)],
      ["V", sigRef],
      ["Rect", [0, 0, 0, 0]],
      ["F", 132],
      ["P", pageRef],
    ]),
  );
  plan.set(widgetRef.num, { gen: 0, value: widget });
  appendToArray(view, plan, pageRef, "Annots", widgetRef);
  setForm(view, plan, rootRef, catalog, formEntry, form, widgetRef);
  return name;
}

/** Appends `item` to the array `owner[key]` (direct, indirect or absent), planning the writes. */
function appendToArray(
  view: PdfView,
  plan: Plan,
  ownerRef: PdfRef,
  key: string,
  item: PdfRef,
): void {
  const owner = plannedDict(view, plan, ownerRef);
  const current = owner.get(key);
  if (current instanceof PdfRef) {
    const arr = plan.get(current.num)?.value ?? view.resolve(current);
    const list = Array.isArray(arr) ? [...arr, item] : [item];
    plan.set(current.num, { gen: current.gen, value: list });
    return;
  }
  const updated = copyDict(owner);
  updated.entries.set(key, Array.isArray(current) ? [...current, item] : [item]);
  plan.set(ownerRef.num, { gen: ownerRef.gen, value: updated });
}

function plannedDict(view: PdfView, plan: Plan, ref: PdfRef): PdfDict {
  const v = plan.get(ref.num)?.value ?? view.resolve(ref);
  if (!(v instanceof PdfDict)) throw writerError("not_a_dictionary", `object ${ref.num} is odd`);
  return v;
}

/** Sets `/SigFlags 3` on the AcroForm and adds `widgetRef` to its `/Fields`, if given. */
function setForm(
  view: PdfView,
  plan: Plan,
  rootRef: PdfRef,
  catalog: PdfDict,
  formEntry: PdfObject | undefined,
  form: PdfDict | undefined,
  widgetRef: PdfRef | undefined,
): void {
  const flags = form?.get("SigFlags");
  const sigFlags = (typeof flags === "number" ? flags : 0) | 3;
  if (formEntry instanceof PdfRef && form) {
    const updated = copyDict(form);
    updated.entries.set("SigFlags", sigFlags);
    plan.set(formEntry.num, { gen: formEntry.gen, value: updated });
    if (widgetRef) appendToArray(view, plan, formEntry, "Fields", widgetRef);
    return;
  }
  const updated = form ? copyDict(form) : new PdfDict();
  updated.entries.set("SigFlags", sigFlags);
  const fields = view.resolve(updated.get("Fields"));
  const fieldsEntry = updated.get("Fields");
  if (widgetRef && fieldsEntry instanceof PdfRef) {
    const list = Array.isArray(fields) ? [...fields, widgetRef] : [widgetRef];
    plan.set(fieldsEntry.num, { gen: fieldsEntry.gen, value: list });
  } else if (widgetRef) {
    updated.entries.set("Fields", Array.isArray(fields) ? [...fields, widgetRef] : [widgetRef]);
  } else if (fieldsEntry === undefined) updated.entries.set("Fields", []);
  const cat = copyDict(plan.get(rootRef.num)?.value as PdfDict ?? catalog);
  cat.entries.set("AcroForm", updated);
  plan.set(rootRef.num, { gen: rootRef.gen, value: cat });
}
