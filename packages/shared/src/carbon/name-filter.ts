import type { LeafName } from './leaf-names.js';
import type { SegmentSanitizer } from './segments.js';

/**
 * Globs on final metric names (`--include`, `--exclude`, a profile's list), in Graphite's own syntax
 * so a dashboard's target can be pasted as one: `*` any characters within a segment, `?` one, `[abc]`
 * a class, `{a,b.c}` alternatives, and `**` any number of whole segments (none included).
 */
export function globProblem(glob: string): string | undefined {
  if (glob.trim() === '') return 'an empty glob';
  let depth = 0;
  for (const char of glob) {
    if (char === '{') depth++;
    else if (char === '}' && --depth < 0) return `an unopened } in ${glob}`;
  }
  if (depth !== 0) return `an unclosed { in ${glob}`;
  if (/(^|\.)\.|\.$/.test(glob.replace(/\{[^{}]*\}/g, 'x'))) return `an empty segment in ${glob}`;
  return undefined;
}

/** Marks `**` among a pattern's segment matchers. */
const ANY_SEGMENTS = Symbol('**');
type Segment = SegmentMatcher | typeof ANY_SEGMENTS;

/**
 * A segment of a name not known yet (an index's or a node's name, before the answer that lists them),
 * for asking whether anything can be sent below a name (`NameFilterState.dead`): it may be any
 * segment but those in `except` (names asked about on their own, such as `_all`).
 */
export class UnknownSegment {
  constructor(readonly except: readonly string[] = []) {}
}
export const ANY_SEGMENT = new UnknownSegment();

/** `a.{b,c.d}` → `a.b`, `a.c.d` (the first outermost braces, then the rest recursively). */
function expandBraces(glob: string): string[] {
  const open = glob.indexOf('{');
  if (open < 0) return [glob];
  let depth = 0;
  let close = open;
  const cuts: number[] = [];
  for (let i = open; i < glob.length; i++) {
    if (glob[i] === '{') depth++;
    else if (glob[i] === '}' && --depth === 0) {
      close = i;
      break;
    } else if (glob[i] === ',' && depth === 1) cuts.push(i);
  }
  const bounds = [open, ...cuts, close];
  const head = glob.slice(0, open);
  const tail = glob.slice(close + 1);
  return bounds
    .slice(0, -1)
    .flatMap((from, i) => expandBraces(`${head}${glob.slice(from + 1, bounds[i + 1])}${tail}`));
}

/** One segment of a glob, other than `**`. */
interface SegmentMatcher {
  readonly regex: RegExp;
  /** The segment it matches, when it matches one only (no `*`, `?` or `[`). */
  readonly literal?: string;
  /** Whether it matches every segment (`*`). */
  readonly matchesAll: boolean;
}

