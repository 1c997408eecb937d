/**
 * The one interface between portable code and a runtime's FFI. `deno.ts` and `bun.ts`
 * implement it; nothing else names a runtime. Raw pointers never leave `src/ffi/`: callers
 * see `Uint8Array`s and `bigint` addresses/handles only.
 *
 * @module
 */

/** A C parameter type as the binding sees it: a `CK_ULONG` or a pointer. */
export type CType = "ulong" | "pointer";

/** An argument of a native call: a `CK_ULONG` (bigint or number) or a buffer / NULL. */
export type NativeArg = bigint | number | Uint8Array | null;

/** A bound native function returning a `CK_RV`, as a number. */
export type NativeFunction = (...args: NativeArg[]) => number;

/** An opened shared library. */
export interface NativeLibrary {
  /** Calls `CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR)` with an 8-byte out buffer. */
  getFunctionList(out: Uint8Array): number;
  /** Closes the library handle (the OS keeps it loaded while others hold it). */
  close(): void;
}

/** What the PKCS#11 binding needs from a runtime. */
export interface FfiAdapter {
  /** Which runtime implements this adapter. */
  readonly runtime: "deno" | "bun";
  /** Opens a PKCS#11 module; throws the runtime's error when `dlopen` fails. */
  openLibrary(path: string): NativeLibrary;
  /** Binds the function at `address`; `CK_ULONG` parameters use `ulongSize` bytes. */
  bind(address: bigint, parameters: readonly CType[], ulongSize: 4 | 8): NativeFunction;
  /** The address of a buffer's first byte, for pointers nested inside structs. */
  addressOf(buffer: Uint8Array): bigint;
  /** Copies `length` bytes starting at `address`. */
  read(address: bigint, length: number): Uint8Array;
}
