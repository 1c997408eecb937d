/**
 * A bounded least-recently-used memo of parsed certificates, keyed by their exact encoding
 * (the DER bytes as a latin1 string, or an `x5c` entry's base64 text). Verifiers see the same
 * few signer certificates on every call, and one parse costs milliseconds; a hit costs a map
 * lookup. Only successful parses are stored, and the key is the whole encoding, so two
 * different certificates can never share an entry.
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** A bounded LRU from an encoding to the value parsed from it. */
export interface ParseCache<T> {
  /** The value parsed from exactly `key`, or `undefined`; a hit becomes the most recent. */
  get(key: string): T | undefined;
  /** Remembers `value` for `key` (ignored when `key` is over the length limit). */
  set(key: string, value: T): void;
  /** How many entries are held. */
  readonly size: number;
}

/** Limits of {@linkcode createParseCache}. */
export interface ParseCacheLimits {
  /** The most entries kept (the least recently used goes first). */
  maxEntries: number;
  /** Longer keys are never stored, so the memo stays within maxEntries × maxKeyLength. */
  maxKeyLength: number;
}

/** The cache key of DER bytes: one latin1 character per byte. */
export function derKey(der: Uint8Array): string {
  return Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("latin1");
}

/** Makes an empty {@linkcode ParseCache}. */
export function createParseCache<T>(limits: ParseCacheLimits): ParseCache<T> {
  const { maxEntries, maxKeyLength } = limits;
  if (
    !Number.isInteger(maxEntries) || maxEntries < 0 || !Number.isInteger(maxKeyLength) ||
    maxKeyLength < 0
  ) {
    throw new RangeError("A parse cache needs whole, non-negative limits");
  }
  const entries = new Map<string, T>();
  return {
    get(key: string): T | undefined {
      const hit = entries.get(key);
      if (hit === undefined) return undefined;
      entries.delete(key);
      entries.set(key, hit);
      return hit;
    },
    set(key: string, value: T): void {
      if (key.length > maxKeyLength || maxEntries === 0) return;
      entries.delete(key);
      entries.set(key, value);
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
    get size(): number {
      return entries.size;
    },
  };
}