function segmentMatcher(segment: string): Segment {
  if (segment === '**') return ANY_SEGMENTS;
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const char = segment[i]!;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const end = segment.indexOf(']', i + 1);
      if (end < 0) source += '\\[';
      else {
        source += `[${segment.slice(i + 1, end).replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else source += char.replace(/[.+^$(){}|\\]/g, '\\$&');
  }
  return {
    regex: new RegExp(`^${source}$`),
    ...(/[*?[]/.test(segment) ? {} : { literal: segment }),
    matchesAll: /^\*+$/.test(segment),
  };
}

/**
 * Whether `segment` passes `matcher`. An unknown segment passes an include's matcher when it may (any
 * matcher but a literal it cannot be), an exclude's only when it must (`*`): see `NameFilterState.dead`.
 */
function passes(matcher: SegmentMatcher, segment: string | UnknownSegment, include: boolean): boolean {
  if (typeof segment === 'string') return matcher.regex.test(segment);
  if (!include) return matcher.matchesAll;
  return matcher.literal === undefined || !segment.except.includes(matcher.literal);
}

/** A glob as one or more lists of segment matchers (one per brace alternative). */
function compile(glob: string): Segment[][] {
  return expandBraces(glob).map((one) => one.split('.').map(segmentMatcher));
}

interface Pattern {
  readonly segments: readonly Segment[];
  readonly include: boolean;
}

/** Cap on the names remembered per state, against names that never repeat (a new index each hour). */
const MAX_MEMO = 50_000;

/**
 * Where every pattern stands after some leading segments of a name: which of its positions are still
 * alive. States are interned, and each remembers the state after each segment and after each leaf
 * below it, so deciding a sample costs one lookup once its name has been seen: a series left out
 * costs neither a line nor a name.
 */
export class NameFilterState {
  /** Whether a name ending here is sent: some include matches (or there is none), no exclude does. */
  readonly keep: boolean;
  /**
   * Whether no name here or below can be sent: no include can match any more, or an exclude that
   * ends in `**` matches already. Past an `UnknownSegment`, an include counts as alive when it may
   * match, an exclude as matching only when it must, so a name something may be sent below is
   * never dead.
   */
  readonly dead: boolean;
  private readonly afterSegment = new Map<string, NameFilterState>();
  private afterLeaf = new WeakMap<LeafName, NameFilterState>();
  private leavesMemoised = 0;

  constructor(
    private readonly filter: NameFilter,
    /** Per pattern, its live positions (sorted, after skipping any `**` that may match nothing). */
    readonly positions: readonly (readonly number[])[],
  ) {
    const ends = (include: boolean) =>
      filter.patterns.some(
        (pattern, i) => pattern.include === include && positions[i]!.includes(pattern.segments.length),
      );
    this.keep = (!filter.hasIncludes || ends(true)) && !ends(false);
    const coversBelow = (segments: readonly Segment[], position: number) =>
      position < segments.length && segments.slice(position).every((each) => each === ANY_SEGMENTS);
    this.dead =
      (filter.hasIncludes &&
        filter.patterns.every((pattern, i) => !pattern.include || positions[i]!.length === 0)) ||
      filter.patterns.some(
        (pattern, i) =>
          !pattern.include && positions[i]!.some((position) => coversBelow(pattern.segments, position)),
      );
  }

  /** The state after one more (sanitised) segment. */
  next(segment: string | UnknownSegment): NameFilterState {
    // Asked a few times a cycle, of a few states: not remembered.
    if (segment instanceof UnknownSegment) return this.filter.step(this, segment);
    let state = this.afterSegment.get(segment);
    if (!state) {
      if (this.afterSegment.size >= MAX_MEMO) this.afterSegment.clear();
      state = this.filter.step(this, segment);
      this.afterSegment.set(segment, state);
    }
    return state;
  }

  /** The state after a group's leaf (its sanitised segments below the head). */
  leaf(leaf: LeafName): NameFilterState {
    if (!leaf.parent) return this;
    let state = this.afterLeaf.get(leaf);
    if (!state) {
      if (++this.leavesMemoised > MAX_MEMO) {
        this.afterLeaf = new WeakMap();
        this.leavesMemoised = 0;
      }
      state = this.leaf(leaf.parent).next(leaf.safe);
      this.afterLeaf.set(leaf, state);
    }
    return state;
  }
}

/**
 * The series budget: which final names (prefix included, tags not) are sent. Include globs keep only
 * the names they match (none given: every name); exclude globs then drop names, whatever included them.
 */
export class NameFilter {
  readonly patterns: Pattern[];
  readonly hasIncludes: boolean;
  /** The state before any segment, and after the prefix (where every name of the agent starts). */
  private readonly initial: NameFilterState;
  readonly start: NameFilterState;
  private readonly states = new Map<string, NameFilterState>();

  constructor(options: {
    include: readonly string[];
    exclude: readonly string[];
    prefix: readonly string[];
  }) {
    const patterns = (globs: readonly string[], include: boolean) =>
      globs.flatMap((glob) => compile(glob).map((segments) => ({ segments, include })));
    this.patterns = [...patterns(options.include, true), ...patterns(options.exclude, false)];
    this.hasIncludes = options.include.length > 0;
    this.initial = this.intern(this.patterns.map((pattern) => this.skipAny(pattern, [0])));
    this.start = this.walk(this.initial, options.prefix);
  }

  /** The state after `segments` (sanitised) from `from`. */
  walk(from: NameFilterState, segments: readonly (string | UnknownSegment)[]): NameFilterState {
    let state = from;
    for (const segment of segments) state = state.next(segment);
    return state;
  }

  step(state: NameFilterState, segment: string | UnknownSegment): NameFilterState {
    return this.intern(
      this.patterns.map((pattern, i) => {
        const after: number[] = [];
        for (const position of state.positions[i]!) {
          const matcher = pattern.segments[position];
          if (matcher === ANY_SEGMENTS) after.push(position);
          else if (matcher && passes(matcher, segment, pattern.include)) after.push(position + 1);
        }
        return this.skipAny(pattern, after);
      }),
    );
  }

  /** Adds the positions past each `**` at a live position (`**` may match no segment). */
  private skipAny(pattern: Pattern, positions: number[]): number[] {
    const all = new Set(positions);
    for (const position of all) if (pattern.segments[position] === ANY_SEGMENTS) all.add(position + 1);
    return [...all].sort((a, b) => a - b);
  }

  private intern(positions: number[][]): NameFilterState {
    const key = positions.map((list) => list.join(',')).join(';');
    let state = this.states.get(key);
    if (!state) {
      state = new NameFilterState(this, positions);
      this.states.set(key, state);
    }
    return state;
  }

  /**
   * Whether any name after the prefix that starts with `segments` (raw: each sanitised here, as
   * names are) can be sent, an `UnknownSegment` standing for a name not known yet.
   */
  sendsBelow(segments: readonly (string | number | UnknownSegment)[], sanitize: SegmentSanitizer): boolean {
    const safe = segments.map((each) => (each instanceof UnknownSegment ? each : sanitize(String(each))));
    return !this.walk(this.start, safe).dead;
  }

  /** Whether one whole dotted name (prefix included) is sent: for tests and tools. */
  keeps(name: string): boolean {
    return this.walk(this.initial, name.split('.')).keep;
  }
}

/**
 * A list of globs from a flag, a file or a comma-separated variable: commas inside braces belong to
 * the glob (`a.{b,c}`), only the others separate globs.
 */
export function splitGlobs(raw: unknown): string[] | { problem: string } {
  const items = Array.isArray(raw) ? raw : [raw];
  const globs: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string') return { problem: 'a glob (a string)' };
    let depth = 0;
    let start = 0;
    for (let i = 0; i <= item.length; i++) {
      const char = item[i];
      if (char === '{') depth++;
      else if (char === '}') depth--;
      else if (i === item.length || (char === ',' && depth === 0)) {
        const glob = item.slice(start, i).trim();
        const problem = globProblem(glob);
        if (problem) return { problem: `globs of metric names (${problem})` };
        globs.push(glob);
        start = i + 1;
      }
    }
  }
  return globs;
}
