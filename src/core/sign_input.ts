/**
 * The input forms Layer-2 signing accepts (api §3.1): bytes, a string, or a stream of
 * chunks (iterable, async iterable, `ReadableStream`). Bytes sign as they are; streams are
 * hashed in constant memory and signed as a precomputed digest.
 *
 * @module
 */
import { concatBytes } from "./_bytes.ts";
import type { DigestInput } from "./digest.ts";

/** Whatever `signBytes` / `verifyBytes` accept as data. */
export type SignInput = DigestInput;

/** Bytes for a string or bytes input, `undefined` for a stream of chunks. */
export function wholeBytes(data: SignInput): Uint8Array | undefined {
  if (data instanceof Uint8Array) return data;
  if (typeof data === "string") return new TextEncoder().encode(data);
  return undefined;
}

/** Collects a stream of chunks into one buffer (for algorithms that cannot sign a digest). */
export async function collect(data: SignInput): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const push = (chunk: unknown) => {
    if (typeof chunk === "string") chunks.push(new TextEncoder().encode(chunk));
    else if (chunk instanceof Uint8Array) chunks.push(chunk);
    else throw new TypeError("Cannot sign: every chunk must be bytes or a string");
  };
  if (typeof ReadableStream !== "undefined" && data instanceof ReadableStream) {
    const reader = data.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      push(value);
    }
  } else if (data !== null && typeof data === "object" && Symbol.asyncIterator in data) {
    for await (const chunk of data as AsyncIterable<unknown>) push(chunk);
  } else if (data !== null && typeof data === "object" && Symbol.iterator in data) {
    for (const chunk of data as Iterable<unknown>) push(chunk);
  } else throw new TypeError("Cannot sign: expected bytes, a string or a stream of chunks");
  return concatBytes(chunks);
}
