/**
 * Finds duplicate member names in JSON text. `JSON.parse` keeps the last of two equal names
 * silently, which lets a header say `"alg":"PS256"` to one reader and `"alg":"none"` to
 * another; RFC 7515 §4 requires such a header to be rejected. Names are compared after
 * unescaping (`"alg"` and `"\u0061lg"` are the same name).
 *
 * @module
 */

/** Returns the first member name that occurs twice in one object of valid JSON `text`. */
export function findDuplicateKey(text: string): string | undefined {
  // One frame per open container: the names seen so far, or null for an array.
  const frames: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "{") {
      frames.push(new Set());
      expectKey = true;
    } else if (ch === "[") {
      frames.push(null);
      expectKey = false;
    } else if (ch === "}" || ch === "]") {
      frames.pop();
      expectKey = false;
    } else if (ch === ",") {
      expectKey = frames[frames.length - 1] instanceof Set;
    } else if (ch === '"') {
      const end = stringEnd(text, i);
      const names = frames[frames.length - 1];
      if (expectKey && names) {
        const name = JSON.parse(text.slice(i, end + 1)) as string;
        if (names.has(name)) return name;
        names.add(name);
      }
      expectKey = false;
      i = end;
    }
  }
  return undefined;
}

/** The index of the closing quote of the string literal that opens at `start`. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i;
  }
  return text.length - 1;
}
