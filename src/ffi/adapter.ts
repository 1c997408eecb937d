/**
 * The one interface between portable code and a runtime's FFI. `deno.ts` and `bun.ts`
 * implement it; nothing else names a runtime. Raw pointers never leave `src/ffi/`: callers
 * see `Uint8Array`s, `bigint` addresses/handles and opaque {@linkcode NativeHandle}s only.
 *
 * @module
 */

/**
 * A C type as the binding sees it:
 * - `ulong`: a `CK_ULONG` (`ulongSize` bytes), passed as a bigint;
 * - `pointer`: a data pointer, passed as a `Uint8Array` (or `null`);
 * - `i32`: a C `int`, a number;
 * - `size`: a `size_t` or `long`, passed as a bigint, returned as a bigint;
 * - `handle`: an opaque pointer a library handed out ({@linkcode NativeHandle});
 * - `void`: no result.
 */
export type CType = "ulong" | "pointer" | "i32" | "size" | "handle" | "void";

/** An opaque pointer owned by a native library (an `EVP_PKEY *`, …); never dereferenced in JS. */
export type NativeHandle = { readonly __nativeHandle: "opaque" };

/** An argument of a native call. */
export type NativeArg = bigint | number | Uint8Array | NativeHandle | null;

/** What a native call returns, by result type (`i32` number, `size` bigint, `handle`, `void`). */
export type NativeResult = number | bigint | NativeHandle | null | undefined;

/** A bound native function returning a `CK_RV`, as a number. */
export type NativeFunction = (...args: NativeArg[]) => number;

/** A bound native function of any {@linkcode FunctionSignature}. */
export type NativeCall = (...args: NativeArg[]) => NativeResult;

/** The C signature of an exported function. */
export interface FunctionSignature {
  /** The parameter types, in order. */
  readonly parameters: readonly CType[];
  /** The result type. */
  readonly result: CType;
}

/** An opened shared library. */
export interface NativeLibrary {
  /** The functions bound by name when the library was opened. */
  readonly symbols: Readonly<Record<string, NativeCall>>;
  /**
   * Binds the `CK_RV` function at `address`, as {@linkcode FfiAdapter.bind} does; where
   * calling a library export is faster than calling a function pointer (Deno), and the
   * library exports `name` at that very address, through the export.
   */
  bindExported(
    name: string,
    address: bigint,
    parameters: readonly CType[],
    ulongSize: 4 | 8,
  ): NativeFunction;
  /** Closes the library handle (the OS keeps it loaded while others hold it). */
  close(): void;
}

/** What the native bindings need from a runtime. */
export interface FfiAdapter {
  /** Which runtime implements this adapter. */
  readonly runtime: "deno" | "bun";
  /** Whether opening libraries is allowed already (Deno: `--allow-ffi`), without a prompt. */
  mayOpenLibraries(): boolean;
  /**
   * Opens a shared library and binds the exported `symbols` (`size_t`-sized `ulong`s);
   * throws the runtime's error when `dlopen` fails or a symbol is missing.
   */
  openLibrary(path: string, symbols: Readonly<Record<string, FunctionSignature>>): NativeLibrary;
  /** Binds the `CK_RV` function at `address`; `CK_ULONG` parameters use `ulongSize` bytes. */
  bind(address: bigint, parameters: readonly CType[], ulongSize: 4 | 8): NativeFunction;
  /** The address of a buffer's first byte, for pointers nested inside structs. */
  addressOf(buffer: Uint8Array): bigint;
  /** Copies `length` bytes starting at `address`. */
  read(address: bigint, length: number): Uint8Array;
}
