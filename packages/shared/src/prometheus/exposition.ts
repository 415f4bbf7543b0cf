/**
 * One scrape's worth of Prometheus series, rendered as the text format 0.0.4 or OpenMetrics 1.0.
 * Samples are grouped by family (both formats want a family's samples together, after its HELP and
 * TYPE) and kept as numbers (whose labels, which leaf series, the value) until a format is asked
 * for: the two formats differ only in family headers and the closing `# EOF`. Label values are
 * escaped, never sanitised, so hostile names (quotes, backslashes, newlines, any unicode) stay
 * distinct and the exposition always parses.
 */

/** A summary here is only `_sum` and `_count` (elasticsearch_exporter's GC time), never quantiles. */
export type FamilyType = 'counter' | 'gauge' | 'summary';

export interface Family {
  /** As it appears on sample lines: a counter's ends in `_total` unless a peer's name says otherwise. */
  readonly name: string;
  readonly type: FamilyType;
  readonly help: string;
}

/** Label pairs in the order they are written. */
export type Labels = readonly (readonly [string, string])[];

export type ExpositionFormat = 'text' | 'openmetrics';

export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/** OpenMetrics only when the scraper asks for it (Prometheus does, with a q-value, when enabled). */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  return accept?.includes('application/openmetrics-text') ? 'openmetrics' : 'text';
}

/**
 * The series one leaf writes for every entity of a scope: its family, its labels beyond the
 * entity's (rendered) and a summary's `_sum`/`_count` suffix. Made once per leaf (`SeriesScope`),
 * with the text around an entity's labels made once too: a render then only joins references.
 */
export class LeafSeries {
  /** `name{` before an entity's labels, `,labels} ` after them; `name ` for a sample with no labels. */
  readonly open: string;
  readonly close: string;
  readonly bare: string;

  constructor(
    readonly family: Family,
    readonly labels: string,
    readonly suffix: string,
    readonly scope: SeriesScope | undefined,
  ) {
    this.open = `${family.name}${suffix}{`;
    this.close = labels === '' ? '} ' : `,${labels}} `;
    this.bare = `${family.name}${suffix} `;
  }

  /** The same series with more labels after its own (the entity's own detail, such as a mount). */
  withLabels(more: string): LeafSeries {
    return new LeafSeries(this.family, joinLabelText(this.labels, more), this.suffix, this.scope);
  }
}

/**
 * One kind of entity with many samples each (an ES node under Stoker's names, the same node under
 * the exporter's, an index): a sample's series is unique when its leaf's series is unique in the
 * scope (checked here, once per leaf for the life of the process, first leaf wins) and its entity's
 * labels are unique in the exposition (`Exposition.claimEntity`). A million samples then need no
 * per-sample duplicate check, the check that used to cost as much as the rest of a render.
 */
export class SeriesScope {
  /** Series key → the leaf (its raw path) that writes it. */
  private readonly claimed = new Map<string, string>();

  constructor(
    readonly name: string,
    /** Past this many series the claims start afresh (raw paths that never repeat: node ids). */
    private readonly maxClaims = 200_000,
  ) {}

  /**
   * The series of the leaf at raw path `source`, or undefined when another leaf of this scope
   * already writes it. Keyed by the raw path, not the leaf object: a leaf tree that starts afresh
   * (`LeafNames.maxNames`) makes new objects for the same leaves, which keep their series.
   */
  leaf(source: string, family: Family, labels: string, suffix = ''): LeafSeries | undefined {
    const key = `${family.name}${suffix}{${labels}}`;
    const owner = this.claimed.get(key);
    if (owner !== undefined && owner !== source) return undefined;
    if (owner === undefined) {
      if (this.claimed.size >= this.maxClaims) this.claimed.clear();
      this.claimed.set(key, source);
    }
    return new LeafSeries(family, labels, suffix, this);
  }
}

/**
 * A family's samples, kept as numbers until rendered: which entity (its labels, in `Exposition.heads`),
 * which leaf series (in `Exposition.leafList`) and the value. Typed arrays, because a million samples
 * in JavaScript arrays were copied by every young-generation collection while a render built them
 * (about a fifth of a scrape's CPU).
 */
