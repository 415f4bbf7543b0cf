/**
 * Nothing lost through a carbon outage and an agent crash (issue 15), at scale: es-collector polls
 * a 200-node / 5,000-index stand-in (about 110,000 lines, 9.5 MB a cycle) at the default 10 s with a
 * spool; carbon-cache is stopped for a minute, the agent is `kill -9`ed and restarted half-way, carbon
 * comes back, and every point of the sampled series (three nodes, five indices, the cluster and the
 * collector series: about 2,500) is in whisper with its value. /healthz stays 200 throughout.
 * The 30-minute version is `npm run bench -- spool-outage`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { INDEX_RECORDING, NODE_RECORDING } from '../../bench/lib/es-cluster.js';
import {
  type EsStandin,
  loadFixture,
  startEsStandin,
  synthesizeIndicesStats,
  synthesizeNodesStats,
} from '../harness/es-standin.js';
import { sharedSkip } from '../harness/fixtures.js';
import { requireProgram } from '../harness/graphite.js';
import { runSpoolOutage } from '../harness/spool-outage.js';
import { ES_CLI } from './helpers.js';

const skip = sharedSkip() ?? requireProgram('carbon-cache', 'graphite-carbon');

describe('spool through a carbon outage and a kill -9', { skip }, () => {
  let es: EsStandin;
  before(async () => {
    es = await startEsStandin({
      version: '8.4.2',
      bodies: {
        nodes_stats: JSON.stringify(synthesizeNodesStats(loadFixture(NODE_RECORDING), 200)),
        indices_stats: JSON.stringify(synthesizeIndicesStats(loadFixture(INDEX_RECORDING), 5000)),
      },
    });
  });
  after(() => es?.close());

  test('es-collector, 200 nodes / 5,000 indices: every point of ~2,500 sampled series is in whisper, /healthz 200 all along', {
    timeout: 600_000,
  }, async () => {
    const result = await runSpoolOutage({
      cli: ES_CLI,
      args: ['--es', es.url, '--cluster', 'big'],
      sample:
        '^es\\.big\\.(nodes\\.instance-0000000005-00[1-3]\\.|indices\\.bench-000[1-5]\\.|cluster\\.|collector\\.)',
      intervalMs: 10_000,
      outageMs: 60_000,
      killAtMs: 30_000,
      log: (message) => process.stderr.write(`spool-outage: ${message}\n`),
    });
    process.stderr.write(`spool-outage: ${JSON.stringify(result)}\n`);
    assert.ok(result.series >= 1000, `sampled series: ${result.series}`);
    assert.ok(result.outagePoints >= 4 * result.series, `outage points: ${result.outagePoints}`);
    assert.deepEqual(
      result.missingShown,
      [],
      `${result.missing} of ${result.points} points missing from whisper`,
    );
    assert.ok(result.spool.replayed_lines > 0);
    assert.equal(result.spool.dropped_bytes, 0);
    assert.equal(result.spool.corrupt_records, 0);
    assert.ok(
      result.healthCodes.length > 10 && result.healthCodes.every((code) => code === 200),
      `health: ${result.healthCodes}`,
    );
  });
});
