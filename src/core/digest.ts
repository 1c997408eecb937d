/**
 * The canonical hash of an algorithm (api §3.1 `digest` / `digestStream`). Streams are
 * hashed chunk by chunk with `node:crypto`, so a multi-GB input takes constant memory.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import type { AlgorithmRegistry } from "./algorithms/types.ts";
import { createAlgorithmRegistry } from "./algorithms/registry.ts";

/** Bytes, text (hashed as UTF-8), chunks, or a stream of chunks. */
export type DigestInput =
  | Uint8Array
  | string
  | Iterable<Uint8Array | string>
  | AsyncIterable<Uint8Array | string>
  | ReadableStream<Uint8Array>;

const DEFAULT_REGISTRY = createAlgorithmRegistry();

/** Options of {@linkcode digest} and {@linkcode digestStream}. */
export interface DigestOptions {
  /** The registry the alg is looked up in (default: the built-ins). */
  algorithms?: AlgorithmRegistry;
}

function startHash(alg: string, algorithms: AlgorithmRegistry): Hash {
  const algorithm = algorithms.get(alg);
  if (!algorithm) throw new RangeError(`Cannot hash for unknown algorithm "${alg}"`);
  if (algorithm.hash === "none") {
    throw new RangeError(`Cannot hash for ${alg}: it signs the message, not a digest`);
  }
  return createHash(algorithm.hash);
}

function update(hash: Hash, chunk: unknown): void {
  if (typeof chunk === "string" || chunk instanceof Uint8Array) {
    hash.update(chunk);
  } else {
    throw new TypeError("Cannot hash a chunk that is neither a Uint8Array nor a string");
  }
}

/**
 * Hashes bytes, a string, or an iterable of chunks with the hash of `alg` (PS256 → SHA-256).
 *
 * @throws {RangeError} when the alg is unknown or has no hash (EdDSA).
 * @throws {TypeError} when the input is not bytes, a string or an iterable of them.
 *
 * @example
 * ```ts
 * import { digest } from "./digest.ts";
 * digest("hello", "PS256").length; // 32
 * ```
 */
export function digest(
  data: Uint8Array | string | Iterable<Uint8Array | string>,
  alg: string,
  opts: DigestOptions = {},
): Uint8Array {
  const hash = startHash(alg, opts.algorithms ?? DEFAULT_REGISTRY);
  if (typeof data === "string" || data instanceof Uint8Array) {
    update(hash, data);
  } else if (data !== null && typeof data === "object" && Symbol.iterator in data) {
    for (const chunk of data) update(hash, chunk);
  } else {
    throw new TypeError("Cannot hash: expected bytes, a string or an iterable of chunks");
  }
  return new Uint8Array(hash.digest());
}

/**
 * Hashes any {@linkcode DigestInput}, including async iterables and `ReadableStream`s, in
 * constant memory.
 *
 * @throws {RangeError} when the alg is unknown or has no hash.
 * @throws {TypeError} when the input or one of its chunks has the wrong type.
 */
export async function digestStream(
  input: DigestInput,
  alg: string,
  opts: DigestOptions = {},
): Promise<Uint8Array> {
  const hash = startHash(alg, opts.algorithms ?? DEFAULT_REGISTRY);
  if (typeof input === "string" || input instanceof Uint8Array) {
    update(hash, input);
  } else if (typeof ReadableStream !== "undefined" && input instanceof ReadableStream) {
    const reader = input.getReader();
    try {
      for (let r = await reader.read(); !r.done; r = await reader.read()) update(hash, r.value);
    } finally {
      reader.releaseLock();
    }
  } else if (input !== null && typeof input === "object" && Symbol.asyncIterator in input) {
    for await (const chunk of input) update(hash, chunk);
  } else if (input !== null && typeof input === "object" && Symbol.iterator in input) {
    for (const chunk of input) update(hash, chunk);
  } else {
    throw new TypeError("Cannot hash: expected bytes, a string, chunks or a ReadableStream");
  }
  return new Uint8Array(hash.digest());
}
