/**
 * The {@linkcode FfiAdapter} over `bun:ffi`. Bun pointers are numbers; addresses cross as
 * bigints. Bun compiles a call stub for function pointers as for exports, so both are fast.
 * Bun has no non-blocking calls: blocking token calls run on slot workers.
 *
 * @module
 */
// @ts-types="./bun_ffi.d.ts"
import { CFunction, dlopen, FFIType, ptr, toArrayBuffer } from "bun:ffi";
import type {
  CType,
  FfiAdapter,
  FunctionSignature,
  NativeArg,
  NativeCall,
  NativeFunction,
  NativeLibrary,
} from "./adapter.ts";

function nativeType(type: CType, ulongSize: 4 | 8, result = false): number {
  switch (type) {
    case "ulong":
      if (ulongSize === 4) return FFIType.u32;
      return result ? FFIType.u64_fast : FFIType.u64;
    case "pointer":
    case "handle":
      return FFIType.ptr;
    case "i32":
      return FFIType.i32;
    case "size":
      return FFIType.u64;
    case "void":
      return FFIType.void;
  }
}

function definition(signature: FunctionSignature, ulongSize: 4 | 8) {
  return {
    args: signature.parameters.map((p) => nativeType(p, ulongSize)),
    returns: nativeType(signature.result, ulongSize, true),
  };
}

/** A `CK_RV` function over a Bun call; `u32` parameters want numbers, not bigints. */
function rvFunction(fn: (...args: NativeArg[]) => number | bigint, ulongSize: 4 | 8) {
  if (ulongSize === 8) return fn as NativeFunction;
  return ((...args) =>
    Number(fn(...args.map((a) => (typeof a === "bigint" ? Number(a) : a))))) as NativeFunction;
}

/** The Bun implementation of the FFI adapter. */
export const bunAdapter: FfiAdapter = {
  runtime: "bun",
  mayOpenLibraries: (): boolean => true,
  openLibrary(path: string, symbols: Readonly<Record<string, FunctionSignature>>): NativeLibrary {
    const defs = Object.fromEntries(
      Object.entries(symbols).map(([name, signature]) => [name, definition(signature, 8)]),
    );
    const lib = dlopen(path, defs);
    return {
      symbols: lib.symbols as Record<string, NativeCall>,
      bindExported(_name, address, parameters, ulongSize) {
        return bunAdapter.bind(address, parameters, ulongSize);
      },
      close: () => lib.close(),
    };
  },
  bind(address: bigint, parameters: readonly CType[], ulongSize: 4 | 8): NativeFunction {
    const fn = CFunction({
      ptr: Number(address),
      ...definition({ parameters, result: "ulong" }, ulongSize),
    }) as (...args: NativeArg[]) => number | bigint;
    return rvFunction(fn, ulongSize);
  },
  addressOf(buffer: Uint8Array): bigint {
    return BigInt(ptr(buffer));
  },
  read(address: bigint, length: number): Uint8Array {
    if (length === 0) return new Uint8Array(0);
    return new Uint8Array(toArrayBuffer(Number(address), 0, length).slice(0));
  },
};
