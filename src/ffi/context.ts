/**
 * What every call into one loaded module needs: the runtime adapter, the ABI, the struct
 * layouts and the bound function list. Internal to `src/ffi/`.
 *
 * @module
 */
import type { FfiAdapter } from "./adapter.ts";
import type { FunctionTable } from "./function_list.ts";
import { type Abi, readUlong, type StructLayouts, writeUlong } from "./layout.ts";

/** The shared state of one loaded module in one thread. */
export interface ModuleContext {
  readonly adapter: FfiAdapter;
  readonly abi: Abi;
  readonly layouts: StructLayouts;
  readonly fns: FunctionTable;
}

/** A `CK_ULONG` out-parameter: a buffer the C side writes one `CK_ULONG` into. */
export class UlongCell {
  /** The native bytes to pass as `CK_ULONG_PTR`. */
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  readonly #abi: Abi;

  constructor(abi: Abi, initial = 0n) {
    this.#abi = abi;
    this.bytes = new Uint8Array(abi.ulongSize);
    this.#view = new DataView(this.bytes.buffer);
    this.set(initial);
  }

  /** The value as a bigint. */
  get(): bigint {
    return readUlong(this.#view, 0, this.#abi);
  }

  /** Sets the value before a call. */
  set(value: bigint | number): void {
    writeUlong(this.#view, 0, BigInt(value), this.#abi);
  }
}

/** Reads `count` `CK_ULONG`s from an array buffer. */
export function readUlongArray(bytes: Uint8Array, count: number, abi: Abi): bigint[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) out.push(readUlong(view, i * abi.ulongSize, abi));
  return out;
}

const decoder = new TextDecoder();

/** Decodes a blank-padded `CK_UTF8CHAR[n]` field, trailing blanks and NULs removed. */
export function paddedString(bytes: Uint8Array): string {
  return decoder.decode(bytes).replace(/[\s\0]+$/u, "");
}
