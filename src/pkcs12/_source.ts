/** Reads a bundle from a path or takes its bytes, refusing empty and oversized input. @module */
import { readFile, stat } from "node:fs/promises";
import { invalid } from "./_errors.ts";

/** Bundles larger than this are refused (real ones are a few kilobytes). */
export const MAX_BUNDLE_BYTES = 16 * 1024 * 1024;

function checkSize(size: number): void {
  if (size === 0) throw invalid("the bundle is empty", "empty");
  if (size > MAX_BUNDLE_BYTES) {
    throw invalid(`the bundle exceeds ${MAX_BUNDLE_BYTES} bytes`, "too_large");
  }
}

/**
 * The bundle bytes of `source`: a file path, or the bytes themselves.
 *
 * @throws {Pkcs11exError} `p12_invalid` when the file cannot be read, is empty or too large.
 * @throws {TypeError} when `source` is neither a string nor a Uint8Array.
 */
export async function readSource(source: string | Uint8Array): Promise<Uint8Array> {
  if (source instanceof Uint8Array) {
    checkSize(source.length);
    return source;
  }
  if (typeof source !== "string") {
    throw new TypeError("Cannot load the PKCS#12 bundle: source must be a path or bytes");
  }
  let bytes: Uint8Array;
  try {
    const info = await stat(source);
    if (!info.isFile()) throw Object.assign(new Error("not a regular file"), { code: "ENOTFILE" });
    checkSize(info.size);
    bytes = new Uint8Array(await readFile(source));
  } catch (err) {
    if ((err as { reason?: string }).reason === "p12_invalid") throw err;
    const code = (err as { code?: unknown }).code;
    throw invalid(`cannot read the file (${String(code ?? "error")})`, "unreadable", err);
  }
  checkSize(bytes.length);
  return bytes;
}
