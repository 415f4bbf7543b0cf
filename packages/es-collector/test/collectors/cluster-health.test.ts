import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sharedSkip } from '../../../../test/harness/fixtures.js';
import { clusterHealth } from '../../src/collectors/cluster-health.js';
import { eachRecording, mapContext, pathValues, readFixture } from '../helpers.js';

describe('cluster_health', { skip: sharedSkip() }, () => {
  test('every recording gives status, node count, unassigned shards, timed_out as 0/1', () => {
    eachRecording(clusterHealth, /^cluster_health.*\.json$/, 29, (file, { samples }) => {
      assert.ok(
        samples.some((sample) => sample.kind === 'health_status' && sample.index === undefined),
        `${file}: status`,
      );
      const numbers = pathValues(samples, 'health');
      assert.ok((numbers.get('number_of_nodes') ?? 0) >= 1, `${file}: number_of_nodes`);
      assert.ok(numbers.has('unassigned_shards'), `${file}: unassigned_shards`);
      assert.ok(numbers.has('timed_out'), `${file}: timed_out as 0/1`);
    });
  });

  test('per-index health only when asked for, rolled up like the index stats would be', () => {
    const body = readFixture('telegraf/cluster_health/cluster_health_level_indices.json') as {
      indices: Record<string, unknown>;
    };
    const indexed = (healthLevelIndices: boolean) =>
      clusterHealth.map(body, mapContext({ healthLevelIndices })).samples.filter((s) => 'index' in s);
    assert.deepEqual(indexed(false), []);
    const indices = new Set(indexed(true).map((sample) => ('index' in sample ? sample.index : '')));
    assert.equal(indices.size, Object.keys(body.indices).length, 'one per recorded index (none dated)');
    // What index stats selected this cycle wins over the globs: only those names, under their rollup.
    const [first] = Object.keys(body.indices);
    const context = {
      ...mapContext({ healthLevelIndices: true }),
      reportedAs: new Map([[first!, 'chosen']]),
    };
    const kept = clusterHealth.map(body, context).samples.filter((s) => 'index' in s);
    assert.ok(kept.length > 0);
    assert.ok(kept.every((sample) => 'index' in sample && sample.index === 'chosen'));
  });

  test('a body that is not an object fails this API', () => {
    assert.throws(() => clusterHealth.map([], mapContext()), /_cluster\/health: expected a JSON object/);
  });
});
