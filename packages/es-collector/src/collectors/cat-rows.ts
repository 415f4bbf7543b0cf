import { isRecord } from '../flatten.js';
import type { CatSection, Sample } from '../samples.js';
import type { ApiOptions } from './api.js';
import type { EsVersion } from './root.js';
import { shapeMajor } from './root.js';

/**
 * What the three `_cat` APIs share. es2graphite's last release (commit 642dcd3) took its per-node
 * figures from `_cat` answers in `format=json`: an array of rows, one object per row, each cell a
 * string (or null) under its column's name as asked in `h=`. It named a row by one cell, dropped the
 * cells that say who the row is, and sent every other cell that Python's `int()` or `float()` reads
 * as `<cluster>.<row>.<section>.<column>`. Only the es2graphite scheme asks for them; `_cat` is
 * ES ≥ 1.0.
 */
export function catPath(version: EsVersion, options: ApiOptions, path: string): string | undefined {
  return options.naming === 'es2graphite' && shapeMajor(version) >= 1 ? path : undefined;
}

/** How one `_cat` API's rows become samples. */
export interface CatLayout {
  /** The API, for error messages (`_cat/allocation`). */
  api: string;
  /** The cell that names the row (`node`, `name`, `host`). */
  rowKey: string;
  /** Cells that say who the row is, never sent. */
  identity: ReadonlySet<string>;
  /** Where the row's cells go (by column, for `_cat/nodes`, whose one answer es2graphite split). */
  section: (column: string) => CatSection;
}

/** A number of a `_cat` cell as es2graphite read it: Python's `int()`, else `float()`; else none. */
const PYTHON_NUMBER = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?\s*$/i;

export function pythonNumber(cell: unknown): number | undefined {
  if (typeof cell === 'boolean') return cell ? 1 : 0;
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : undefined;
  if (typeof cell === 'string' && PYTHON_NUMBER.test(cell)) {
    const value = Number(cell.trim());
    return Number.isFinite(value) ? value : undefined;
  }
  return undefined;
}

/**
 * Rows → samples. A row without its name cell is skipped (es2graphite stopped on it with a
 * KeyError). Two rows with one name (two nodes called alike; several nodes on one host, for
 * thread pools) would write one series in es2graphite: here the second gets `_2`, the third `_3`,
 * in the order of ES's answer.
 */
export function catSamples(body: unknown, layout: CatLayout): Sample[] {
  if (!Array.isArray(body) || !body.every(isRecord))
    throw new Error(`${layout.api}: expected a JSON array of rows (format=json)`);
  const samples: Sample[] = [];
  const seen = new Map<string, number>();
  for (const row of body) {
    const name = row[layout.rowKey];
    if (typeof name !== 'string' || name === '') continue;
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    const rowName = count === 1 ? name : `${name}_${count}`;
    for (const [column, cell] of Object.entries(row)) {
      if (column === layout.rowKey || layout.identity.has(column)) continue;
      const value = pythonNumber(cell);
      if (value !== undefined)
        samples.push({ kind: 'cat', row: rowName, section: layout.section(column), column, value });
    }
  }
  return samples;
}
