import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { startEsStandin } from '../../../../test/harness/es-standin.js';
import { sharedSkip } from '../../../../test/harness/fixtures.js';
import { EsClient } from '../../src/client.js';
import { ClusterJob } from '../../src/cluster-job.js';
import { API_NAMES } from '../../src/collectors/api.js';
import { indicesStatus } from '../../src/collectors/indices-status.js';
import { type EsVersion, parseVersion } from '../../src/collectors/root.js';
import { NAMING_SCHEMES } from '../../src/naming/index.js';
import type { NamingSchemeName } from '../../src/naming/scheme.js';
import { schemeDefaults } from '../../src/targets.js';
import { byName, fakeCycle, mapContext, namedLines } from '../helpers.js';

/** The scheme's own defaults: every index, no rollup, no cap. */
const context2013 = () =>
  mapContext({
    naming: 'es2graphite-2013',
    indices: { include: [], exclude: [], ...schemeDefaults('es2graphite-2013') },
  });
const scheme2013 = context2013().options;
const es = (number: string): EsVersion => parseVersion(number);

/**
 * One index of a `_status` answer in ES 1.x's shape, with what es2graphite 2013 treated specially:
 * a shard group with a primary (STARTED) and a replica still recovering (INITIALIZING routing,
 * POST_RECOVERY state: es2graphite had codes for neither), a copy on a node the node stats do not
 * list, an unassigned copy (no node), a list of numbers, and a `timestamp`.
 */
const STATUS = {
  _shards: { total: 4, successful: 3, failed: 0 },
  indices: {
    'Logs-2014.01.01': {
      index: { primary_size_in_bytes: 100, size_in_bytes: 250 },
      translog: { operations: 7 },
      docs: { num_docs: 10, max_doc: 12, deleted_docs: 2 },
      refresh: { total: 3, total_time_in_millis: 40 },
      shards: {
        '0': [
          {
            routing: {
              state: 'STARTED',
              primary: true,
              node: 'id-a',
              relocating_node: null,
              shard: 0,
              index: 'Logs-2014.01.01',
            },
            state: 'STARTED',
            index: { size_in_bytes: 100 },
            translog: { id: 1390777285888, operations: 7 },
            docs: { num_docs: 10, max_doc: 12, deleted_docs: 2 },
          },
          {
            routing: { state: 'INITIALIZING', primary: false, node: 'id-b', relocating_node: null, shard: 0 },
            state: 'POST_RECOVERY',
            index: { size_in_bytes: 150 },
          },
          { routing: { state: 'RELOCATING', primary: false, node: 'id-gone', shard: 0 }, state: 'RELOCATED' },
          { routing: { state: 'UNASSIGNED', primary: false, node: null, shard: 0 }, state: 'CREATED' },
        ],
      },
      samples: [4, 5],
      timestamp: 1_400_000_000_000,
    },
  },
};

function lines(body: unknown, context = context2013()): Map<string, number> {
  context.nodeNames = new Map([
    ['id-a', 'Data-1'],
    ['id-b', 'data 2'],
  ]);
  const { samples } = indicesStatus.map(body, context);
  return byName(namedLines(NAMING_SCHEMES['es2graphite-2013'], 'prod', samples, 1).lines);
}

