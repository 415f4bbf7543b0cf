/** Medians, tables and the machine description every benchmark prints. */
import { readFileSync } from 'node:fs';
import os from 'node:os';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function minOf(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.min(...values);
}

export function maxOf(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.max(...values);
}

/** Least-squares slope of y over x, scaled to 1,000 units of x. */
export function slopePer1000(points: [number, number][]): number {
  const valid = points.filter(([, y]) => Number.isFinite(y));
  const n = valid.length;
  if (n < 2) return Number.NaN;
  const meanX = valid.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = valid.reduce((sum, [, y]) => sum + y, 0) / n;
  let numerator = 0;
  let denominator = 0;
  for (const [x, y] of valid) {
    numerator += (x - meanX) * (y - meanY);
    denominator += (x - meanX) ** 2;
  }
  return (numerator / denominator) * 1000;
}

/** `12,345` for counts, `1.23` style for small measures. */
export function formatNumber(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatMiB(bytes: number): string {
  return `${formatNumber(bytes / 1024 / 1024, 1)} MiB`;
}

/** A Markdown table (pastes straight into BENCHMARKS.md, and reads fine on a terminal). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

/** A target check: the measured value, the bound, and whether it holds. */
export interface Verdict {
  target: string;
  measured: string;
  met: boolean;
}

export function verdictTable(verdicts: readonly Verdict[]): string {
  return table(
    ['target', 'measured', 'result'],
    verdicts.map((verdict) => [verdict.target, verdict.measured, verdict.met ? 'met' : 'MISSED']),
  );
}

function loadAverage(): string {
  return os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}

/** nproc, CPU model, memory, kernel, Node version, load and date: what BENCHMARKS.md records. */
export function machine(): string {
  const cpus = os.cpus();
  let osName = os.type();
  try {
    osName = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? osName;
  } catch {}
  return [
    `date: ${new Date().toISOString()}`,
    `cpus: ${cpus.length} x ${cpus[0]?.model ?? 'unknown'}`,
    `memory: ${formatNumber(os.totalmem() / 1024 ** 3, 1)} GiB`,
    `os: ${osName}, kernel ${os.release()}`,
    `node: ${process.version}`,
    `load average (1, 5, 15 min): ${loadAverage()}`,
  ].join('\n');
}

/** The load average now, to print beside results taken on a shared machine. */
export function loadNow(): string {
  return `load average ${loadAverage()}`;
}

export function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
