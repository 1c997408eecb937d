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

/** `unknown key (did you mean "pinCallback"?)`, or the list of known keys when none is close. */
export function unknownKeyProblem(key: string, known: readonly string[]): string {
  const lower = key.toLowerCase();
  const close = known
    .map((name) => ({ name, distance: editDistance(lower, name.toLowerCase()) }))
    .filter(({ name, distance }) => distance <= Math.max(2, Math.floor(name.length / 4)))
    .sort((x, y) => x.distance - y.distance)[0];
  return close
    ? `unknown key (did you mean "${close.name}"?)`
    : `unknown key (known keys: ${known.join(", ")})`;
}