interface FamilySamples {
  readonly family: Family;
  /** Who writes this family: one scope, or the checked `add` (undefined). Anybody else is refused. */
  readonly scope: SeriesScope | undefined;
  count: number;
  heads: Int32Array;
  leaves: Int32Array;
  values: Float64Array;
  /** For `add`: the family's series with no labels of their own, by suffix (the labels go as the head). */
  readonly plain: Map<string, LeafSeries>;
}

/** Rendered text is encoded in pieces of about this many characters (a whole 100 MiB string would be held twice). */
const CHUNK_CHARS = 1 << 16;

export class Exposition {
  private readonly families = new Map<string, FamilySamples>();
  /** `name{labels}` of every sample added through `add`: a repeated series would make Prometheus drop the sample. */
  private readonly seen = new Set<string>();
  private readonly entities = new Map<SeriesScope, Set<string>>();
  /** Label texts of entities (and of each `add`), by the number samples refer to them with. */
  private readonly heads: string[] = [];
  /** Leaf series used, by the number samples refer to them with. */
  private readonly leafList: LeafSeries[] = [];
  private readonly leafNumbers = new Map<LeafSeries, number>();
  private samples = 0;

  /** One sample of `family`; `suffix` picks a summary's `_sum` or `_count`. Non-finite values are skipped. */
  add(family: Family, labels: Labels, value: number, suffix = ''): void {
    this.addWithLabelText(family, labelText(labels), value, suffix);
  }

  /** As `add`, with the labels already rendered by `labelText` (joined with `,`). */
  addWithLabelText(family: Family, labels: string, value: number, suffix = ''): void {
    if (!Number.isFinite(value)) return;
    const entry = this.entry(family, undefined);
    if (!entry) return;
    const series = `${family.name}${suffix}{${labels}}`;
    if (this.seen.has(series)) return;
    this.seen.add(series);
    let plain = entry.plain.get(suffix);
    if (!plain) {
      plain = new LeafSeries(family, '', suffix, undefined);
      entry.plain.set(suffix, plain);
    }
    this.push(entry, this.heads.push(labels) - 1, this.leafNumber(plain), value);
  }

  /**
   * Starts the samples of one entity of `scope` whose own labels are `labels` (rendered): the number
   * its samples are added with, or undefined when an entity with the same labels was already added
   * (two clusters of one name), whose samples are then left out.
   */
  claimEntity(scope: SeriesScope, labels: string): number | undefined {
    let claimed = this.entities.get(scope);
    if (!claimed) {
      claimed = new Set();
      this.entities.set(scope, claimed);
    }
    if (claimed.has(labels)) return undefined;
    claimed.add(labels);
    return this.heads.push(labels) - 1;
  }

  /** One sample of a claimed entity (`entity` as `claimEntity` returned it). */
  addLeaf(series: LeafSeries, entity: number, value: number): void {
    if (!Number.isFinite(value)) return;
    const entry = this.entry(series.family, series.scope);
    if (entry) this.push(entry, entity, this.leafNumber(series), value);
  }

  get sampleCount(): number {
    return this.samples;
  }

  /** The exposition as text (tests, tools). */
  render(format: ExpositionFormat): string {
    return Buffer.concat([...this.renderChunks(format)]).toString();
  }

  /**
   * The exposition as UTF-8, in pieces to be written one after another (joining 100 MiB into one
   * buffer cost a third of a render, and nothing needs it whole); the caller may give the event loop
   * back between pieces.
   */
  *renderChunks(format: ExpositionFormat): Generator<Buffer> {
    const { heads: headTexts, leafList } = this;
    let pieces: string[] = [];
    let chars = 0;
    for (const { family, count, heads, leaves, values } of this.families.values()) {
      if (count === 0) continue;
      pieces.push(format === 'text' ? textHeader(family) : openMetricsHeader(family));
      for (let i = 0; i < count; i++) {
        const head = headTexts[heads[i]!]!;
        const leaf = leafList[leaves[i]!]!;
        const value = formatValue(values[i]!);
        if (head !== '') pieces.push(leaf.open, head, leaf.close, value, '\n');
        else if (leaf.labels === '') pieces.push(leaf.bare, value, '\n');
        else pieces.push(leaf.open, leaf.labels, '} ', value, '\n');
        chars += leaf.open.length + head.length + leaf.close.length + value.length + 1;
        if (chars >= CHUNK_CHARS) {
          yield Buffer.from(pieces.join(''));
          pieces = [];
          chars = 0;
        }
      }
    }
    if (format === 'openmetrics') pieces.push('# EOF\n');
    yield Buffer.from(pieces.join(''));
  }

