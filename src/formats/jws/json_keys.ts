/**
 * One pass over JSON text for what `JSON.parse` does not report: duplicate member names and
 * how deeply containers nest. `JSON.parse` keeps the last of two equal names silently, which
 * lets a header say `"alg":"PS256"` to one reader and `"alg":"none"` to another; RFC 7515 §4
 * requires such a header to be rejected. Names are compared after unescaping (`"alg"` and
 * `"\u0061lg"` are the same name). The depth lets a caller refuse a value that recursive code
 * (freezing, copying) would overflow the stack on.
 *
 * @module
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** What {@linkcode scanJson} found. */
export interface JsonScan {
  /** The first member name that occurs twice in one object, if any (the scan stops there). */
  duplicateKey: string | undefined;
  /** The deepest nesting of objects and arrays scanned (0 for a scalar, 1 for `{}`). */
  depth: number;
}

/** Scans valid JSON `text` for duplicate member names and its nesting depth. */
export function scanJson(text: string): JsonScan {
  // One frame per open container: the names seen so far, or null for an array.
  const frames: (Set<string> | null)[] = [];
  let expectKey = false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x7b /* { */ || ch === 0x5b /* [ */) {
      frames.push(ch === 0x7b ? new Set() : null);
      expectKey = ch === 0x7b;
      depth = Math.max(depth, frames.length);
    } else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
      frames.pop();
      expectKey = false;
    } else if (ch === 0x2c /* , */) {
      expectKey = frames[frames.length - 1] instanceof Set;
    } else if (ch === QUOTE) {
      const end = stringEnd(text, i);
      const names = frames[frames.length - 1];
      if (expectKey && names) {
        const raw = text.slice(i + 1, end);
        const name = raw.includes("\\") ? JSON.parse(text.slice(i, end + 1)) as string : raw;
        if (names.has(name)) return { duplicateKey: name, depth };
        names.add(name);
      }
      expectKey = false;
      i = end;
    }
  }
  return { duplicateKey: undefined, depth };
}

/** The index of the closing quote of the string literal that opens at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start;
  for (;;) {
    i = text.indexOf('"', i + 1);
    if (i < 0) return text.length - 1;
    // The quote closes the string unless an odd number of backslashes escapes it.
    let slashes = 0;
    while (text.charCodeAt(i - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return i;
  }
}
