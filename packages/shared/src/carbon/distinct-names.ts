import { type LeafName, LeafNames } from './leaf-names.js';
import type { NameFilter, NameFilterState } from './name-filter.js';
import { type SegmentSanitizer, sanitizeSegment, tellApart } from './segments.js';

/** One raw segment of a cycle's names, with the segment it was given and the raw segments below it. */
interface NameNode {
  readonly raw: string;
  readonly parent: NameNode | undefined;
  safe: string;
  children: Map<string, NameNode> | undefined;
  /** The samples of a group whose head is this node (see `DistinctNames.group`). */
  group: LeafGroup | undefined;
  /** Where the series budget stands after this node's name (see `NameFilter`), once named. */
  filterState: NameFilterState | undefined;
}

/**
 * One cycle's samples, named so that distinct raw names never share a series. Sanitising alone maps
 * `data.1` and `data_1`, or `ノード` and `节点点`, to one segment, and two sources would then write
 * into one whisper file. Here every raw segment is sanitised as usual; only where several distinct raw
 * segments under the same parent (one scope: the nodes of a cluster, the indices, the containers of a
 * host, the values of a label) come out alike in this cycle are they told apart:
 *
 * - the one whose raw value already is the sanitised segment (`data_1`) keeps it, so a name an
 *   operator typed and graphs never moves because a look-alike appeared;
 * - each other one gets `_` and 8 hex digits of a hash of its raw value appended (`data_1_8c3d0a1f`),
 *   the same in every cycle and whatever order the names came in.
 *
 * Names that collide with nothing stay exactly as `joinSegments` makes them. Every segment handed on
 * is already sanitised and left alone by `sanitize`.
 *
 * Many samples under one head (a node's hundreds of stats, an index's) go into a `LeafGroup`: the
 * head is named here like any path, once per cycle, and the leaves below it by `leafNames`, a tree
 * that names each leaf path once for the life of the process (the runtime keeps one per job), so
 * no per-sample path is kept.
 */
export class DistinctNames {
  private readonly root: NameNode = newNode('', undefined);
  /** In the order added: a sample's leaf node with its value, or a group's head (value `GROUP`). */
  private readonly order: NameNode[] = [];
  private readonly values: unknown[] = [];
  private prepared = false;
  /** Where `drain` goes on: index into `order`, into the current group's runs, and into that run. */
  private cursor = 0;
  private runCursor = 0;
  private leafCursor = 0;

  constructor(
    private readonly sanitize: SegmentSanitizer = sanitizeSegment,
    private readonly leafNames = new LeafNames(sanitize),
    /** The series budget: samples whose final name it leaves out are never handed on. */
    private readonly filter?: NameFilter,
  ) {}

  /** Records one sample: raw segments (as for `Cycle.emit`) and its value. */
  add(segments: readonly (string | number)[], value: unknown): void {
    this.order.push(this.node(segments));
    this.values.push(value);
  }

  /** The group of samples under `head` (the same group for the same raw head within a cycle). */
  group(head: readonly (string | number)[]): LeafGroup {
    const node = this.node(head);
    if (node.group) return node.group;
    node.group = new LeafGroup(this.leafNames);
    this.order.push(node);
    this.values.push(GROUP);
    return node.group;
  }

  private node(segments: readonly (string | number)[]): NameNode {
    let node = this.root;
    for (let i = 0; i < segments.length; i++) {
      const raw = String(segments[i]!);
      node.children ??= new Map();
      let child = node.children.get(raw);
      if (!child) {
        child = newNode(raw, node);
        node.children.set(raw, child);
      }
      node = child;
    }
    return node;
  }

  /**
   * Hands every sample on, in the order added, with its sanitised, dotted name: `name`, or `name`
   * then `leaf` for a sample of a group (its head's name with a trailing dot, and its leaf's).
   */
  flush(emit: NamedSample): void {
    while (!this.drain(emit, Number.POSITIVE_INFINITY));
  }

  /**
   * Hands on up to `maxSamples` more samples (as `flush`); true once all are out. Lets a caller
   * pass a big cycle to the sender in slices and give the socket a turn in between.
   */
  drain(emit: NamedSample, maxSamples: number): boolean {
    if (!this.prepared) this.prepare();
    let budget = maxSamples;
    while (this.cursor < this.order.length && budget > 0) {
      const entry = this.order[this.cursor]!;
      const value = this.values[this.cursor];
      const state = this.filter ? this.filterState(entry, this.filter) : undefined;
      if (value === GROUP) {
        const head = Buffer.from(entry.parent ? `${dottedName(entry)}.` : '', 'latin1');
        const { runs } = entry.group!;
        while (this.runCursor < runs.length && budget > 0) {
          const { leaves, values } = runs[this.runCursor]!;
          const end = Math.min(leaves.length, this.leafCursor + budget);
          if (state) {
            for (let i = this.leafCursor; i < end; i++) {
              const leaf = leaves[i]!;
              if (state.leaf(leaf).keep) emit(head, values[i], leaf.bytes);
            }
          } else for (let i = this.leafCursor; i < end; i++) emit(head, values[i], leaves[i]!.bytes);
          budget -= end - this.leafCursor;
          this.leafCursor = end;
          if (end < leaves.length) break;
          this.runCursor++;
          this.leafCursor = 0;
        }
        if (this.runCursor < runs.length) break;
        this.runCursor = 0;
      } else {
        if (!state || state.keep) emit(dottedName(entry), value);
        budget--;
      }
      this.cursor++;
    }
    return this.cursor >= this.order.length;
  }

