import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sharedSkip } from '../../../../test/harness/fixtures.js';
import { clusterStats } from '../../src/collectors/cluster-stats.js';
import { parseVersion } from '../../src/collectors/root.js';
import { eachRecording, mapContext, pathValues } from '../helpers.js';

describe('cluster_stats', { skip: sharedSkip() }, () => {
  test('every recording gives docs count and node count', () => {
    eachRecording(clusterStats, /^cluster_stats.*\.json$/, 6, (file, { samples }) => {
      const numbers = pathValues(samples, 'cluster_stats');
      assert.ok(numbers.has('indices.docs.count'), `${file}: indices.docs.count`);
      assert.ok((numbers.get('nodes.count.total') ?? 0) >= 1, `${file}: nodes.count.total`);
      assert.ok(!numbers.has('timestamp'), `${file}: the sampling time is not a series`);
    });
  });

  test('0.90 has no _cluster/stats: not asked for', () => {
    const options = mapContext().options;
    assert.equal(clusterStats.path(parseVersion('0.90.13'), options), undefined);
    assert.equal(clusterStats.path(parseVersion('1.0.0'), options), '/_cluster/stats');
  });
});
