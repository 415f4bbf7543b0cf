import { LeafName, LeafNames } from '@stoker/shared';
import { MAX_DEPTH } from '../flatten.js';
import { mergeLeaf, selectIndices } from '../index-selection.js';
import { type JsonHandler, JsonWalk } from '../json-walk.js';
import type { LeafSink, Sample, StatsTree } from '../samples.js';
import type { EsApi } from './api.js';
import { shapeMajor } from './root.js';

/**
 * `GET /_all/_stats` (`/_stats` on 0.90, where the per-index map sits inside `_all`):
 * `{"_shards": ..., "_all": {"primaries": ..., "total": ...}, "indices": {"<name>": {"primaries":
 * ..., "total": ...}}}`, each of primaries and total a tree of sections (docs, store, indexing,
 * search, ...), sent as `indices.<index>.primaries|total.*` (and `indices._all.*`) for the indices
 * `--indices-*` select (index-selection.ts); `?level=cluster` (`_all` alone) when the series budget
 * sends no other index's series. The biggest answer there is (tens of megabytes on a
 * cluster with thousands of indices), so it is read as it arrives (`IndicesStatsReader`), never
 * parsed whole: each index keeps its numbers in one array, in the order of its `LeafShape`, which it
 * shares with every other index whose keys came in the same order (all of them, usually).
 */
export const indicesStats: EsApi<ParsedIndicesStats> = {
  name: 'indices_stats',
  clusterWide: true,
  path: (version, options) =>
    shapeMajor(version) < 1
      ? '/_stats'
      : options.allIndicesOnly
        ? '/_all/_stats?level=cluster'
        : '/_all/_stats',
  reader: () => new IndicesStatsReader(),
  map(parsed, context) {
    if (!parsed?.all) throw new Error('_stats: expected {"_all": {...}}');
    const samples: Sample[] = [{ kind: 'index', index: '_all', stats: parsed.all }];
    const selection = selectIndices(parsed.indices, context.options.indices, mergeIndexStats, storeSizeBytes);
    for (const [index, stats] of selection.kept) samples.push({ kind: 'index', index, stats });
    context.reportedAs = selection.reportedAs;
    return { samples, collector: { indices_dropped: selection.dropped } };
  },
};

/** The leaf paths of one or more indices' stats, in order. */
class LeafShape {
  private positions: Map<string, number> | undefined;

  constructor(readonly leaves: readonly LeafName[]) {}

  /** Where the leaf with this raw dotted path (`total.store.size_in_bytes`) is, if there is one. */
  position(rawPath: string): number | undefined {
    this.positions ??= new Map(this.leaves.map((leaf, i) => [leaf.rawPath, i]));
    return this.positions.get(rawPath);
  }
}

/** One index's (or `_all`'s) primaries and total: a number per leaf of `shape`, in its order. */
export class IndexStats implements StatsTree {
  constructor(
    readonly shape: LeafShape,
    readonly values: readonly number[],
  ) {}

  /** One run: the shape's raw leaves (the group names them once per shape) and the values. */
  walk(sink: LeafSink): void {
    sink.addRun(this.shape.leaves, this.values);
  }
}

export interface ParsedIndicesStats {
  /** Undefined when the answer has no `_all` (not an index stats answer: the mapping says so). */
  all: IndexStats | undefined;
  indices: Map<string, IndexStats>;
}

/** Keys below primaries/total that are not stats (the 0.90 per-index map, level=shards, ids). */
const SKIP_KEYS: ReadonlySet<string> = new Set(['indices', 'shards', 'uuid']);

/**
 * Raw leaf paths as read (a cycle's groups look them up in the job's leaf names, once per shape).
 * Kept for the life of the process, like the keys themselves.
 */
const rawLeaves = new LeafNames();

const EMPTY_SHAPE = new LeafShape([]);

/** One index entry being read: follows the shape of the entry before it until it departs from it. */
class EntryReader {
  readonly values: number[] = [];
  private matched = 0;
  /** The entry's own leaves, once it departed from `expected`. */
  private leaves: LeafName[] | undefined;
  /** Nodes whose key came again, with how many values came before: those under them are void. */
  private voided: Map<LeafName, number> | undefined;

  constructor(
    readonly name: string,
    /** The map the entry goes into when read; undefined for `_all`. */
    readonly into: Map<string, IndexStats> | undefined,
    private readonly expected: LeafShape,
  ) {}

  get isAll(): boolean {
    return this.into === undefined;
  }

  add(leaf: LeafName, value: number): void {
    if (!this.leaves) {
      if (this.expected.leaves[this.matched] === leaf) {
        this.values.push(value);
        this.matched++;
        return;
      }
      this.leaves = this.expected.leaves.slice(0, this.matched);
    }
    this.leaves.push(leaf);
    this.values.push(value);
  }

  /** The key of `node` came again: what was read under it is void (JSON.parse keeps the last value, whole). */
  repeated(node: LeafName): void {
    this.leaves ??= this.expected.leaves.slice(0, this.matched);
    this.voided ??= new Map();
    this.voided.set(node, this.values.length);
  }

