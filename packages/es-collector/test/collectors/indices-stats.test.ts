import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LeafNames } from '@stoker/shared';
import { sharedSkip } from '../../../../test/harness/fixtures.js';
import {
  type IndexStats,
  IndicesStatsReader,
  indexValue,
  indicesStats,
  type ParsedIndicesStats,
} from '../../src/collectors/indices-stats.js';
import { parseVersion } from '../../src/collectors/root.js';
import { forEachLeaf, isRecord } from '../../src/flatten.js';
import { eachRecording, fixtureFiles, leafValues, mapContext, readFixtureBytes } from '../helpers.js';

describe('indices_stats', { skip: sharedSkip() }, () => {
  test('every recording gives _all and per-index docs count', () => {
    eachRecording(indicesStats, /^indices_stats.*\.json$/, 36, (file, mapped, body) => {
      const parsed = body as ParsedIndicesStats;
      const all = mapped.samples.find((sample) => sample.kind === 'index' && sample.index === '_all');
      assert.ok(all && parsed.all, `${file}: _all`);
      // One upstream recording (data streams, 7.15.0) carries an empty `_all`; all others have totals.
      const emptyAll = !parsed.all.shape.leaves.some((leaf) => leaf.keys[0] === 'primaries');
      assert.ok(
        leafValues(all).has('primaries.docs.count') || emptyAll,
        `${file}: _all.primaries.docs.count`,
      );
      const indices = mapped.samples.filter((sample) => sample.kind === 'index' && sample.index !== '_all');
      assert.ok(indices.length > 0 || parsed.indices.size === 0, `${file}: indices`);
      // The data-stream recording carries primaries only; every other has both.
      for (const index of indices)
        assert.ok(
          leafValues(index).has('primaries.docs.count'),
          `${file}: every index has primaries.docs.count`,
        );
      assert.equal(typeof mapped.collector?.indices_dropped, 'number', `${file}: collector.indices_dropped`);
    });
  });

  test('0.90 asks /_stats, later versions /_all/_stats', () => {
    const options = mapContext().options;
    assert.equal(indicesStats.path(parseVersion('0.90.13'), options), '/_stats');
    assert.equal(indicesStats.path(parseVersion('7.13.1'), options), '/_all/_stats');
  });

  test('the selection is left for per-index health (reportedAs), and rollups are summed', () => {
    const context = mapContext({ indices: { include: [], exclude: [], rollup: true, top: 100 } });
    const text = JSON.stringify({
      _all: { primaries: { docs: { count: 3 } } },
      indices: {
        'logs-2026.11.25': { primaries: { docs: { count: 1 } } },
        'logs-2026.11.26': { primaries: { docs: { count: 2 } } },
      },
    });
    const reader = indicesStats.reader!();
    reader.write(Buffer.from(text));
    const { samples } = indicesStats.map(reader.end(), context);
    const logs = samples.find((sample) => sample.kind === 'index' && sample.index === 'logs');
    assert.equal(leafValues(logs!).get('primaries.docs.count'), 3);
    assert.deepEqual(
      [...(context.reportedAs ?? [])],
      [
        ['logs-2026.11.25', 'logs'],
        ['logs-2026.11.26', 'logs'],
      ],
    );
    assert.equal(indexValue(readInChunks(Buffer.from(text), 5).all!, 'primaries.docs.count'), 3);
  });
});

/** What the index stats reader must give: JSON.parse, then every numeric leaf of primaries and total. */
function referenceIndices(text: string): {
  all: Map<string, number>;
  indices: Map<string, Map<string, number>>;
} {
  const body = JSON.parse(text) as Record<string, unknown>;
  const tree = new LeafNames();
  const leaves = (entry: unknown): Map<string, number> => {
    const values = new Map<string, number>();
    for (const scope of ['primaries', 'total'])
      forEachLeaf(
        isRecord(entry) ? entry[scope] : undefined,
        { skipKeys: new Set(['indices', 'shards', 'uuid']) },
        tree.root.child(scope),
        (leaf, value) => values.set(leaf.rawPath, value),
      );
    return values;
  };
  const all = body._all as Record<string, unknown>;
  const perIndex = (
    isRecord(body.indices) ? body.indices : isRecord(all.indices) ? all.indices : {}
  ) as Record<string, unknown>;
  const indices = new Map<string, Map<string, number>>();
  for (const [name, entry] of Object.entries(perIndex)) if (isRecord(entry)) indices.set(name, leaves(entry));
  return { all: leaves(all), indices };
}

