import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DistinctNames, type LeafName, LeafNames, LineBatch, type SegmentSanitizer } from '@stoker/shared';
import { type RecordingCycle, recordingCycle } from '../../../test/harness/cycle.js';
import { sharedPath } from '../../../test/harness/fixtures.js';
import { readIndicesStats } from '../src/collectors/indices-stats.js';
import { nodeLeaves } from '../src/collectors/nodes-stats.js';
import { type NamingScheme, nameSamples } from '../src/naming/index.js';
import type { ApiName, Responses } from '../src/pipeline.js';
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

/** A recorded answer as the cluster job hands it on: index stats read as they arrive, others parsed. */
export function readResponse(api: ApiName, relativePath: string): Responses[ApiName] {
  return api === 'indices_stats'
    ? readIndicesStats(readFixtureBytes(relativePath))
    : readFixture(relativePath);
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
    { emit: (segments, value) => names.add(segments, value), group: (head) => names.group(head) },
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
  if (sample.kind === 'node') nodeLeaves(sample.stats, new LeafNames().root, visit);
  else if (sample.kind === 'index') {
    const { shape, values } = sample.stats;
    for (const [i, leaf] of shape.leaves.entries()) visit(leaf, values[i]!);
  } else throw new Error(`${sample.kind} samples have no leaves`);
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
