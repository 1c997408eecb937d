/**
 * The {@linkcode FfiAdapter} over Deno's FFI (`Deno.dlopen`, `Deno.UnsafeFnPointer`,
 * `Deno.UnsafePointerView`). Deno pointers are objects; addresses cross as bigints.
 *
 * Calls through `Deno.UnsafeFnPointer` take a slow generic path (about 3 µs per call here),
 * while `Deno.dlopen` symbols get V8 fast calls (tens of ns) when every `u64` argument is a
 * bigint. So {@linkcode NativeLibrary.bindExported} binds a PKCS#11 entry through the
 * library's export of the same name, once `dlsym` proves it is the same address.
 *
 * @module
 */
import type {
  CType,
  FfiAdapter,
  FunctionSignature,
  NativeArg,
  NativeCall,
  NativeFunction,
  NativeLibrary,
} from "./adapter.ts";

type DenoType = "u64" | "u32" | "buffer" | "i32" | "usize" | "pointer" | "void";

function nativeType(type: CType, ulongSize: 4 | 8): DenoType {
  switch (type) {
    case "ulong":
      return ulongSize === 8 ? "u64" : "u32";
    case "pointer":
      return "buffer";
    case "size":
      return "usize";
    case "handle":
      return "pointer";
    default:
      return type;
  }
}

function definition(signature: FunctionSignature, ulongSize: 4 | 8): Deno.ForeignFunction {
  return {
    parameters: signature.parameters.map((p) => nativeType(p, ulongSize)),
    result: nativeType(signature.result, ulongSize),
  } as Deno.ForeignFunction;
}

function pointerAt(address: bigint): Deno.PointerObject {
  const pointer = Deno.UnsafePointer.create(address);
  if (pointer === null) throw new TypeError("Cannot use a NULL function or data pointer");
  return pointer;
}

const encoder = new TextEncoder();
const cString = (s: string): Uint8Array<ArrayBuffer> => encoder.encode(`${s}\0`);

/** `dlopen(path, RTLD_NOW | RTLD_NOLOAD)` + `dlsym`, to compare an export with a pointer. */
const LINKERS: Partial<Record<string, { path: string; noload: number }>> = {
  linux: { path: "libc.so.6", noload: 0x4 },
  darwin: { path: "libSystem.B.dylib", noload: 0x10 },
};
const RTLD_NOW = 0x2;
const linkerSymbols = {
  dlopen: { parameters: ["buffer", "i32"], result: "pointer" },
  dlsym: { parameters: ["pointer", "buffer"], result: "pointer" },
  dlclose: { parameters: ["pointer"], result: "i32" },
} as const;
let linker: { lib: Deno.DynamicLibrary<typeof linkerSymbols>; noload: number } | null | undefined;

function exportedAddress(path: string, name: string): bigint | null {
  if (linker === undefined) {
    const os = LINKERS[Deno.build.os];
    try {
      linker = os ? { lib: Deno.dlopen(os.path, linkerSymbols), noload: os.noload } : null;
    } catch {
      linker = null;
    }
  }
  if (linker === null) return null;
  const { dlopen, dlsym, dlclose } = linker.lib.symbols;
  const handle = dlopen(cString(path), RTLD_NOW | linker.noload);
  if (handle === null) return null;
  try {
    const symbol = dlsym(handle, cString(name));
    return symbol === null ? null : BigInt(Deno.UnsafePointer.value(symbol));
  } finally {
    dlclose(handle);
  }
}

/** A `CK_RV` function over a Deno call; `u32` parameters want numbers, not bigints. */
function rvFunction(call: (...args: NativeArg[]) => unknown, ulongSize: 4 | 8): NativeFunction {
  if (ulongSize === 8) return (...args) => Number(call(...args));
  return (...args) => Number(call(...args.map((a) => (typeof a === "bigint" ? Number(a) : a))));
}

/** The Deno implementation of the FFI adapter. */
export const denoAdapter: FfiAdapter = {
  runtime: "deno",
  mayOpenLibraries(): boolean {
    return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  },
  openLibrary(path: string, symbols: Readonly<Record<string, FunctionSignature>>): NativeLibrary {
    const defs = Object.fromEntries(
      Object.entries(symbols).map(([name, signature]) => [name, definition(signature, 8)]),
    );
    const lib = Deno.dlopen(path, defs);
    const extra: Deno.DynamicLibrary<Deno.ForeignLibraryInterface>[] = [];
    return {
      symbols: lib.symbols as unknown as Record<string, NativeCall>,
      bindExported(name, address, parameters, ulongSize) {
        if (exportedAddress(path, name) !== address) {
          return denoAdapter.bind(address, parameters, ulongSize);
        }
        const one = Deno.dlopen(path, {
          [name]: definition({ parameters, result: "ulong" }, ulongSize),
        });
        extra.push(one);
        return rvFunction(one.symbols[name] as (...args: NativeArg[]) => unknown, ulongSize);
      },
      close() {
        for (const one of extra) one.close();
        lib.close();
      },
    };
  },
  bind(address: bigint, parameters: readonly CType[], ulongSize: 4 | 8): NativeFunction {
    const pointer = pointerAt(address) as Deno.PointerObject<Deno.ForeignFunction>;
    const fn = new Deno.UnsafeFnPointer(
      pointer,
      definition({ parameters, result: "ulong" }, ulongSize),
    );
    return rvFunction(fn.call.bind(fn) as (...args: NativeArg[]) => unknown, ulongSize);
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
