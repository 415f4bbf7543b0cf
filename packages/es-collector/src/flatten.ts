/**
 * Walks a JSON response and yields every numeric leaf with its path. ES adds fields in every minor
 * version, so nothing here knows the full shape: numbers and booleans (as 0/1) are kept, strings are
 * skipped (human-readable duplicates such as `"size": "2.6kb"`), and arrays are either keyed by their
 * natural key or skipped when unbounded or meaningless as series.
 */
export interface Leaf {
  path: string[];
  value: number;
}

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
  /** Arrays with a natural key, by dotted path; any other array is skipped. */
  arrays?: Readonly<Record<string, ArrayKeyer>>;
  /** A value that means "unknown" for this path (OpenSearch/ES report cpu percent -1). */
  isUnknown?: (path: readonly string[], value: number) => boolean;
  /** Numeric strings to read as numbers (cgroup limits are strings because they may be "max"). */
  numericString?: (path: readonly string[]) => boolean;
}

const MAX_DEPTH = 12;

export function* numericLeaves(
  value: unknown,
  rules: FlattenRules = {},
  path: string[] = [],
): Generator<Leaf> {
  if (path.length > MAX_DEPTH) return;
  if (typeof value === 'number') {
    if (Number.isFinite(value) && !rules.isUnknown?.(path, value)) yield { path, value };
    return;
  }
  if (typeof value === 'boolean') {
    yield { path, value: value ? 1 : 0 };
    return;
  }
  if (typeof value === 'string') {
    if (/^-?\d+(\.\d+)?$/.test(value) && rules.numericString?.(path)) {
      const number = Number(value);
      // A cgroup "unlimited" is 2^63 rounded to a page; not a useful series.
      if (Number.isFinite(number) && Math.abs(number) < 2 ** 62) yield { path, value: number };
    }
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const dotted = path.join('.');
  if (Array.isArray(value)) {
    const keyer = rules.arrays?.[dotted];
    const keyed = keyer?.(value, path);
    if (!keyed) return;
    for (const [key, item] of keyed) yield* numericLeaves(item, rules, [...path, key]);
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    if (rules.skipKeys?.has(key)) continue;
    const childPath = [...path, key];
    if (rules.skipPaths?.has(childPath.join('.'))) continue;
    yield* numericLeaves(child, rules, childPath);
  }
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