describe('_status (es2graphite-2013 scheme, ES < 2.0)', () => {
  test('asked under --naming es2graphite-2013 on ES 0.90 and 1.x only: never in other schemes, never from 2.0', () => {
    assert.equal(indicesStatus.path(es('0.90.13'), scheme2013), '/_status');
    assert.equal(indicesStatus.path(es('1.7.5'), scheme2013), '/_status');
    for (const number of ['2.4.5', '5.6.16', '8.4.2'])
      assert.equal(indicesStatus.path(es(number), scheme2013), undefined, number);
    assert.equal(indicesStatus.path(parseVersion('1.3.0', 'opensearch'), scheme2013), undefined);
    for (const naming of ['default', 'es2graphite'] as NamingSchemeName[])
      assert.equal(indicesStatus.path(es('1.7.5'), mapContext({ naming }).options), undefined, naming);
  });

  test('sends what es2graphite ac8bbf9 sent for it, value for value', () => {
    // Every name below is read off es2graphite's process_section/add_metric: numbers and booleans
    // (0/1) anywhere; `translog.id` skipped; `state` coded CREATED 0 … STARTED 2, RELOCATED 3 and
    // unknown states (INITIALIZING, POST_RECOVERY) dropped; each copy under its node's name;
    // other lists by position; keys named `timestamp` dropped; every segment lower-cased, non-word
    // runs to `_`.
    assert.deepEqual(
      Object.fromEntries([...lines(STATUS)].sort()),
      Object.fromEntries(
        [
          ['es.prod.indices.logs_2014_01_01.docs.deleted_docs', 2],
          ['es.prod.indices.logs_2014_01_01.docs.max_doc', 12],
          ['es.prod.indices.logs_2014_01_01.docs.num_docs', 10],
          ['es.prod.indices.logs_2014_01_01.index.primary_size_in_bytes', 100],
          ['es.prod.indices.logs_2014_01_01.index.size_in_bytes', 250],
          ['es.prod.indices.logs_2014_01_01.refresh.total', 3],
          ['es.prod.indices.logs_2014_01_01.refresh.total_time_in_millis', 40],
          ['es.prod.indices.logs_2014_01_01.samples.0', 4],
          ['es.prod.indices.logs_2014_01_01.samples.1', 5],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_1.docs.deleted_docs', 2],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_1.docs.max_doc', 12],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_1.docs.num_docs', 10],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_1.index.size_in_bytes', 100],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_1.routing.primary', 1],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_1.routing.shard', 0],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_1.routing.state', 2],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_1.state', 2],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_1.translog.operations', 7],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_2.index.size_in_bytes', 150],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_2.routing.primary', 0],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_2.routing.shard', 0],
          ['es.prod.indices.logs_2014_01_01.shards.0.id_gone.routing.primary', 0],
          ['es.prod.indices.logs_2014_01_01.shards.0.id_gone.routing.shard', 0],
          ['es.prod.indices.logs_2014_01_01.shards.0.id_gone.state', 3],
          ['es.prod.indices.logs_2014_01_01.translog.operations', 7],
        ].sort(),
      ),
    );
  });

  test('follows the index selection: a rolled-up or left-out index gets no status series', () => {
    const rollup = mapContext({
      naming: 'es2graphite-2013',
      indices: { ...schemeDefaults('es2graphite-2013'), include: [], exclude: [], rollup: true },
    });
    assert.equal(lines(STATUS, rollup).size, 0, 'rolled up into `Logs`');
    const excluded = mapContext({
      naming: 'es2graphite-2013',
      indices: { ...schemeDefaults('es2graphite-2013'), include: [], exclude: ['Logs-*'], rollup: false },
    });
    assert.equal(lines(STATUS, excluded).size, 0, 'excluded by a glob');
    const unselected = context2013();
    unselected.reportedAs = new Map([['other', 'other']]);
    assert.equal(lines(STATUS, unselected).size, 0, 'not among the indices index stats kept');
  });

  test('an answer of another shape fails this API with a clear error', () => {
    assert.throws(() => indicesStatus.map({ error: 'x' }, mapContext()), /_status: expected \{"indices"/);
    assert.throws(() => indicesStatus.map([], mapContext()), /_status: expected/);
  });
});