function leafMap(stats: IndexStats): Map<string, number> {
  const values = new Map<string, number>();
  stats.walk({
    root: new LeafNames().root,
    add: () => assert.fail('index stats come as one run'),
    addRun: (leaves, runValues) =>
      leaves.forEach((leaf, i) => {
        assert.ok(!values.has(leaf.rawPath), `${leaf.rawPath} twice`);
        values.set(leaf.rawPath, runValues[i]!);
      }),
  });
  return values;
}

function readInChunks(bytes: Uint8Array, size: number): ParsedIndicesStats {
  const reader = new IndicesStatsReader();
  for (let at = 0; at < bytes.length; at += size) reader.write(bytes.subarray(at, at + size));
  return reader.end();
}

describe('indices_stats: the reader (IndicesStatsReader)', { skip: sharedSkip() }, () => {
  test('every recorded index stats answer reads as JSON.parse and a walk of it would, in any chunks', () => {
    const files = fixtureFiles(/^indices_stats.*\.json$/);
    assert.ok(files.length >= 36, `found ${files.length}`);
    for (const file of files) {
      const bytes = readFixtureBytes(file);
      const expected = referenceIndices(bytes.toString('utf8'));
      for (const size of [bytes.length, 4096, 97]) {
        const parsed = readInChunks(bytes, size);
        assert.deepEqual(leafMap(parsed.all!), expected.all, `${file} _all, chunks of ${size}`);
        assert.deepEqual(
          [...parsed.indices.keys()].sort(),
          [...expected.indices.keys()].sort(),
          `${file} indices, chunks of ${size}`,
        );
        for (const [name, stats] of parsed.indices)
          assert.deepEqual(leafMap(stats), expected.indices.get(name), `${file} ${name}, chunks of ${size}`);
      }
    }
  });

  test('indices with the same keys share one shape; a key given twice counts once, the last value', () => {
    const entry = (docs: number) => ({
      primaries: { docs: { count: docs, deleted: 0 } },
      total: { docs: { count: docs * 2 } },
    });
    const text = JSON.stringify({
      _all: entry(0),
      indices: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`logs-${i}`, entry(i)])),
    }).replace('"deleted":0}', '"deleted":0,"count":-1}');
    const parsed = readInChunks(Buffer.from(text), 1000);
    assert.equal(parsed.indices.size, 100);
    // `_all` got the duplicate count (the first entry in the text).
    assert.deepEqual(
      leafMap(parsed.all!),
      new Map([
        ['primaries.docs.count', -1],
        ['primaries.docs.deleted', 0],
        ['total.docs.count', 0],
      ]),
    );
    const shapes = new Set([...parsed.indices.values()].map((stats) => stats.shape));
    assert.equal(shapes.size, 1, 'one shape for 100 indices of the same keys');
    assert.equal(leafMap(parsed.indices.get('logs-42')!).get('total.docs.count'), 84);
  });

  test('an answer without _all reads, and is refused when mapped; a cut one is refused', () => {
    const notStats = readInChunks(Buffer.from('{"error":"x","status":500}'), 7);
    assert.equal(notStats.all, undefined);
    assert.throws(() => indicesStats.map(notStats, mapContext()), /_stats: expected \{"_all": \{\.\.\.\}\}/);
    const cut = Buffer.from(JSON.stringify({ _all: { primaries: { docs: { count: 1 } } } })).subarray(0, 30);
    assert.throws(() => readInChunks(cut, 8), /unexpected end of the document/);
  });
});
