/**
 * The known name closest to a mistyped one (`intervall` → `interval`, `timout` → `timeout`), first
 * of the closest in `known`'s order, or
 * undefined when none is close: a suggestion that is a guess would send the operator the wrong way.
 */
export function closestName(written: string, known: Iterable<string>): string | undefined {
  // One edit in three characters, at least one: `es-timeuot` (2 edits in 10) still finds `es-timeout`.
  const limit = Math.max(1, Math.floor(written.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  const typed = written.toLowerCase();
  for (const name of known) {
    const lower = name.toLowerCase();
    // A misspelt start of a longer name counts too, one edit dearer: `passwrod` → `password-env`.
    const distance = Math.min(
      editDistance(typed, lower),
      lower.length > typed.length ? editDistance(typed, lower.slice(0, typed.length)) + 1 : Infinity,
    );
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  return best;
}

/** Insertions, deletions, substitutions and swaps of neighbours (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      let distance = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        distance = Math.min(distance, beforePrevious[j - 2]! + 1);
      current.push(distance);
    }
    [beforePrevious, previous] = [previous, current];
  }
  return previous[b.length]!;
}
