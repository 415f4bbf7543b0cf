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
 * is already sanitised and left alone by `sanitize`, so the runtime's own sanitising keeps it.
 */
export class DistinctNames {
  private readonly root: NameNode = { raw: '', parent: undefined, safe: '', children: undefined };
  private readonly leaves: NameNode[] = [];
  private readonly values: unknown[] = [];

  constructor(private readonly sanitize: SegmentSanitizer = sanitizeSegment) {}

  /** Records one sample: raw segments (as for `Cycle.emit`) and its value. */
  add(segments: readonly (string | number)[], value: unknown): void {
    let node = this.root;
    for (let i = 0; i < segments.length; i++) {
      const raw = String(segments[i]!);
      node.children ??= new Map();
      let child = node.children.get(raw);
      if (!child) {
        child = { raw, parent: node, safe: '', children: undefined };
        node.children.set(raw, child);
      }
      node = child;
    }
    this.leaves.push(node);
    this.values.push(value);
  }

  /** Hands every sample on, in the order added, with its sanitised and disambiguated segments. */
  flush(emit: (segments: string[], value: unknown) => void): void {
    const pending: NameNode[] = [this.root];
    for (let node = pending.pop(); node; node = pending.pop()) {
      if (!node.children) continue;
      assignSegments(node.children, this.sanitize);
      for (const child of node.children.values()) pending.push(child);
    }
    for (let i = 0; i < this.leaves.length; i++) {
      const segments: string[] = [];
      for (let node = this.leaves[i]!; node.parent; node = node.parent) segments.push(node.safe);
      emit(segments.reverse(), this.values[i]);
    }
  }
}

/** Sanitises the raw segments of one scope, telling apart those that come out alike (see `DistinctNames`). */
function assignSegments(children: ReadonlyMap<string, NameNode>, sanitize: SegmentSanitizer): void {
  const bySafe = new Map<string, NameNode[]>();
  for (const child of children.values()) {
    child.safe = sanitize(child.raw);
    const alike = bySafe.get(child.safe);
    if (alike) alike.push(child);
    else bySafe.set(child.safe, [child]);
  }
  if (bySafe.size === children.size) return;
  const renamed: NameNode[] = [];
  for (const [safe, alike] of bySafe) {
    if (alike.length > 1) for (const child of alike) if (child.raw !== safe) renamed.push(child);
  }
  // Sorted by raw value, so even a clash between two suffixes resolves the same way every cycle.
  renamed.sort((a, b) => (a.raw < b.raw ? -1 : a.raw > b.raw ? 1 : 0));
  const taken = new Set(bySafe.keys());
  for (const child of renamed) {
    let candidate: string;
    let attempt = 0;
    do {
      candidate = withHashSuffix(child.safe, attempt === 0 ? child.raw : `${child.raw}\u0000${attempt}`);
      attempt++;
    } while (taken.has(candidate));
    taken.add(candidate);
    child.safe = candidate;
  }
}

/** `safe` (cut to leave room) plus `_` and 8 lower-case hex digits of a hash of `raw`. */
function withHashSuffix(safe: string, raw: string): string {
  return `${safe.slice(0, MAX_SEGMENT_LENGTH - 9)}_${fnv1a32(raw).toString(16).padStart(8, '0')}`;
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
