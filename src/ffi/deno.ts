/**
 * The {@linkcode FfiAdapter} over Deno's FFI (`Deno.dlopen`, `Deno.UnsafeFnPointer`,
 * `Deno.UnsafePointerView`). Deno pointers are objects; addresses cross as bigints.
 *
 * @module
 */
import type { CType, FfiAdapter, NativeArg, NativeFunction, NativeLibrary } from "./adapter.ts";

function nativeType(type: CType, ulongSize: 4 | 8): "u64" | "u32" | "buffer" {
  if (type === "pointer") return "buffer";
  return ulongSize === 8 ? "u64" : "u32";
}

function pointerAt(address: bigint): Deno.PointerObject {
  const pointer = Deno.UnsafePointer.create(address);
  if (pointer === null) throw new TypeError("Cannot use a NULL function or data pointer");
  return pointer;
}

/** The Deno implementation of the FFI adapter. */
export const denoAdapter: FfiAdapter = {
  runtime: "deno",
  openLibrary(path: string): NativeLibrary {
    const lib = Deno.dlopen(
      path,
      {
        C_GetFunctionList: { parameters: ["buffer"], result: "u64" },
      } as const,
    );
    return {
      getFunctionList: (out) => Number(lib.symbols.C_GetFunctionList(out)),
      close: () => lib.close(),
    };
  },
  bind(address: bigint, parameters: readonly CType[], ulongSize: 4 | 8): NativeFunction {
    const definition: Deno.ForeignFunction = {
      parameters: parameters.map((p) => nativeType(p, ulongSize)),
      result: ulongSize === 8 ? "u64" : "u32",
    };
    const pointer = pointerAt(address) as Deno.PointerObject<Deno.ForeignFunction>;
    const fn = new Deno.UnsafeFnPointer(pointer, definition);
    const call = fn.call.bind(fn) as unknown as (...args: NativeArg[]) => bigint | number;
    if (ulongSize === 8) return (...args) => Number(call(...args));
    return (...args) => Number(call(...args.map((a) => (typeof a === "bigint" ? Number(a) : a))));
  },
  addressOf(buffer: Uint8Array): bigint {
    return BigInt(
      Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer as Uint8Array<ArrayBuffer>)),
    );
  },
  read(address: bigint, length: number): Uint8Array {
    const copy = new Uint8Array(length);
    if (length > 0) Deno.UnsafePointerView.copyInto(pointerAt(address), copy);
    return copy;
  },
};
