/**
 * Phase one of PAdES signing (pyHanko-style two-phase): append ONE incremental update that
 * holds a signature dictionary with a fixed-size `/Contents` placeholder, then hash the two
 * `/ByteRange` ranges and finish by writing the CMS into the placeholder.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { Pkcs11exError } from "../../core/errors.ts";
import { type Plan, planSignatureField } from "./_field_plan.ts";
import type { PdfReadLimits } from "./_limits.ts";
import { PdfRef, PdfString } from "./_objects.ts";
import { ByteWriter, serialize, toHex } from "./_serialize.ts";
import { pdfDate, textString } from "./_text.ts";
import { writeXrefStream, writeXrefTable, type WrittenObject } from "./_xref_writer.ts";
import { readPdf } from "./reader.ts";

/** Options of {@linkcode preparePdfSignature}. */
export interface PreparePdfOptions {
  /** `/Reason` of the signature dictionary. */
  reason?: string;
  /** `/Location`. */
  location?: string;
  /** `/ContactInfo`. */
  contactInfo?: string;
  /** `/Name` (the signer's name as a hint for viewers). */
  name?: string;
  /** `/M`, the claimed signing time (default: now). */
  signingTime?: Date;
  /** Bytes reserved for the CMS, in [256, 1 MiB] (default 8192). */
  placeholderSize?: number;
  /** Fill this empty signature field, or name the new field (default `SignatureN`). */
  fieldName?: string;
  /** `/SubFilter` (default `ETSI.CAdES.detached`). */
  subFilter?: "ETSI.CAdES.detached" | "adbe.pkcs7.detached";
  /** Reader limits for the input. */
  limits?: PdfReadLimits;
}

/** A prepared (to-be-signed) document. */
export interface PreparedPdf {
  /** The `/ByteRange` `[0, a, b, c]`: the signed bytes are `[0, a)` and `[b, b + c)`. */
  readonly byteRange: readonly [number, number, number, number];
  /** The prepared document; {@linkcode PreparedPdf.finish} fills its placeholder in place. */
  readonly bytes: Uint8Array;
  /** Bytes of CMS the placeholder holds. */
  readonly placeholderSize: number;
  /** The name of the signature field used. */
  readonly fieldName: string;
  /** The two signed ranges, as views (no copy). */
  signedRanges(): [Uint8Array, Uint8Array];
  /** The digest of the signed ranges (default SHA-256). */
  digest(alg?: "sha256" | "sha384" | "sha512"): Uint8Array;
  /** Writes `cmsDer` into the placeholder and returns the signed document (same buffer). */
  finish(cmsDer: Uint8Array): Uint8Array;
}

/** Smallest and largest `placeholderSize` accepted. */
export const PLACEHOLDER_RANGE = [256, 1024 * 1024] as const;
const BR_FIELD = 38;

/**
 * Prepares `pdf` for signing: the original bytes are kept exactly and one incremental update
 * is appended, with a cross-reference section of the same kind as the file's newest one.
 *
 * @example
 * ```ts ignore
 * const prepared = preparePdfSignature(pdf, { reason: "approved" });
 * const cms = await buildCms(prepared.digest());
 * const signed = prepared.finish(cms);
 * ```
 */
