/**
 * Metric names are built from segments that each pass through a sanitiser, so no input — a node
 * name, an index, a container label — can inject a second line (newline), split a line (space),
 * create a directory (`/`), a glob (`*`), a hidden whisper file (leading `.`) or an empty segment.
 */

/** Turns one raw value into a safe name segment. Must only ever return `[A-Za-z0-9_-]+`. */
export type SegmentSanitizer = (raw: string) => string;

/** Longest segment kept verbatim; whisper files are `<segment>.wsp` and filesystems stop at 255 bytes. */
export const MAX_SEGMENT_LENGTH = 120;

const SAFE_SEGMENT = /^[A-Za-z0-9_-]+$/;
const UNSAFE_CHARS = /[^A-Za-z0-9_-]/g;
const NON_WORD_RUNS = /[^a-z0-9_]+/g;

/** Default scheme: every character outside `[A-Za-z0-9_-]` becomes `_`; empty becomes `_`. */
export const sanitizeSegment: SegmentSanitizer = (raw) => {
  if (raw.length > 0 && raw.length <= MAX_SEGMENT_LENGTH && SAFE_SEGMENT.test(raw)) return raw;
  return shorten(raw, raw.replace(UNSAFE_CHARS, '_'));
};

/** es2graphite's scheme: lower-cased, each run of non-word characters turned into one `_`. */
export const lowerWordSanitizer: SegmentSanitizer = (raw) =>
  shorten(raw, raw.toLowerCase().replace(NON_WORD_RUNS, '_'));

function shorten(raw: string, safe: string): string {
  if (safe.length === 0) return '_';
  if (safe.length <= MAX_SEGMENT_LENGTH) return safe;
  // Keep distinct long inputs distinct: a prefix plus a hash of the whole raw value.
  return withHashSuffix(safe, raw);
}

function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Joins raw segments into a dotted name, sanitising each. */
export function joinSegments(
  segments: readonly (string | number)[],
  sanitize: SegmentSanitizer = sanitizeSegment,
): string {
  let name = '';
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const safe =
      typeof segment === 'number' && Number.isInteger(segment) && segment >= 0
        ? String(segment)
        : sanitize(String(segment));
    name = i === 0 ? safe : `${name}.${safe}`;
  }
  return name;
}

/** One raw segment of a cycle's names, with the segment it was given and the raw segments below it. */
interface NameNode {
  readonly raw: string;
  readonly parent: NameNode | undefined;
  safe: string;
  children: Map<string, NameNode> | undefined;
  /** The samples of a group whose head is this node (see `DistinctNames.group`). */
  group: LeafGroup | undefined;
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
 * head is named here like any path, once per cycle, and the leaves below it by a `LeafNames` tree
 * that names each leaf path once for the life of the process, so no per-sample path is kept.
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

  constructor(private readonly sanitize: SegmentSanitizer = sanitizeSegment) {}

  /** Records one sample: raw segments (as for `Cycle.emit`) and its value. */
  add(segments: readonly (string | number)[], value: unknown): void {
    this.order.push(this.node(segments));
    this.values.push(value);
  }