  private entry(family: Family, scope: SeriesScope | undefined): FamilySamples | undefined {
    const entry = this.families.get(family.name);
    if (!entry) {
      const created: FamilySamples = {
        family,
        scope,
        count: 0,
        heads: new Int32Array(16),
        leaves: new Int32Array(16),
        values: new Float64Array(16),
        plain: new Map(),
      };
      this.families.set(family.name, created);
      return created;
    }
    // A name taken by another type, or written by another scope or by `add`: the first one wins.
    return entry.family.type === family.type && entry.scope === scope ? entry : undefined;
  }

  private leafNumber(series: LeafSeries): number {
    let number = this.leafNumbers.get(series);
    if (number === undefined) {
      number = this.leafList.push(series) - 1;
      this.leafNumbers.set(series, number);
    }
    return number;
  }

  private push(entry: FamilySamples, head: number, leaf: number, value: number): void {
    if (entry.count === entry.values.length) {
      const grown = entry.count * 2;
      entry.heads = grownTo(entry.heads, new Int32Array(grown));
      entry.leaves = grownTo(entry.leaves, new Int32Array(grown));
      entry.values = grownTo(entry.values, new Float64Array(grown));
    }
    entry.heads[entry.count] = head;
    entry.leaves[entry.count] = leaf;
    entry.values[entry.count] = value;
    entry.count++;
    this.samples++;
  }
}

function grownTo<T extends Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

function textHeader({ name, type, help }: Family): string {
  return `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`;
}

/**
 * OpenMetrics names a counter's family without `_total`; a counter whose established name lacks the
 * suffix (elasticsearch_exporter's `_count` counters) is declared `unknown`, which keeps its name.
 */
function openMetricsHeader({ name, type, help }: Family): string {
  let familyName = name;
  let familyType: string = type;
  if (type === 'counter') {
    if (name.endsWith('_total')) familyName = name.slice(0, -'_total'.length);
    else familyType = 'unknown';
  }
  return `# HELP ${familyName} ${escapeLabelValue(help)}\n# TYPE ${familyName} ${familyType}\n`;
}

/** `name="value",…` with values escaped: what goes between a sample's braces. */
export function labelText(labels: Labels): string {
  let text = '';
  for (const [name, value] of labels) text += `${text === '' ? '' : ','}${name}="${escapeLabelValue(value)}"`;
  return text;
}

/** Joins rendered label texts, either of which may be empty. */
export function joinLabelText(head: string, tail: string): string {
  return head === '' ? tail : tail === '' ? head : `${head},${tail}`;
}

/** Both formats: backslash, double quote and line feed escaped; everything else as it is (UTF-8). */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`)) : value;
}

function formatValue(value: number): string {
  // JavaScript's shortest round-trip form (`1.5e+21`, `0.1`) is what Go's ParseFloat reads back.
  return String(value);
}

const families = new Map<string, Family>();

/** The family of this name, made once: names built at run time (from a path) share one object. */
export function familyNamed(name: string, type: FamilyType, help: string): Family {
  let family = families.get(name);
  if (!family) {
    family = { name, type, help };
    families.set(name, family);
  }
  return family;
}

/** A metric name from free text: anything outside `[a-zA-Z0-9_:]` becomes `_`, never a leading digit. */
export function metricName(raw: string): string {
  const name = raw.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/** A label name: `[a-zA-Z_][a-zA-Z0-9_]*`. */
export function labelName(raw: string): string {
  const name = raw.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}
