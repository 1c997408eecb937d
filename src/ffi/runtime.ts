/**
 * Chooses the FFI adapter of the running runtime by dynamic import. Bun is tested before
 * Deno: some shims define `globalThis.Deno` under Bun.
 *
 * @module
 */
import type { FfiAdapter } from "./adapter.ts";
import { type Abi, currentAbi } from "./layout.ts";
import process from "node:process";

let adapterPromise: Promise<FfiAdapter> | undefined;

/** The FFI adapter of this runtime (loaded once, on first use). */
export function loadAdapter(): Promise<FfiAdapter> {
  adapterPromise ??= (async () => {
    const g = globalThis as { Bun?: unknown; Deno?: unknown };
    if (g.Bun !== undefined) return (await import("./bun.ts")).bunAdapter;
    if (g.Deno !== undefined) return (await import("./deno.ts")).denoAdapter;
    throw new TypeError("Cannot bind PKCS#11: this runtime is neither Bun nor Deno");
  })();
  return adapterPromise;
}

/** The ABI of the running platform. */
export function platformAbi(): Abi {
  return currentAbi(process.platform);
}