describe('_status through the cluster job (ES stand-in)', { skip: sharedSkip() }, () => {
  const clients: EsClient[] = [];
  after(() => Promise.all(clients.map((client) => client.close())));
  const job = (url: string, naming: NamingSchemeName = 'es2graphite-2013') => {
    const client = new EsClient({ seeds: [new URL(url)], requestTimeoutMs: 2000 });
    clients.push(client);
    const defaults = schemeDefaults(naming);
    return new ClusterJob(
      {
        id: 'test',
        clusterName: 'test',
        seeds: [new URL(url)],
        intervalMs: 10_000,
        requestTimeoutMs: 2000,
        local: false,
        // What the 1.7.5 recordings hold (no cluster stats, no pending tasks), so that the only
        // failing API is the one a test makes fail.
        apis: new Set(API_NAMES.filter((api) => api !== 'cluster_stats' && api !== 'pending_tasks')),
        naming,
        indices: { include: [], exclude: [], rollup: defaults.rollup, top: defaults.top },
        healthLevelIndices: defaults.healthLevelIndices,
        maxResponseBytes: 64 * 1024 * 1024,
        series: { profile: 'full', include: [], exclude: [] },
      },
      client,
    );
  };

  test('1.7: each shard copy under its node, named as its node stats are', async () => {
    const standin = await startEsStandin({ version: '1.7.5' });
    try {
      const clusterJob = job(standin.url);
      const cycle = fakeCycle({ sanitize: clusterJob.sanitize! });
      await clusterJob.run(cycle);
      const names = byName(cycle.lines());
      assert.equal(standin.requestCount('/_status'), 1);
      // The recorded node is called Overmind; the synthesised answer holds twitter's 5 primaries.
      for (const shard of [0, 1, 2, 3, 4]) {
        assert.equal(names.get(`es.test.indices.twitter.shards.${shard}.overmind.routing.state`), 2);
        assert.equal(names.get(`es.test.indices.twitter.shards.${shard}.overmind.routing.primary`), 1);
      }
      assert.equal(names.get('es.test.indices.twitter.index.primary_size_in_bytes'), 575);
      assert.equal(names.get('es.test.collector.errors.indices_status'), 0);
    } finally {
      await standin.close();
    }
  });

  test('not asked from ES 2.0, nor in the other schemes', async () => {
    const standin = await startEsStandin({ version: '2.4.5' });
    const old = await startEsStandin({ version: '1.7.5' });
    try {
      const cycle = fakeCycle();
      await job(standin.url).run(cycle);
      assert.equal(standin.requestCount('/_status'), 0);
      assert.equal(byName(cycle.lines()).has('es.test.collector.errors.indices_status'), false);
      for (const naming of ['default', 'es2graphite'] as const) await job(old.url, naming).run(fakeCycle());
      assert.equal(old.requestCount('/_status'), 0);
    } finally {
      await standin.close();
      await old.close();
    }
  });

  for (const status of [404, 400])
    test(`a cluster answering ${status} to /_status: the rest is sent, the problem logged once`, async () => {
      const standin = await startEsStandin({ version: '1.7.5' });
      standin.fault('/_status', { kind: 'status', status });
      try {
        const clusterJob = job(standin.url);
        const first = fakeCycle();
        const cycles = [first];
        for (let i = 0; i < 5; i++) {
          const cycle = i === 0 ? first : { ...fakeCycle(), problems: first.problems };
          if (i > 0) cycles.push(cycle);
          await clusterJob.run(cycle);
          const names = byName(cycle.lines());
          assert.equal(names.get('es.test.collector.errors.indices_status'), 1);
          assert.equal(names.get('es.test.collector.up'), 1);
          assert.ok(names.has('es.test.indices.twitter.primaries.docs.count'), 'index stats still sent');
          assert.ok(![...names.keys()].some((name) => name.includes('.shards.')), 'no status series');
        }
        const warnings = cycles.flatMap((cycle) => cycle.warnings);
        assert.equal(warnings.length, 1, warnings.join('\n'));
        assert.match(warnings[0]!, new RegExp(`^cluster test: indices_status: .*HTTP ${status}`));
      } finally {
        await standin.close();
      }
    });
});
