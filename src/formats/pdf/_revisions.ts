/**
 * Revision boundaries: each `startxref … %%EOF` ends a revision (an incremental update).
 *
 * @module
 */
import { indexOfBytes } from "./_lexer.ts";
import type { Budget } from "./_limits.ts";

/** Where one revision of the file ends. */
export interface Revision {
  /** Offset just after `%%EOF`. */
  eofEnd: number;
  /** Offset after `%%EOF` and its end-of-line marker, if any. */
  end: number;
}

/** Finds every `%%EOF` that follows a `startxref`, in file order. */
export function findRevisions(bytes: Uint8Array, budget: Budget): Revision[] {
  const out: Revision[] = [];
  let from = 0;
  for (;;) {
    const at = indexOfBytes(bytes, "%%EOF", from);
    budget.tick(((at < 0 ? bytes.length : at) - from) >>> 6);
    if (at < 0) return out;
    from = at + 5;
    if (indexOfBytes(bytes, "startxref", Math.max(0, at - 64), at) < 0) continue;
    let end = at + 5;
    if (bytes[end] === 13) end++;
    if (bytes[end] === 10) end++;
    out.push({ eofEnd: at + 5, end });
  }
}