  /** The budget's state after a (named) node's name, found from its parent's. */
  private filterState(node: NameNode, filter: NameFilter): NameFilterState {
    if (!node.filterState)
      node.filterState = node.parent ? this.filterState(node.parent, filter).next(node.safe) : filter.start;
    return node.filterState;
  }

  /** Names every raw segment of the cycle (group heads included), once, before the first sample goes out. */
  private prepare(): void {
    this.prepared = true;
    const pending: NameNode[] = [this.root];
    for (let node = pending.pop(); node; node = pending.pop()) {
      if (!node.children) continue;
      assignSegments(node.children, this.sanitize, node.group ? this.leafNames.root : undefined);
      for (const child of node.children.values()) pending.push(child);
    }
  }
}

/**
 * A sample named by `DistinctNames`: its dotted name is `name` followed by `leaf`, ASCII (what
 * `LineBatch.addBytes` takes). A group's head and leaves come as bytes, encoded once for all their
 * samples; a lone sample's name as text, written out once.
 */
export type NamedSample = (name: Buffer | string, value: unknown, leaf?: Buffer) => void;

/** Marks a group's place in `DistinctNames.order`. */
const GROUP = Symbol('group');

function newNode(raw: string, parent: NameNode | undefined): NameNode {
  return { raw, parent, safe: '', children: undefined, group: undefined, filterState: undefined };
}

function dottedName(node: NameNode): string {
  let name = node.safe;
  for (let up = node.parent; up?.parent; up = up.parent) name = `${up.safe}.${name}`;
  return name;
}

/** Leaves of a group with their values, index by index. */
interface LeafRun {
  readonly leaves: readonly LeafName[];
  readonly values: readonly number[];
}

/** The samples of one group: a leaf of the job's leaf names and a value each, nothing per sample else. */
export class LeafGroup {
  /** In the order added. */
  readonly runs: LeafRun[] = [];
  /** The run `add` appends to (the last one, when it was made by `add`). */
  private own: { leaves: LeafName[]; values: number[] } | undefined;

  constructor(private readonly leafNames: LeafNames) {}

  /** The head itself: walk it key by key (`root.child('jvm').child('mem')`, `root.path([...])`) to each leaf to `add`. */
  get root(): LeafName {
    return this.leafNames.root;
  }

  /** One sample; `leaf` is best found from `root` (a leaf of another tree is looked up by its keys). */
  add(leaf: LeafName, value: number): void {
    const own = leaf.tree === this.leafNames ? leaf : this.leafNames.root.path(leaf.keys);
    if (!this.own) {
      this.own = { leaves: [], values: [] };
      this.runs.push(this.own);
    }
    this.own.leaves.push(own);
    this.own.values.push(value);
  }

  /**
   * Adds many samples at once, `values[i]` at `leaves[i]`, as given (not copied: neither array may
   * change afterwards). An entity read into arrays before its cycle (an index's stats, its leaves
   * from a tree of raw keys and shared with every index alike) costs nothing per sample here: its
   * leaves are looked up in the job's leaf names once per list (`LeafNames.translate`).
   */
  addRun(leaves: readonly LeafName[], values: readonly number[]): void {
    this.runs.push({ leaves: this.leafNames.translate(leaves), values });
    this.own = undefined;
  }

  /** Samples in the group. */
  get size(): number {
    let size = 0;
    for (const run of this.runs) size += run.leaves.length;
    return size;
  }
}

/**
 * Sanitises the raw segments of one scope, telling apart those that come out alike (see
 * `DistinctNames`). `reserved`: the leaf tree of a group whose head is this scope's parent; its
 * top-level leaves sit beside these segments, so a segment that only looks like one of them is
 * told apart too.
 */
function assignSegments(
  children: ReadonlyMap<string, NameNode>,
  sanitize: SegmentSanitizer,
  reserved?: LeafName,
): void {
  const bySafe = new Map<string, NameNode[]>();
  for (const child of children.values()) {
    child.safe = sanitize(child.raw);
    const alike = bySafe.get(child.safe);
    if (alike) alike.push(child);
    else bySafe.set(child.safe, [child]);
  }
  if (bySafe.size === children.size && !reserved) return;
  const clashes: [NameNode[], string][] = [];
  for (const [safe, alike] of bySafe) {
    // A leaf of the group beside these segments keeps its name: only its own raw key may share it.
    const leaf = reserved?.existingChild(safe);
    if (alike.length > 1 || (leaf && leaf.raw !== alike[0]!.raw)) clashes.push([alike, leaf?.raw ?? safe]);
  }
  if (clashes.length === 0) return;
  const taken = new Set(bySafe.keys());
  for (const leaf of reserved?.childList() ?? []) taken.add(leaf.safe);
  for (const [alike, keeper] of clashes) tellApart(alike, alike[0]!.safe, keeper, taken);
}