  /**
   * The group of samples under `head` (the same group for the same raw head within a cycle). Its
   * leaves are named by `leafNames`; every group of a cycle under one head must use the same tree.
   */
  group(head: readonly (string | number)[], leafNames: LeafNames): LeafGroup {
    const node = this.node(head);
    if (node.group) {
      if (node.group.leafNames !== leafNames) throw new Error(`two leaf trees under ${head.join('.')}`);
      return node.group;
    }
    node.group = new LeafGroup(leafNames);
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
      if (value === GROUP) {
        const head = Buffer.from(entry.parent ? `${dottedName(entry)}.` : '', 'latin1');
        const { runs } = entry.group!;
        while (this.runCursor < runs.length && budget > 0) {
          const { leaves, values } = runs[this.runCursor]!;
          const end = Math.min(leaves.length, this.leafCursor + budget);
          for (let i = this.leafCursor; i < end; i++) emit(head, values[i], leaves[i]!.bytes);
          budget -= end - this.leafCursor;
          this.leafCursor = end;
          if (end < leaves.length) break;
          this.runCursor++;
          this.leafCursor = 0;
        }
        if (this.runCursor < runs.length) break;
        this.runCursor = 0;
      } else {
        emit(dottedName(entry), value);
        budget--;
      }
      this.cursor++;
    }
    return this.cursor >= this.order.length;
  }

  /** Names every raw segment of the cycle (group heads included), once, before the first sample goes out. */
  private prepare(): void {
    this.prepared = true;
    const pending: NameNode[] = [this.root];
    for (let node = pending.pop(); node; node = pending.pop()) {
      if (!node.children) continue;
      assignSegments(node.children, this.sanitize, node.group?.leafNames.root);
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
  return { raw, parent, safe: '', children: undefined, group: undefined };
}

function dottedName(node: NameNode): string {
  let name = node.safe;
  for (let up = node.parent; up?.parent; up = up.parent) name = `${up.safe}.${name}`;
  return name;
}

/** Leaves of a group with their values, index by index. */
export interface LeafRun {
  readonly leaves: readonly LeafName[];
  readonly values: readonly number[];
}

/** The samples of one group: a leaf of its `LeafNames` tree and a value each, nothing per sample else. */
export class LeafGroup {
  /** In the order added. */
  readonly runs: LeafRun[] = [];
  /** The run `add` appends to (the last one, when it was made by `add`). */
  private own: { leaves: LeafName[]; values: number[] } | undefined;

  constructor(readonly leafNames: LeafNames) {}

  add(leaf: LeafName, value: number): void {
    if (!this.own) {
      this.own = { leaves: [], values: [] };
      this.runs.push(this.own);
    }
    this.own.leaves.push(leaf);
    this.own.values.push(value);
  }

  /**
   * Adds many samples at once, as given (not copied: neither array may change afterwards). An
   * entity read into arrays (an index's stats, whose leaves it shares with every index alike) costs
   * nothing per sample here.
   */
  addRun(run: LeafRun): void {
    this.runs.push(run);
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

/**
 * Names raw values that all sanitise to `safe`: the one whose raw value is `keeper` keeps `safe`
 * (normally `safe` itself: a name already safe never moves), each other one gets a hash suffix,
 * sorted by raw value so even a clash between two suffixes resolves the same way whatever the
 * order. `taken`: names in use beside them; gains the names given.
 */
function tellApart(
  alike: readonly { readonly raw: string; safe: string }[],
  safe: string,
  keeper: string,
  taken: Set<string>,
): void {
  const renamed = alike.filter((each) => each.raw !== keeper);
  renamed.sort((a, b) => (a.raw < b.raw ? -1 : a.raw > b.raw ? 1 : 0));
  for (const each of alike) each.safe = safe;
  for (const each of renamed) {
    let candidate: string;
    let attempt = 0;
    do {
      candidate = withHashSuffix(safe, attempt === 0 ? each.raw : `${each.raw}\u0000${attempt}`);
      attempt++;
    } while (taken.has(candidate));
    taken.add(candidate);
    each.safe = candidate;
  }
}

/** `safe` (cut to leave room) plus `_` and 8 lower-case hex digits of a hash of `raw`. */
function withHashSuffix(safe: string, raw: string): string {
  return `${safe.slice(0, MAX_SEGMENT_LENGTH - 9)}_${fnv1a32(raw).toString(16).padStart(8, '0')}`;
}

/**
 * The names of leaf paths below a group's head (`jvm.mem.heap_used_in_bytes` below a node), kept
 * for the life of the process: the keys of a JSON answer repeat every cycle and on every node or
 * index, so each path is sanitised and dotted once, not once per sample. Walk it key by key
 * (`root.child('jvm').child('mem')...`, or `path([...])`); every step after the first visit is one
 * map lookup. Sibling keys that sanitise alike are told apart as `DistinctNames` does; once told
 * apart they stay so, so a series never moves back and forth.
 */
export class LeafNames {
  root: LeafName;
  /** Leaf names created; past `maxNames` the tree starts afresh (bounds memory against keys that never repeat). */
  size = 0;

  constructor(
    readonly sanitize: SegmentSanitizer = sanitizeSegment,
    readonly maxNames = 100_000,
  ) {
    this.root = new LeafName(this, undefined, '');
  }

  /** The leaf at these raw keys below the head. */
  path(keys: readonly (string | number)[]): LeafName {
    let leaf = this.root;
    for (let i = 0; i < keys.length; i++) leaf = leaf.child(String(keys[i]!));
    return leaf;
  }

  /** Forgets every name (a group keeps the leaves it already holds). */
  clear(): void {
    this.root = new LeafName(this, undefined, '');
    this.size = 0;
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
    private readonly tree: LeafNames,
    readonly parent: LeafName | undefined,
    readonly raw: string,
  ) {
    this.keys = parent ? [...parent.keys, raw] : [];
    this.rawPath = parent?.parent ? `${parent.rawPath}.${raw}` : raw;
  }

  child(raw: string): LeafName {
    return this.children?.get(raw) ?? this.create(raw);
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

/** Splits a configured prefix such as `es.prod` into sanitised segments; an empty prefix is allowed. */
export function parsePrefix(prefix: string): string[] {
  return prefix === '' ? [] : prefix.split('.').map((part) => sanitizeSegment(part));
}

// Graphite 1.1 tags: names may not hold `;!^=`, values may not hold `;` or start with `~`, neither may be
// empty. Whitespace and non-ASCII are refused too: a space ends the name in the plaintext protocol.
const TAG_NAME = /^[\x21-\x7e]+$/;
const TAG_NAME_FORBIDDEN = /[;!^=]/;
const TAG_VALUE = /^[\x21-\x7e]+$/;

/** Checks one tag; returns what is wrong with it, or undefined when it is valid. */
export function tagProblem(name: string, value: string): string | undefined {
  if (!TAG_NAME.test(name) || TAG_NAME_FORBIDDEN.test(name)) {
    return `tag name "${name}" must be printable ASCII without spaces or any of ; ! ^ =`;
  }
  if (!TAG_VALUE.test(value) || value.includes(';') || value.startsWith('~')) {
    return `tag value "${value}" must be printable ASCII without spaces or ';', and not start with '~'`;
  }
  return undefined;
}

/** Renders validated tags as the `;k=v;k2=v2` suffix of a tagged series name. */
export function tagSuffix(tags: Readonly<Record<string, string>>): string {
  let suffix = '';
  for (const [name, value] of Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const problem = tagProblem(name, value);
    if (problem) throw new Error(problem);
    suffix += `;${name}=${value}`;
  }
  return suffix;
}
