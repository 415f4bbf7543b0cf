import { type SegmentSanitizer, sanitizeSegment, tellApart } from './segments.js';

/**
 * The names of leaf paths below a group's head (`jvm.mem.heap_used_in_bytes` below a node), kept
 * for the life of the process: the keys of a JSON answer repeat every cycle and on every node or
 * index, so each path is sanitised and dotted once, not once per sample. Walk it key by key
 * (`root.child('jvm').child('mem')...`, or `root.path([...])`); every step after the first visit is
 * one map lookup. Sibling keys that sanitise alike are told apart as `DistinctNames` does; once told
 * apart they stay so, so a series never moves back and forth.
 */
export class LeafNames {
  root: LeafName;
  /** Leaf names created; past `maxNames` the tree starts afresh (bounds memory against keys that never repeat). */
  size = 0;
  /** Lists of another tree's leaves, as found here (see `translate`). */
  private translated = new WeakMap<readonly LeafName[], readonly LeafName[]>();

  constructor(
    readonly sanitize: SegmentSanitizer = sanitizeSegment,
    readonly maxNames = 100_000,
  ) {
    this.root = new LeafName(this, undefined, '');
  }

  /**
   * The leaves at the same raw keys in this tree. Looked up once per list: a list read before its
   * cycle (an index's stats, in a tree of raw keys) is shared by every entity of the same shape.
   */
  translate(leaves: readonly LeafName[]): readonly LeafName[] {
    if (leaves.length === 0 || leaves[0]!.tree === this) return leaves;
    let own = this.translated.get(leaves);
    if (!own) {
      own = leaves.map((leaf) => this.root.path(leaf.keys));
      this.translated.set(leaves, own);
    }
    return own;
  }

  /** Forgets every name (a group keeps the leaves it already holds). */
  clear(): void {
    this.root = new LeafName(this, undefined, '');
    this.size = 0;
    this.translated = new WeakMap();
  }
}

const EMPTY_BYTES = Buffer.alloc(0);

/** One leaf path below a group's head; see `LeafNames`. */
export class LeafName {
  /** The raw keys from below the head down to here. */
  readonly keys: readonly string[];
  /** The raw keys joined with `.`: what rules keyed by dotted path look up. */
  readonly rawPath: string;
  /** This key's sanitised segment, told apart from look-alike siblings. */
  safe = '';
  /** The sanitised segments from below the head down to here, joined with `.`. */
  dotted = '';
  /** `dotted` as ASCII bytes, what a line is written from. */
  bytes: Buffer = EMPTY_BYTES;
  private children: Map<string, LeafName> | undefined;
  /** Children by the segment their raw key sanitises to (several when look-alikes met). */
  private bySafe: Map<string, LeafName[]> | undefined;

  constructor(
    readonly tree: LeafNames,
    readonly parent: LeafName | undefined,
    readonly raw: string,
  ) {
    this.keys = parent ? [...parent.keys, raw] : [];
    this.rawPath = parent?.parent ? `${parent.rawPath}.${raw}` : raw;
  }

  child(raw: string): LeafName {
    return this.children?.get(raw) ?? this.create(raw);
  }

  /** The leaf at these raw keys below this one. */
  path(keys: readonly (string | number)[]): LeafName {
    let leaf: LeafName = this;
    for (let i = 0; i < keys.length; i++) leaf = leaf.child(String(keys[i]!));
    return leaf;
  }

  /** The child whose segment is `safe`, if any (without creating one). */
  existingChild(safe: string): LeafName | undefined {
    return this.bySafe?.get(safe)?.find((child) => child.safe === safe);
  }

  childList(): Iterable<LeafName> {
    return this.children?.values() ?? [];
  }

  private create(raw: string): LeafName {
    if (this.tree.size >= this.tree.maxNames) this.tree.clear();
    this.tree.size++;
    const child = new LeafName(this.tree, this, raw);
    this.children ??= new Map();
    this.bySafe ??= new Map();
    this.children.set(raw, child);
    const base = this.tree.sanitize(raw);
    const alike = this.bySafe.get(base);
    if (!alike) {
      this.bySafe.set(base, [child]);
      child.rename(base);
      return child;
    }
    alike.push(child);
    const before = alike.map((each) => each.safe);
    const taken = new Set<string>();
    for (const sibling of this.children.values()) if (!alike.includes(sibling)) taken.add(sibling.safe);
    for (const key of this.bySafe.keys()) taken.add(key);
    const named = alike.map((each) => ({ raw: each.raw, safe: each.safe }));
    tellApart(named, base, base, taken);
    alike.forEach((each, i) => {
      if (each === child || named[i]!.safe !== before[i]) each.rename(named[i]!.safe);
    });
    return child;
  }

  /** Gives this key its segment and re-dots everything below it. */
  private rename(safe: string): void {
    this.safe = safe;
    const pending: LeafName[] = [this];
    for (let leaf = pending.pop(); leaf; leaf = pending.pop()) {
      leaf.dotted = leaf.parent?.parent ? `${leaf.parent.dotted}.${leaf.safe}` : leaf.safe;
      leaf.bytes = Buffer.from(leaf.dotted, 'latin1');
      for (const below of leaf.children?.values() ?? []) pending.push(below);
    }
  }
}
