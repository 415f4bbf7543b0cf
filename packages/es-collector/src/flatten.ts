import { type LeafName, LeafNames } from '@stoker/shared';

/**
 * Walks a JSON response and visits every numeric leaf with its path. ES adds fields in every minor
 * version, so nothing here knows the full shape: numbers and booleans (as 0/1) are kept, strings are
 * skipped (human-readable duplicates such as `"size": "2.6kb"`), and arrays are either keyed by their
 * natural key or skipped when unbounded or meaningless as series. Paths are `LeafName`s: a walk
 * builds no path of its own, so a million leaves cost a million map lookups and nothing more.
 */

/** How one array (found at a path) becomes keyed children; undefined skips the array. */
export type ArrayKeyer = (
  items: readonly unknown[],
  path: readonly string[],
) => Map<string, unknown> | undefined;

export interface FlattenRules {
  /** Keys dropped wherever they appear (timestamps of the sample, not metrics). */
  skipKeys?: ReadonlySet<string>;
  /** Dotted paths dropped with everything under them (`http.clients`, `attributes`). */
  skipPaths?: ReadonlySet<string>;
  /** Arrays with a natural key, by dotted path. */
  arrays?: Readonly<Record<string, ArrayKeyer>>;
  /** Any other array; skipped when unset. */
  otherArrays?: ArrayKeyer;
  /** A value that means "unknown" for this path (OpenSearch/ES report cpu percent -1). */
  isUnknown?: (path: readonly string[], value: number) => boolean;
  /** Numeric strings to read as numbers (cgroup limits are strings because they may be "max"). */
  numericString?: (path: readonly string[]) => boolean;
}

/** Leaves deeper than this below their head are cut (a hostile answer may nest without end). */
export const MAX_DEPTH = 12;
const NUMERIC = /^-?\d+(\.\d+)?$/;

export type LeafVisitor = (leaf: LeafName, value: number) => void;

/**
 * Visits every numeric leaf of `value` below `at` (the leaf name of `value` itself), but none below
 * an object or array `skips` (nothing there would be sent).
 */
export function forEachLeaf(
  value: unknown,
  rules: FlattenRules,
  at: LeafName,
  visit: LeafVisitor,
  skips?: (at: LeafName) => boolean,
): void {
  if (at.keys.length > MAX_DEPTH) return;
  if (typeof value === 'number') {
    if (Number.isFinite(value) && !rules.isUnknown?.(at.keys, value)) visit(at, value);
    return;
  }
  if (typeof value === 'boolean') {
    visit(at, value ? 1 : 0);
    return;
  }
  if (typeof value === 'string') {
    if (NUMERIC.test(value) && rules.numericString?.(at.keys)) {
      const number = Number(value);
      // A cgroup "unlimited" is 2^63 rounded to a page; not a useful series.
      if (Number.isFinite(number) && Math.abs(number) < 2 ** 62) visit(at, number);
    }
    return;
  }
  if (value === null || typeof value !== 'object' || skips?.(at)) return;
  if (Array.isArray(value)) {
    const keyer = rules.arrays?.[at.rawPath] ?? rules.otherArrays;
    const keyed = keyer?.(value, at.keys);
    if (!keyed) return;
    for (const [key, item] of keyed) forEachLeaf(item, rules, at.child(key), visit, skips);
    return;
  }
  const { skipKeys, skipPaths } = rules;
  for (const key in value) {
    if (skipKeys?.has(key)) continue;
    const child = at.child(key);
    if (skipPaths?.has(child.rawPath)) continue;
    forEachLeaf((value as Record<string, unknown>)[key], rules, child, visit, skips);
  }
}

/** Raw paths of the small answers (health, cluster stats): names are given later, by the naming scheme. */
const rawPaths = new LeafNames();

/** Every numeric leaf of a small answer, as raw path and value. */
export function numericLeaves(
  value: unknown,
  rules: FlattenRules = {},
): { path: readonly string[]; value: number }[] {
  const leaves: { path: readonly string[]; value: number }[] = [];
  forEachLeaf(value, rules, rawPaths.root, (leaf, number) => leaves.push({ path: leaf.keys, value: number }));
  return leaves;
}

/** Keys array items by a string field (`path` of fs.data, `device_name`...); duplicates get `_2`, `_3`. */
export function byField(field: string): ArrayKeyer {
  return (items) => {
    const keyed = new Map<string, unknown>();
    items.forEach((item, index) => {
      const raw = item && typeof item === 'object' ? (item as Record<string, unknown>)[field] : undefined;
      const base = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : String(index);
      let key = base;
      for (let n = 2; keyed.has(key); n++) key = `${base}_${n}`;
      keyed.set(key, item);
    });
    return keyed;
  };
}

/**
 * Keys array items by their position (`0`, `1`...), as es2graphite did with every list it had no
 * rule for. A list inside a list gave es2graphite no number (it only walked one level), so neither
 * does it here.
 */
export const byPosition: ArrayKeyer = (items) => {
  const keyed = new Map<string, unknown>();
  items.forEach((item, index) => {
    if (!Array.isArray(item)) keyed.set(String(index), item);
  });
  return keyed;
};

/** Reads a nested value without trusting the shape. */
export function at(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export function numberAt(value: unknown, ...path: string[]): number | undefined {
  const found = at(value, ...path);
  return typeof found === 'number' && Number.isFinite(found) ? found : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