export function preparePdfSignature(
  pdf: Uint8Array,
  opts: PreparePdfOptions = {},
): PreparedPdf {
  const size = opts.placeholderSize ?? 8192;
  if (!Number.isSafeInteger(size) || size < PLACEHOLDER_RANGE[0] || size > PLACEHOLDER_RANGE[1]) {
    throw new Pkcs11exError(
      "writer",
      `Cannot prepare the PDF signature: placeholderSize must be in [256, 1048576], got ${size}`,
      { detail: { kind: "placeholder_size_out_of_range" } },
    );
  }
  const doc = readPdf(pdf, opts.limits);
  const view = doc.latest;
  const trailer = view.trailer;
  if (!(trailer.get("Root") instanceof PdfRef)) {
    throw new Pkcs11exError("malformed_pdf", "Cannot read the PDF: /Root is not a reference", {
      detail: { kind: "root_missing" },
    });
  }
  const declared = trailer.get("Size");
  let next = typeof declared === "number" && Number.isSafeInteger(declared) ? declared : 1;
  for (const s of doc.sections) for (const n of s.entries.keys()) next = Math.max(next, n + 1);
  const allocate = () => next++;
  const sigRef = new PdfRef(allocate(), 0);
  const plan: Plan = new Map();
  const fieldName = planSignatureField(view, plan, sigRef, allocate, opts.fieldName);

  const w = new ByteWriter();
  const last = pdf[pdf.length - 1];
  if (last !== 10 && last !== 13) w.write("\n");
  const written: WrittenObject[] = [];
  for (const [num, { gen, value }] of [...plan].sort((a, b) => a[0] - b[0])) {
    written.push({ num, gen, offset: pdf.length + w.length });
    w.write(`${num} ${gen} obj\n${serialize(value)}\nendobj\n`);
  }
  written.push({ num: sigRef.num, gen: 0, offset: pdf.length + w.length });
  const head = `${sigRef.num} 0 obj\n<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/` +
    `${opts.subFilter ?? "ETSI.CAdES.detached"}/ByteRange [0 `;
  w.write(head);
  const brAt = pdf.length + w.length;
  w.write(`${"0".repeat(BR_FIELD)}]/Contents `);
  const contentsAt = pdf.length + w.length;
  w.write(`<${"0".repeat(size * 2)}>`);
  const contentsEnd = pdf.length + w.length;
  let tail = `/M${serialize(textString(pdfDate(opts.signingTime ?? new Date())))}`;
  for (
    const [key, v] of [["Reason", opts.reason], ["Location", opts.location], [
      "ContactInfo",
      opts.contactInfo,
    ], ["Name", opts.name]] as const
  ) {
    if (v !== undefined) tail += `/${key}${serialize(textString(v))}`;
  }
  w.write(`${tail}>>\nendobj\n`);

  const carry = new Map();
  for (const key of ["Root", "Info"]) {
    const v = trailer.get(key);
    if (v !== undefined) carry.set(key, v);
  }
  const oldId = trailer.get("ID");
  const id0 = Array.isArray(oldId) && oldId[0] instanceof PdfString
    ? oldId[0]
    : new PdfString(randomBytes(), true);
  carry.set("ID", [id0, new PdfString(randomBytes(), true)]);
  const xt = { carry, size: next, prev: doc.startxref };
  if (doc.xrefKind === "stream") writeXrefStream(w, pdf.length, written, xt);
  else writeXrefTable(w, pdf.length, written, xt);

  const out = new Uint8Array(pdf.length + w.length);
  out.set(pdf, 0);
  w.copyInto(out, pdf.length);
  const byteRange = [0, contentsAt, contentsEnd, out.length - contentsEnd] as const;
  const brText = `${byteRange[1]} ${byteRange[2]} ${byteRange[3]}`.padEnd(BR_FIELD, " ");
  for (let i = 0; i < BR_FIELD; i++) out[brAt + i] = brText.charCodeAt(i);
  return preparedResult(out, byteRange, size, fieldName);
}

function preparedResult(
  out: Uint8Array,
  byteRange: readonly [number, number, number, number],
  size: number,
  fieldName: string,
): PreparedPdf {
  const ranges = (): [Uint8Array, Uint8Array] => [
    out.subarray(0, byteRange[1]),
    out.subarray(byteRange[2], byteRange[2] + byteRange[3]),
  ];
  return {
    byteRange,
    bytes: out,
    placeholderSize: size,
    fieldName,
    signedRanges: ranges,
    digest(alg = "sha256"): Uint8Array {
      const h = createHash(alg);
      for (const r of ranges()) h.update(r);
      return new Uint8Array(h.digest());
    },
    finish(cmsDer: Uint8Array): Uint8Array {
      if (!(cmsDer instanceof Uint8Array)) throw new TypeError("The CMS must be a Uint8Array");
      if (cmsDer.length > size) {
        throw new Pkcs11exError(
          "writer",
          `Cannot finish the PDF signature: the CMS (${cmsDer.length} bytes) does not fit the ` +
            `${size}-byte placeholder; raise placeholderSize`,
          { detail: { kind: "cms_der_too_large", size: cmsDer.length, placeholderSize: size } },
        );
      }
      const hex = toHex(cmsDer);
      const at = byteRange[1] + 1;
      for (let i = 0; i < hex.length; i++) out[at + i] = hex.charCodeAt(i);
      return out;
    },
  };
}

function randomBytes(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(16));
}
