import { LeafName, LeafNames } from '@stoker/shared';
import { MAX_DEPTH } from '../flatten.js';
import { type JsonHandler, JsonWalk } from '../json-walk.js';
import type { Sample } from '../samples.js';
import { type EsVersion, shapeMajor } from './root.js';

/**
 * `GET /_all/_stats` (`/_stats` on 0.90, where the per-index map sits inside `_all`):
 * `{"_shards": ..., "_all": {"primaries": ..., "total": ...}, "indices": {"<name>": {"primaries":
 * ..., "total": ...}}}`, each of primaries and total a tree of sections (docs, store, indexing,
 * search, ...). The biggest answer there is (tens of megabytes on a cluster with thousands of
 * indices), so it is read as it arrives (`IndicesStatsReader`), never parsed whole: each index
 * keeps its numbers in one array, in the order of its `LeafShape`, which it shares with every other
 * index whose keys came in the same order (all of them, usually).
 */
export function indicesStatsPath(version: EsVersion): string {
  return shapeMajor(version) < 1 ? '/_stats' : '/_all/_stats';
}

/** The leaf paths of one or more indices' stats, in order. */
export class LeafShape {
  private positions: Map<string, number> | undefined;

  constructor(readonly leaves: readonly LeafName[]) {}

  /** Where the leaf with this raw dotted path (`total.store.size_in_bytes`) is, if there is one. */
  position(rawPath: string): number | undefined {
    this.positions ??= new Map(this.leaves.map((leaf, i) => [leaf.rawPath, i]));
    return this.positions.get(rawPath);
  }
}

/** One index's (or `_all`'s) primaries and total: a number per leaf of `shape`, in its order. */
export interface IndexStats {
  readonly shape: LeafShape;
  readonly values: readonly number[];
}

export interface ParsedIndicesStats {
  /** Undefined when the answer has no `_all` (not an index stats answer: `mapResponses` says so). */
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
  private seen: Map<LeafName, number> | undefined;

  constructor(
    readonly name: string,
    readonly isAll: boolean,
    private readonly expected: LeafShape,
  ) {}

  add(leaf: LeafName, value: number): void {
    if (!this.leaves) {
      if (this.expected.leaves[this.matched] === leaf) {
        this.values.push(value);
        this.matched++;
        return;
      }
      this.leaves = this.expected.leaves.slice(0, this.matched);
      this.seen = new Map(this.leaves.map((each, i) => [each, i]));
    }
    const at = this.seen!.get(leaf);
    // A key given twice: the last value counts, as with JSON.parse.
    if (at !== undefined) {
      this.values[at] = value;
      return;
    }
    this.seen!.set(leaf, this.leaves.length);
    this.leaves.push(leaf);
    this.values.push(value);
  }

  finish(): IndexStats {
    const { expected, matched } = this;
    const shape = this.leaves
      ? new LeafShape(this.leaves)
      : matched === expected.leaves.length
        ? expected
        : new LeafShape(expected.leaves.slice(0, matched));
    return { shape, values: this.values };
  }
}

const TOP = Symbol('top');
const INDICES = Symbol('indices');
type Context = typeof TOP | typeof INDICES | EntryReader | LeafName;

/** Reads an index stats answer chunk by chunk (see the top of this file). */
export class IndicesStatsReader implements JsonHandler<Context> {
  private readonly walk = new JsonWalk<Context>(this, TOP);
  private all: IndexStats | undefined;
  private readonly indices = new Map<string, IndexStats>();
  /** Entries open, innermost last (an index inside `_all` on 0.90). */
  private readonly open: EntryReader[] = [];
  private lastShape = EMPTY_SHAPE;

  write(chunk: Uint8Array): void {
    this.walk.write(chunk);
  }

  end(): ParsedIndicesStats {
    this.walk.end();
    return { all: this.all, indices: this.indices };
  }

  object(parent: Context, key: string): Context | undefined {
    if (parent instanceof EntryReader) {
      if (key === 'primaries' || key === 'total') return rawLeaves.root.child(key);
      return key === 'indices' && parent.isAll ? INDICES : undefined;
    }
    if (parent === TOP) {
      if (key === '_all') return this.entry(key, true);
      return key === 'indices' ? INDICES : undefined;
    }
    if (parent === INDICES) return this.entry(key, false);
    if (SKIP_KEYS.has(key)) return undefined;
    const child = parent.child(key);
    return child.keys.length > MAX_DEPTH ? undefined : child;
  }

  number(parent: Context, key: string, value: number): void {
    if (!(parent instanceof LeafName) || SKIP_KEYS.has(key)) return;
    const leaf = parent.child(key);
    if (leaf.keys.length <= MAX_DEPTH) this.open[this.open.length - 1]!.add(leaf, value);
  }

  close(context: Context): void {
    if (!(context instanceof EntryReader)) return;
    this.open.pop();
    const stats = context.finish();
    this.lastShape = stats.shape;
    if (context.isAll) this.all = stats;
    else this.indices.set(context.name, stats);
  }

  private entry(name: string, isAll: boolean): EntryReader {
    const entry = new EntryReader(name, isAll, this.lastShape);
    this.open.push(entry);
    return entry;
  }
}

/** A whole index stats answer at once (recorded bodies in tests and tools). */
export function readIndicesStats(body: Uint8Array | string): ParsedIndicesStats {
  const reader = new IndicesStatsReader();
  reader.write(typeof body === 'string' ? Buffer.from(body) : body);
  return reader.end();
}

export function mapIndexStats(index: string, stats: IndexStats): Sample {
  return { kind: 'index', index, stats };
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
