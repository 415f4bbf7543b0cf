/**
 * One scrape's worth of Prometheus series, rendered as the text format 0.0.4 or OpenMetrics 1.0.
 * Samples are grouped by family (both formats want a family's samples together, after its HELP and
 * TYPE) and each sample line is built once: the two formats differ only in family headers and the
 * closing `# EOF`. Label values are escaped, never sanitised, so hostile names (quotes, backslashes,
 * newlines, any unicode) stay distinct and the exposition always parses.
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

interface FamilyLines {
  family: Family;
  lines: string[];
}

export class Exposition {
  private readonly families = new Map<string, FamilyLines>();
  /** `name{labels}` of every sample: a repeated series would make Prometheus drop the sample. */
  private readonly seen = new Set<string>();
  private samples = 0;

  /** One sample of `family`; `suffix` picks a summary's `_sum` or `_count`. Non-finite values are skipped. */
  add(family: Family, labels: Labels, value: number, suffix = ''): void {
    this.addWithLabelText(family, labelText(labels), value, suffix);
  }

  /**
   * As `add`, with the labels already rendered by `labelText` (joined with `,`): a caller with a
   * million samples renders a node's or an index's labels once, not once per sample.
   */
  addWithLabelText(family: Family, labels: string, value: number, suffix = ''): void {
    if (!Number.isFinite(value)) return;
    let entry = this.families.get(family.name);
    if (!entry) {
      entry = { family, lines: [] };
      this.families.set(family.name, entry);
    } else if (entry.family.type !== family.type) return; // a name taken by another type: first wins
    const series = labels === '' ? family.name + suffix : `${family.name}${suffix}{${labels}}`;
    if (this.seen.has(series)) return;
    this.seen.add(series);
    entry.lines.push(`${series} ${formatValue(value)}\n`);
    this.samples++;
  }

  get sampleCount(): number {
    return this.samples;
  }

  render(format: ExpositionFormat): string {
    const parts: string[] = [];
    for (const { family, lines } of this.families.values()) {
      if (lines.length === 0) continue;
      parts.push(format === 'text' ? textHeader(family) : openMetricsHeader(family));
      for (const line of lines) parts.push(line);
    }
    if (format === 'openmetrics') parts.push('# EOF\n');
    return parts.join('');
  }
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
