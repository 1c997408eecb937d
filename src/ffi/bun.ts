/**
 * The {@linkcode FfiAdapter} over `bun:ffi`. Bun pointers are numbers; addresses cross as
 * bigints. Bun has no non-blocking calls: blocking token calls run on slot workers.
 *
 * @module
 */
// @ts-types="./bun_ffi.d.ts"
import { CFunction, dlopen, FFIType, ptr, toArrayBuffer } from "bun:ffi";
import type { CType, FfiAdapter, NativeArg, NativeFunction, NativeLibrary } from "./adapter.ts";

function nativeType(type: CType, ulongSize: 4 | 8): number {
  if (type === "pointer") return FFIType.ptr;
  return ulongSize === 8 ? FFIType.u64 : FFIType.u32;
}

/** The Bun implementation of the FFI adapter. */
export const bunAdapter: FfiAdapter = {
  runtime: "bun",
  openLibrary(path: string): NativeLibrary {
    const lib = dlopen(path, {
      C_GetFunctionList: { args: [FFIType.ptr], returns: FFIType.u64_fast },
    });
    return {
      getFunctionList: (out) => Number(lib.symbols.C_GetFunctionList(out)),
      close: () => lib.close(),
    };
  },
  bind(address: bigint, parameters: readonly CType[], ulongSize: 4 | 8): NativeFunction {
    const fn = CFunction({
      ptr: Number(address),
      args: parameters.map((p) => nativeType(p, ulongSize)),
      returns: ulongSize === 8 ? FFIType.u64_fast : FFIType.u32,
    }) as (...args: NativeArg[]) => number | bigint;
    if (ulongSize === 8) return fn as NativeFunction;
    return (...args) => Number(fn(...args.map((a) => (typeof a === "bigint" ? Number(a) : a))));
  },
  addressOf(buffer: Uint8Array): bigint {
    return BigInt(ptr(buffer));
  },
  read(address: bigint, length: number): Uint8Array {
    if (length === 0) return new Uint8Array(0);
    return new Uint8Array(toArrayBuffer(Number(address), 0, length).slice(0));
  },
};
