/**
 * Copies handed to callers (signatures, digests) in never-used arrays made in batches.
 *
 * Deno backs every new typed array, however small, with its own `malloc`'d store: one
 * allocation per signature, interleaved with the driver's own, cost ≈ 7 % of a P-256 signature
 * on SoftHSM2, and ≈ 1 µs of the main thread per answer from a slot worker. Made together, 256
 * at a time, they cost ≈ 1–3 % (bench/README.md). Each copy still owns an `ArrayBuffer` of
 * exactly its length, never shared and never handed out twice.
 *
 * @module
 */

/** Copies up to this size come from batches; larger ones are plain `slice()`s. */
const MAX_BYTES = 1024;
/** A batch holds up to this many copies, and at most `BATCH_BYTES` of them. */
const BATCH = 256;
const BATCH_BYTES = 64 * 1024;

/** A source of caller-owned copies (one per owner: a session, a worker's proxy). */
export class FreshCopies {
  /** Never-used arrays by length. */
  readonly #fresh = new Map<number, Uint8Array[]>();

  /** A copy of `view` in its own `ArrayBuffer` of exactly `view.length` bytes. */
  copy(view: Uint8Array): Uint8Array {
    const length = view.length;
    if (length > MAX_BYTES) return view.slice();
    let batch = this.#fresh.get(length);
    if (batch === undefined || batch.length === 0) {
      const count = Math.min(BATCH, Math.floor(BATCH_BYTES / Math.max(length, 1)));
      batch = Array.from({ length: count }, () => new Uint8Array(length));
      this.#fresh.set(length, batch);
    }
    const out = batch.pop()!;
    out.set(view);
    return out;
  }
}
