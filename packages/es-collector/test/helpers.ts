import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  CounterTracker,
  DistinctNames,
  type LeafName,
  LeafNames,
  LineBatch,
  type SegmentSanitizer,
} from '@stoker/shared';
import { type RecordingCycle, recordingCycle } from '../../../test/harness/cycle.js';
import { sharedPath, sharedSkip } from '../../../test/harness/fixtures.js';
import type { ApiOptions, EsApi, MapContext, Mapped } from '../src/collectors/api.js';
import { DEFAULT_INDEX_SELECTION } from '../src/index-selection.js';
import { NAMING_SCHEMES, type NamingScheme, nameSamples } from '../src/naming/index.js';
import type { Sample } from '../src/samples.js';

export const FIXTURES_ES = sharedPath('fixtures', 'es');

/** Every recorded file under fixtures/es whose name matches, as paths relative to fixtures/es. */
export function fixtureFiles(match: RegExp): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (match.test(name)) found.push(relative(FIXTURES_ES, path));
    }
  };
  walk(FIXTURES_ES);
  return found.sort();
}

export function readFixture(relativePath: string): unknown {
  return JSON.parse(readFileSync(join(FIXTURES_ES, relativePath), 'utf8'));
}

export function readFixtureBytes(relativePath: string): Buffer {
  return readFileSync(join(FIXTURES_ES, relativePath));
}

/** A recorded answer read as the cluster job reads it: by the API's own reader, else parsed whole. */
export function readRecording(api: EsApi, relativePath: string): unknown {
  if (!api.reader) return readFixture(relativePath);
  const reader = api.reader();
  reader.write(readFixtureBytes(relativePath));
  return reader.end();
}

/** What an API is mapped with in a cycle: the default options, a fresh counter tracker. */
export function mapContext(options: Partial<ApiOptions> = {}): MapContext {
  return {
    options: {
      local: false,
      healthLevelIndices: false,
      indices: DEFAULT_INDEX_SELECTION,
      naming: 'default',
      ...options,
    },
    tracker: new CounterTracker(),
    atMs: 0,
  };
}

/** Every sample becomes a valid carbon line, none dropped, no name twice, under both schemes. */
export function assertNamesValid(samples: readonly Sample[], file: string): void {
  for (const scheme of Object.values(NAMING_SCHEMES)) {
    const batch = namedLines(scheme, 'cluster', samples, 1);
    assert.equal(
      batch.dropped.non_finite + batch.dropped.too_long,
      0,
      `${file}: ${scheme.name} dropped lines`,
    );
    for (const line of batch.lines)
      assert.match(line, /^es(\.[A-Za-z0-9_-]+)+ -?[\d.e+-]+ 1\n$/, `${file}: ${line}`);
    const names = batch.lines.map((line) => line.split(' ')[0]);
    assert.equal(new Set(names).size, names.length, `${file}: ${scheme.name} produced duplicate names`);
  }
}

/**
 * The conformance test of one API: every real recording whose file name matches (at least
 * `atLeast` of them, whatever their version) is read and mapped as a cycle would, must name validly
 * under both schemes, and goes through the same `check`. Files are discovered, not listed, so a new
 * recording is covered. Skips with a message when ../shared is absent.
 */
export function eachRecording(
  api: EsApi,
  match: RegExp,
  atLeast: number,
  check: (file: string, mapped: Mapped, body: unknown) => void,
): void {
  if (sharedSkip()) return;
  const files = fixtureFiles(match);
  assert.ok(files.length >= atLeast, `${api.name}: found ${files.length} recordings, expected ${atLeast}+`);
  for (const file of files) {
    const body = readRecording(api, file);
    const mapped = api.map(body, mapContext());
    assertNamesValid(mapped.samples, file);
    check(file, mapped, body);
  }
}

/** path.joined → value of the samples of one kind with a `path` (health, cluster stats...). */
export function pathValues(samples: readonly Sample[], kind: Sample['kind']): Map<string, number> {
  const values = new Map<string, number>();
  for (const sample of samples)
    if (sample.kind === kind && 'path' in sample) values.set(sample.path.join('.'), sample.value);
  return values;
}

/** A Cycle as the shared runtime would pass it; its lines carry the prefix `es`. */
export function fakeCycle(
  options: { once?: boolean; timeoutMs?: number; sanitize?: SegmentSanitizer } = {},
): RecordingCycle {
  return recordingCycle({ ...options, prefix: ['es'] });
}

/** The carbon lines (prefix `es`) of a cycle's samples named by `scheme` (what the cluster job emits). */
export function namedLines(
  scheme: NamingScheme,
  cluster: string,
  samples: readonly Sample[],
  timestampSec: number,
): LineBatch {
  const names = new DistinctNames(scheme.sanitize);
  nameSamples(
    {
      emit: (segments, value) => names.add(segments, value),
      group: (head) => names.group(head),
      sendsBelow: () => true,
    },
    scheme,
    cluster,
    samples,
  );
  const batch = new LineBatch({ prefix: ['es'], timestampSec });
  names.flush((name, value, leaf) => batch.addBytes(name, value, leaf));
  return batch;
}

/** Raw dotted path → value of every leaf of a node's or an index's stats (as they are walked). */
export function leafValues(sample: Sample): Map<string, number> {
  const values = new Map<string, number>();
  const visit = (leaf: LeafName, value: number) => values.set(leaf.rawPath, value);
  const addRun = (leaves: readonly LeafName[], leafValues: readonly number[]) => {
    for (const [i, leaf] of leaves.entries()) visit(leaf, leafValues[i]!);
  };
  if (sample.kind !== 'node' && sample.kind !== 'index')
    throw new Error(`${sample.kind} samples have no leaves`);
  sample.stats.walk({ root: new LeafNames().root, add: visit, addRun });
  return values;
}

/** name → value of carbon lines (`name value ts`). */
export function byName(lines: readonly string[]): Map<string, number> {
  return new Map(
    lines.map((line) => {
      const [name, value] = line.split(' ');
      return [name!, Number(value)];
    }),
  );
}
