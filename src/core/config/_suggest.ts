/** The problem text of an unknown configuration key, with a "did you mean" hint. @module */

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length];
}

/** The known key closest to `key`, if one is close enough to be a typo of it. */
function nearest(key: string, known: readonly string[]): string | undefined {
  if (key.length > 64) return undefined;
  const lower = key.toLowerCase();
  return known
    .map((name) => ({ name, distance: editDistance(lower, name.toLowerCase()) }))
    .filter(({ name, distance }) => distance <= Math.max(2, Math.floor(name.length / 4)))
    .sort((x, y) => x.distance - y.distance)[0]?.name;
}

/** `unknown key (did you mean "pinCallback"?)`, or the list of known keys when none is close. */
export function unknownKeyProblem(key: string, known: readonly string[]): string {
  const close = nearest(key, known);
  return close
    ? `unknown key (did you mean "${close}"?)`
    : `unknown key (known keys: ${known.join(", ")})`;
}
