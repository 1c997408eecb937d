/**
 * Attribute templates: typed values in, `CK_ATTRIBUTE` arrays out, and back. Each
 * attribute has one value kind (bool, ulong, string, date, mechanism list, bytes).
 *
 * @module
 */
import type { FfiAdapter } from "./adapter.ts";
import { type AttributeName, attributeName, CKA } from "./constants.ts";
import { type Abi, type StructLayouts, writeUlong } from "./layout.ts";

/** The value of one attribute as the binding hands it over. */
export type AttributeValue = boolean | bigint | number | string | Uint8Array | readonly number[];

/** A template: attribute names mapped to values. */
export type AttributeTemplate = Partial<Record<AttributeName, AttributeValue>>;

/** The kind of value an attribute holds. */
export type AttributeKind = "bool" | "ulong" | "string" | "date" | "mechanisms" | "bytes";

const BOOL: readonly AttributeName[] = [
  "CKA_TOKEN",
  "CKA_PRIVATE",
  "CKA_TRUSTED",
  "CKA_SENSITIVE",
  "CKA_ENCRYPT",
  "CKA_DECRYPT",
  "CKA_WRAP",
  "CKA_UNWRAP",
  "CKA_SIGN",
  "CKA_SIGN_RECOVER",
  "CKA_VERIFY",
  "CKA_VERIFY_RECOVER",
  "CKA_DERIVE",
  "CKA_EXTRACTABLE",
  "CKA_LOCAL",
  "CKA_NEVER_EXTRACTABLE",
  "CKA_ALWAYS_SENSITIVE",
  "CKA_MODIFIABLE",
  "CKA_COPYABLE",
  "CKA_DESTROYABLE",
  "CKA_ALWAYS_AUTHENTICATE",
  "CKA_WRAP_WITH_TRUSTED",
];
const ULONG: readonly AttributeName[] = [
  "CKA_CLASS",
  "CKA_KEY_TYPE",
  "CKA_CERTIFICATE_TYPE",
  "CKA_CERTIFICATE_CATEGORY",
  "CKA_JAVA_MIDP_SECURITY_DOMAIN",
  "CKA_NAME_HASH_ALGORITHM",
  "CKA_MODULUS_BITS",
  "CKA_PRIME_BITS",
  "CKA_SUBPRIME_BITS",
  "CKA_VALUE_BITS",
  "CKA_VALUE_LEN",
  "CKA_KEY_GEN_MECHANISM",
];
const STRING: readonly AttributeName[] = ["CKA_LABEL", "CKA_APPLICATION", "CKA_URL"];
const DATE: readonly AttributeName[] = ["CKA_START_DATE", "CKA_END_DATE"];

const kinds = new Map<number, AttributeKind>();
for (const n of BOOL) kinds.set(CKA[n], "bool");
for (const n of ULONG) kinds.set(CKA[n], "ulong");
for (const n of STRING) kinds.set(CKA[n], "string");
for (const n of DATE) kinds.set(CKA[n], "date");
kinds.set(CKA.CKA_ALLOWED_MECHANISMS, "mechanisms");

/** The value kind of an attribute type (`bytes` when it has no other). */
export function attributeKind(type: number): AttributeKind {
  return kinds.get(type) ?? "bytes";
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes one attribute value as the bytes `pValue` points at. */
export function encodeAttributeValue(type: number, value: AttributeValue, abi: Abi): Uint8Array {
  const kind = attributeKind(type);
  const fail = () =>
    new TypeError(`Cannot encode ${attributeName(type)}: expected a ${kind} value`);
  switch (kind) {
    case "bool":
      if (typeof value !== "boolean") throw fail();
      return Uint8Array.of(value ? 1 : 0);
    case "ulong": {
      if (typeof value !== "number" && typeof value !== "bigint") throw fail();
      const out = new Uint8Array(abi.ulongSize);
      writeUlong(new DataView(out.buffer), 0, BigInt(value), abi);
      return out;
    }
    case "string":
    case "date":
      if (typeof value !== "string") throw fail();
      if (kind === "date" && !/^(\d{8})?$/.test(value)) throw fail();
      return encoder.encode(value);
    case "mechanisms": {
      if (!Array.isArray(value)) throw fail();
      const out = new Uint8Array(abi.ulongSize * value.length);
      const view = new DataView(out.buffer);
      value.forEach((m, i) => writeUlong(view, i * abi.ulongSize, BigInt(m), abi));
      return out;
    }
    case "bytes":
      if (!(value instanceof Uint8Array)) throw fail();
      return value;
  }
}

/** Decodes the bytes of one attribute value. */
export function decodeAttributeValue(type: number, bytes: Uint8Array, abi: Abi): AttributeValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (attributeKind(type)) {
    case "bool":
      return bytes.length > 0 && bytes[0] !== 0;
    case "ulong":
      return abi.ulongSize === 8 ? view.getBigUint64(0, true) : BigInt(view.getUint32(0, true));
    case "string":
    case "date":
      return decoder.decode(bytes);
    case "mechanisms": {
      const out: number[] = [];
      for (let i = 0; i + abi.ulongSize <= bytes.length; i += abi.ulongSize) {
        out.push(
          abi.ulongSize === 8 ? Number(view.getBigUint64(i, true)) : view.getUint32(i, true),
        );
      }
      return out;
    }
    case "bytes":
      return bytes;
  }
}

/** A `CK_ATTRIBUTE` array in native memory, with the value buffers it points at. */
export interface NativeTemplate {
  /** The `CK_ATTRIBUTE[]` bytes. */
  readonly array: Uint8Array;
  /** How many attributes it holds. */
  readonly count: number;
  /** The value buffers; held so that the garbage collector keeps them until the call ends. */
  readonly values: readonly Uint8Array[];
}

/**
 * Lays out a `CK_ATTRIBUTE[]` for `types`, each pointing at `values[i]` (or NULL with the
 * given length when the value is a length-only query).
 */
export function buildNativeTemplate(
  adapter: FfiAdapter,
  abi: Abi,
  layouts: StructLayouts,
  types: readonly number[],
  values: readonly (Uint8Array | null)[],
): NativeTemplate {
  const { size, offsets } = layouts.CK_ATTRIBUTE;
  const array = new Uint8Array(Math.max(1, size * types.length));
  const view = new DataView(array.buffer);
  const held: Uint8Array[] = [];
  types.forEach((type, i) => {
    const base = i * size;
    const value = values[i];
    writeUlong(view, base + offsets.type, BigInt(type), abi);
    if (value !== null && value.length > 0) {
      view.setBigUint64(base + offsets.pValue, adapter.addressOf(value), true);
      held.push(value);
    }
    writeUlong(view, base + offsets.ulValueLen, BigInt(value?.length ?? 0), abi);
  });
  return { array, count: types.length, values: held };
}

/** Encodes a typed template into native memory. */
export function encodeTemplate(
  adapter: FfiAdapter,
  abi: Abi,
  layouts: StructLayouts,
  template: AttributeTemplate,
): NativeTemplate {
  const entries = Object.entries(template).filter(([, v]) => v !== undefined) as [
    AttributeName,
    AttributeValue,
  ][];
  const types = entries.map(([name]) => {
    const type = CKA[name];
    if (type === undefined) throw new TypeError(`Unknown attribute ${name}`);
    return type;
  });
  const values = entries.map(([, value], i) => encodeAttributeValue(types[i], value, abi));
  return buildNativeTemplate(adapter, abi, layouts, types, values);
}
