import assert from 'node:assert/strict';
import { DistinctNames, sanitizeSegment } from '@stoker/shared';

/** The dotted names `DistinctNames` gives these raw paths, in order. */
export function distinct(
  paths: readonly (readonly (string | number)[])[],
  sanitize = sanitizeSegment,
): string[] {
  const names = new DistinctNames(sanitize);
  for (const [i, path] of paths.entries()) names.add(path, i);
  const out: string[] = [];
  names.flush((raw, value) => {
    const name = String(raw);
    assert.equal(value, out.length, 'samples come out in the order they went in, with their values');
    for (const segment of name.split('.')) assert.equal(sanitize(segment), segment, 'already sanitised');
    out.push(name);
  });
  return out;
}

/** Every order of a short list. */
export function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}
