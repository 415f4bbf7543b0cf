import { isRecord } from './flatten.js';

/**
 * Keeps per-index cardinality bounded: include/exclude globs on real index names, then daily/hourly
 * indices summed into one series per base name, then only the largest N (by store size) emitted.
 */
export interface IndexSelectionOptions {
  /** Globs (`*`, `?`); empty means every index. */
  include: readonly string[];
  exclude: readonly string[];
  rollup: boolean;
  /**
   * Keep at most this many (after rollup), largest store first; 0 emits no per-index series;
   * `Infinity` (the es2graphite schemes' default) keeps every index.
   */
  top: number;
}

export const DEFAULT_INDEX_SELECTION: IndexSelectionOptions = {
  include: [],
  exclude: [],
  rollup: true,
  top: 100,
};

export function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

function indexFilter(options: Pick<IndexSelectionOptions, 'include' | 'exclude'>): (name: string) => boolean {
  const include = options.include.map(globToRegExp);
  const exclude = options.exclude.map(globToRegExp);
  return (name) =>
    (include.length === 0 || include.some((re) => re.test(name))) && !exclude.some((re) => re.test(name));
}

// A date stamp at the end of a name: 2026.11.26, 2026-11-26, 2026_11_26, 2026.11, 2026.11.26.13 (hourly),
// 20261126, optionally followed by a rollover generation (-000001, as in data stream backing indices).
const DATE_SUFFIX = /^(.+?)[-_.]?(?:\d{4}[-_.]\d{2}(?:[-_.]\d{2}(?:[-_.]\d{2})?)?|\d{8})(?:-\d{6})?$/;
// An ILM rollover generation alone: logs-000042.
const ROLLOVER_SUFFIX = /^(.+?)-\d{6}$/;

/** The name a date-stamped (or rolled-over) index is summed into; other names are unchanged. */
export function rollupName(index: string): string {
  const dated = DATE_SUFFIX.exec(index);
  if (dated?.[1] && /[^-_.]/.test(dated[1])) return dated[1].replace(/[-_.]+$/, '');
  const rolled = ROLLOVER_SUFFIX.exec(index);
  if (rolled?.[1]) return rolled[1];
  return index;
}

// Fields that are not additive across indices: an average, a percent, a high-water mark, an age.
const NON_ADDITIVE = /(^avg_|_percent$|^max_|timestamp|_age$|^earliest_)/;

/** Two indices' values of one leaf (`key`) in their rollup: summed, or the larger when not additive. */
export function mergeLeaf(key: string, a: number, b: number): number {
  return NON_ADDITIVE.test(key) ? Math.max(a, b) : a + b;
}

/** Sums two stats trees leaf by leaf (non-additive leaves take the larger value). */
export function mergeStats(a: unknown, b: unknown, key = ''): unknown {
  if (typeof a === 'number' && typeof b === 'number') return mergeLeaf(key, a, b);
  if (isRecord(a) && isRecord(b)) {
    const merged: Record<string, unknown> = { ...a };
    for (const [child, value] of Object.entries(b))
      merged[child] = child in a ? mergeStats(a[child], value, child) : value;
    return merged;
  }
  return a ?? b;
}

/** The name an index is reported under (after rollup), or undefined when the globs leave it out. */
export function reportedName(options: IndexSelectionOptions): (index: string) => string | undefined {
  const accept = indexFilter(options);
  return (index) => (accept(index) ? (options.rollup ? rollupName(index) : index) : undefined);
}

/** Indices under the names they are reported as, the members of a rollup merged into one. */
export function groupIndices<T>(
  indices: Iterable<readonly [string, T]>,
  reportAs: (index: string) => string | undefined,
  merge: (a: T, b: T) => T,
): { grouped: Map<string, T>; reportedAs: Map<string, string> } {
  const grouped = new Map<string, T>();
  const reportedAs = new Map<string, string>();
  for (const [name, stats] of indices) {
    const target = reportAs(name);
    if (target === undefined) continue;
    reportedAs.set(name, target);
    const before = grouped.get(target);
    grouped.set(target, before === undefined ? stats : merge(before, stats));
  }
  return { grouped, reportedAs };
}

export interface IndexSelection<T> {
  kept: Map<string, T>;
  /** Indices (after rollup) left out by the top-N cap. */
  dropped: number;
  /** Real index name → the name it is reported under (for per-index health). */
  reportedAs: Map<string, string>;
}

/** Filtered, rolled up (`merge`), then the `top` largest (`sizeBytes`) kept. */
export function selectIndices<T>(
  indices: ReadonlyMap<string, T>,
  options: IndexSelectionOptions,
  merge: (a: T, b: T) => T,
  sizeBytes: (stats: T) => number,
): IndexSelection<T> {
  const { grouped, reportedAs } = groupIndices(indices, reportedName(options), merge);
  const ranked = [...grouped].sort(
    ([nameA, a], [nameB, b]) => sizeBytes(b) - sizeBytes(a) || (nameA < nameB ? -1 : 1),
  );
  const kept = new Map(ranked.slice(0, Math.max(0, options.top)));
  for (const [name, target] of reportedAs) if (!kept.has(target)) reportedAs.delete(name);
  return { kept, dropped: ranked.length - kept.size, reportedAs };
}