  finish(): IndexStats {
    const { expected, matched, leaves, voided } = this;
    if (!leaves)
      return new IndexStats(
        matched === expected.leaves.length ? expected : new LeafShape(expected.leaves.slice(0, matched)),
        this.values,
      );
    if (!voided) return new IndexStats(new LeafShape(leaves), this.values);
    const kept: LeafName[] = [];
    const values: number[] = [];
    leaves.forEach((leaf, i) => {
      for (let node: LeafName | undefined = leaf; node; node = node.parent)
        if (i < (voided.get(node) ?? 0)) return;
      kept.push(leaf);
      values.push(this.values[i]!);
    });
    return new IndexStats(new LeafShape(kept), values);
  }
}

const TOP = Symbol('top');
const INDICES = Symbol('indices');
const ALL_INDICES = Symbol('_all.indices');
type Context = typeof TOP | typeof INDICES | typeof ALL_INDICES | EntryReader | LeafName;

/** Reads an index stats answer chunk by chunk (see the top of this file). */
export class IndicesStatsReader implements JsonHandler<Context> {
  private readonly walk = new JsonWalk<Context>(this, TOP);
  private all: IndexStats | undefined;
  /** The top-level `indices`, once met; `_all.indices` (0.90) counts only without it. */
  private indices: Map<string, IndexStats> | undefined;
  private readonly allIndices = new Map<string, IndexStats>();
  /** Entries open, innermost last (an index inside `_all` on 0.90). */
  private readonly open: EntryReader[] = [];
  private lastShape = EMPTY_SHAPE;

  write(chunk: Uint8Array): void {
    this.walk.write(chunk);
  }

  end(): ParsedIndicesStats {
    this.walk.end();
    return { all: this.all, indices: this.indices ?? this.allIndices };
  }

  object(parent: Context, key: string): Context | undefined {
    if (parent instanceof EntryReader) {
      if (key === 'primaries' || key === 'total') return rawLeaves.root.child(key);
      return key === 'indices' && parent.isAll ? ALL_INDICES : undefined;
    }
    if (parent === TOP) {
      if (key === '_all') return this.entry(key, undefined);
      if (key !== 'indices') return undefined;
      this.indices = new Map();
      return INDICES;
    }
    if (parent === INDICES) return this.entry(key, this.indices);
    if (parent === ALL_INDICES) return this.entry(key, this.allIndices);
    if (SKIP_KEYS.has(key)) return undefined;
    const child = parent.child(key);
    return child.keys.length > MAX_DEPTH ? undefined : child;
  }

  number(parent: Context, key: string, value: number): void {
    if (!(parent instanceof LeafName) || SKIP_KEYS.has(key)) return;
    const leaf = parent.child(key);
    if (leaf.keys.length <= MAX_DEPTH) this.open[this.open.length - 1]!.add(leaf, value);
  }

  /** A key given twice: what its earlier value gave goes, as JSON.parse keeps only the last value. */
  repeated(parent: Context, key: string): void {
    if (parent instanceof LeafName) this.open[this.open.length - 1]!.repeated(parent.child(key));
    else if (parent instanceof EntryReader) {
      if (key === 'primaries' || key === 'total') parent.repeated(rawLeaves.root.child(key));
      else if (key === 'indices' && parent.isAll) this.allIndices.clear();
    } else if (parent === TOP) {
      if (key === '_all') {
        this.all = undefined;
        this.allIndices.clear();
      } else if (key === 'indices') this.indices = undefined;
    } else (parent === INDICES ? this.indices : this.allIndices)?.delete(key);
  }

  close(context: Context): void {
    if (!(context instanceof EntryReader)) return;
    this.open.pop();
    const stats = context.finish();
    this.lastShape = stats.shape;
    if (context.into) context.into.set(context.name, stats);
    else this.all = stats;
  }

  private entry(name: string, into: Map<string, IndexStats> | undefined): EntryReader {
    const entry = new EntryReader(name, into, this.lastShape);
    this.open.push(entry);
    return entry;
  }
}

/** The value of one leaf (`total.docs.count`), if the index has it. */
export function indexValue(stats: IndexStats, rawPath: string): number | undefined {
  const at = stats.shape.position(rawPath);
  return at === undefined ? undefined : stats.values[at];
}

export function storeSizeBytes(stats: IndexStats): number {
  return (
    indexValue(stats, 'total.store.size_in_bytes') ?? indexValue(stats, 'primaries.store.size_in_bytes') ?? 0
  );
}

/** Sums two indices' stats leaf by leaf, for a rollup (non-additive leaves take the larger value). */
export function mergeIndexStats(a: IndexStats, b: IndexStats): IndexStats {
  const leaves = [...a.shape.leaves];
  const values = [...a.values];
  b.shape.leaves.forEach((leaf, i) => {
    const at = a.shape === b.shape ? i : a.shape.position(leaf.rawPath);
    if (at === undefined) {
      leaves.push(leaf);
      values.push(b.values[i]!);
    } else {
      values[at] = mergeLeaf(leaf.raw, values[at]!, b.values[i]!);
    }
  });
  return new IndexStats(leaves.length === a.shape.leaves.length ? a.shape : new LeafShape(leaves), values);
}
