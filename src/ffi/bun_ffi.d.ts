// Types of the parts of `bun:ffi` that src/ffi/bun.ts uses (Deno type-checks that file too).
export declare const FFIType: {
  readonly ptr: number;
  readonly u64: number;
  readonly u64_fast: number;
  readonly u32: number;
  readonly i32: number;
  readonly void: number;
};
export declare function dlopen(
  path: string,
  symbols: Record<string, { args: number[]; returns: number }>,
): { symbols: Record<string, (...args: unknown[]) => number | bigint>; close(): void };
export declare function CFunction(
  def: { ptr: number; args: number[]; returns: number },
): (...args: unknown[]) => number | bigint;
export declare function ptr(buffer: ArrayBufferView): number;
export declare function toArrayBuffer(address: number, offset: number, length: number): ArrayBuffer;
