import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  type EsFault,
  loadFixture,
  refusedPort,
  startEsStandin,
  synthesizeNodesStats,
} from '../../../test/harness/es-standin.js';
import { sharedSkip } from '../../../test/harness/fixtures.js';
import { EsClient } from '../src/client.js';
import { ClusterJob, ClusterNames } from '../src/cluster-job.js';
import { API_NAMES } from '../src/collectors/api.js';
import { DEFAULT_INDEX_SELECTION } from '../src/index-selection.js';
import { NAMING_SCHEMES } from '../src/naming/index.js';
import type { ClusterTarget } from '../src/targets.js';
import { byName, fakeCycle } from './helpers.js';

const skip = sharedSkip();
const clients: EsClient[] = [];

function target(seeds: string[], overrides: Partial<ClusterTarget> = {}): ClusterTarget {
  return {
    id: 'test',
    clusterName: 'test',
    seeds: seeds.map((seed) => new URL(seed)),
    intervalMs: 10_000,
    requestTimeoutMs: 500,
    local: false,
    apis: new Set(API_NAMES),
    naming: 'default',
    indices: DEFAULT_INDEX_SELECTION,
    healthLevelIndices: false,
    maxResponseBytes: 64 * 1024 * 1024,
    series: { profile: 'full', include: [], exclude: [] },
    ...overrides,
  };
}

function job(t: ClusterTarget, names?: ClusterNames): ClusterJob {
  const client = new EsClient({
    seeds: t.seeds,
    requestTimeoutMs: t.requestTimeoutMs,
    ...(t.auth ? { auth: t.auth } : {}),
  });
  clients.push(client);
  return new ClusterJob(t, client, undefined, names);
}

after(async () => {
  await Promise.all(clients.map((client) => client.close()));
});

describe('cluster job against the ES stand-in', { skip }, () => {
  test('a 1,000-node cluster completes its cycle (~460k samples must not overflow the stack)', async () => {
    const nodes = synthesizeNodesStats(loadFixture('netdata_go.d/8.4.2/nodes_stats.json'), 1000);
    const es = await startEsStandin({ version: '8.4.2', bodies: { nodes_stats: nodes } });
    try {
      const j = job(target([es.url], { clusterName: 'big' }));
      const cycle = fakeCycle({ timeoutMs: 60_000 });
      await j.run(cycle);
      assert.deepEqual(cycle.warnings, []);
      const lines = cycle.byName();
      assert.equal(lines.get('es.big.collector.up'), 1);
      assert.ok(lines.size > 400_000, `${lines.size} series`);
    } finally {
      await es.close();
    }
  });

  test('a healthy 8.4.2 cluster: every API, gzip, cluster name from GET /', async () => {
    const es = await startEsStandin({ version: '8.4.2' });
    try {
      const j = job(target([es.url], { clusterName: undefined, id: 'fallback' }));
      const cycle = fakeCycle();
      await j.run(cycle);
      const names = byName(cycle.lines());
      const cluster = '36928dce44074ceba64d7b3d698443a7';
      assert.equal(names.get(`es.${cluster}.collector.up`), 1);
      assert.equal(names.get(`es.${cluster}.collector.errors_total`), 0);
      assert.equal(names.get(`es.${cluster}.collector.version_major`), 8);
      assert.equal(names.get(`es.${cluster}.cluster.health.status`), 0);
      assert.equal(names.get(`es.${cluster}.nodes.instance-0000000005.jvm.mem.heap_used_percent`), 23);
      assert.ok(names.has(`es.${cluster}.indices._all.primaries.docs.count`));
      assert.equal(names.get(`es.${cluster}.cluster.pending_tasks.count`), 3);
      assert.ok(names.has(`es.${cluster}.cluster.stats.nodes.count.total`));
      assert.deepEqual(cycle.warnings, []);
      assert.match(String(es.lastHeaders.get('/_nodes/stats')?.['accept-encoding']), /gzip/);

      // GET / is cached between cycles.
      await j.run(fakeCycle());
      assert.equal(es.requestCount('/'), 1);
      assert.equal(es.requestCount('/_nodes/stats'), 2);
    } finally {
      await es.close();
    }
  });

  test('seeds are tried in order within the cycle; the one that answered goes first next time', async () => {
    const dead = await startEsStandin({ version: '8.4.2' });
    dead.fault('*', { kind: 'hang' });
    const good = await startEsStandin({ version: '8.4.2' });
    try {
      const refused = `http://127.0.0.1:${await refusedPort()}`;
      const j = job(target([refused, dead.url, good.url]));
      const began = Date.now();
      const cycle = fakeCycle();
      await j.run(cycle);
      assert.ok(Date.now() - began < 3000, 'a hanging seed costs one request timeout, not the cycle');
      assert.equal(byName(cycle.lines()).get('es.test.collector.up'), 1);
      const hangingBefore = dead.requestCount('/');
      await j.run(fakeCycle());
      assert.equal(dead.requestCount('/_cluster/health'), 0, 'the answering seed is used first');
      assert.equal(dead.requestCount('/'), hangingBefore);
    } finally {
      await Promise.all([dead.close(), good.close()]);
    }
  });

  const faults: [string, EsFault, RegExp][] = [
    ['401', { kind: 'status', status: 401 }, /HTTP 401/],
    ['403', { kind: 'status', status: 403 }, /HTTP 403/],
    ['429', { kind: 'status', status: 429 }, /HTTP 429/],
    ['503', { kind: 'status', status: 503 }, /HTTP 503/],
    ['hang', { kind: 'hang' }, /timed out after 500 ms/],
    ['truncated body', { kind: 'truncate' }, /truncated|closed|invalid JSON|terminated/i],
    ['invalid JSON', { kind: 'invalid_json' }, /invalid JSON/],
    ['HTML error page', { kind: 'html' }, /HTTP 502 \(text\/html: 502 Bad Gateway\)/],
    ['connection reset', { kind: 'reset' }, /reset|closed|socket/i],
  ];
  for (const [label, fault, reason] of faults) {
    test(`a seed that answers with: ${label} → collector.up 0, one clear error, no credentials`, async () => {
      const es = await startEsStandin({ version: '8.4.2' });
      es.fault('*', fault);
      try {
        const t = target([`http://127.0.0.1:${es.port}`], {
          auth: { kind: 'basic', username: 'admin', password: 's3cret' },
        });
        const cycle = fakeCycle();
        const began = Date.now();
        await assert.rejects(job(t).run(cycle), (error: Error) => {
          assert.match(error.message, /^cluster test: down \(collector\.up 0\)/);
          assert.match(error.message, reason);
          assert.match(error.message, new RegExp(`http://127\\.0\\.0\\.1:${es.port}/`));
          assert.ok(!error.message.includes('s3cret'), 'no secret in the message');
          assert.equal(error.message.split('\n').length, 1, 'one line');
          return true;
        });
        assert.ok(Date.now() - began < 2500, 'the cycle ends within the request timeout');
        const names = byName(cycle.lines());
        assert.equal(names.get('es.test.collector.up'), 0);
        assert.equal(names.get('es.test.collector.errors.root'), 1);
        assert.equal(names.get('es.test.collector.errors_total'), 1);
        assert.equal(
          String(es.lastHeaders.get('/')?.authorization),
          `Basic ${Buffer.from('admin:s3cret').toString('base64')}`,
        );
      } finally {
        await es.close();
      }
    });
  }

  test('a refused seed → collector.up 0', async () => {
    const url = `http://127.0.0.1:${await refusedPort()}`;
    const cycle = fakeCycle();
    await assert.rejects(job(target([url])).run(cycle), /connection refused \(ECONNREFUSED\)/);
    assert.equal(byName(cycle.lines()).get('es.test.collector.up'), 0);
  });

  test('one failing API does not drop the others', async () => {
    const es = await startEsStandin({ version: '8.4.2' });
    es.fault('/_cluster/stats', { kind: 'status', status: 503 });
    es.fault('/_cluster/pending_tasks', { kind: 'invalid_json' });
    try {
      const cycle = fakeCycle();
      await job(target([es.url])).run(cycle);
      const names = byName(cycle.lines());
      assert.equal(names.get('es.test.collector.up'), 1);
      assert.equal(names.get('es.test.collector.errors.cluster_stats'), 1);
      assert.equal(names.get('es.test.collector.errors.pending_tasks'), 1);
      assert.equal(names.get('es.test.collector.errors.nodes_stats'), 0);
      assert.equal(names.get('es.test.collector.errors_total'), 2);
      assert.ok(names.has('es.test.cluster.health.status'));
      assert.ok(![...names.keys()].some((name) => name.includes('.cluster.stats.')));
      assert.equal(cycle.warnings.length, 2, 'one line per failing API');
      assert.match(cycle.warnings[0]!, /^cluster test: cluster_stats: .*HTTP 503/);
      assert.match(cycle.warnings[1]!, /^cluster test: pending_tasks: .*invalid JSON/);
    } finally {
      await es.close();
    }
  });

  test('an API answering 404 for 100 cycles logs a line when it starts and when it ends, not per cycle', async () => {
    const es = await startEsStandin({ version: '8.4.2' });
    es.fault('/_cluster/pending_tasks', { kind: 'status', status: 404 });
    try {
      const clusterJob = job(target([es.url]));
      // The runtime keeps one problem log for the life of the agent; so does this test.
      const first = fakeCycle();
      const warnings = () => [first, ...later].flatMap((cycle) => cycle.warnings);
      const later: ReturnType<typeof fakeCycle>[] = [];
      await clusterJob.run(first);
      for (let i = 1; i < 100; i++) {
        const cycle = { ...fakeCycle(), problems: first.problems };
        later.push(cycle);
        await clusterJob.run(cycle);
        assert.equal(byName(cycle.lines()).get('es.test.collector.errors.pending_tasks'), 1);
      }
      assert.equal(warnings().length, 1, warnings().join('\n'));
      assert.match(warnings()[0]!, /^cluster test: pending_tasks: .*HTTP 404/);
      es.fault('/_cluster/pending_tasks', undefined);
      const recovered = { ...fakeCycle(), problems: first.problems };
      await clusterJob.run(recovered);
      assert.equal(byName(recovered.lines()).get('es.test.collector.errors.pending_tasks'), 0);
      assert.ok(warnings().length <= 3, warnings().join('\n'));
    } finally {
      await es.close();
    }
  });

  test('--local on the elected master (1.7.5): node and cluster-wide APIs', async () => {
    const es = await startEsStandin({ version: '1.7.5' });
    try {
      const cycle = fakeCycle();
      await job(target([es.url], { local: true })).run(cycle);
      const names = byName(cycle.lines());
      // The recorded node is called Foreigner: its collector reports under it.
      assert.equal(names.get('es.test.nodes.Foreigner.collector.is_master'), 1);
      assert.equal(names.get('es.test.nodes.Foreigner.collector.up'), 1);
      assert.equal(es.requestCount('/_nodes/_local/stats'), 1);
      assert.equal(es.requestCount('/_nodes/stats'), 0);
      assert.ok(names.has('es.test.cluster.health.status'));
      assert.ok(names.has('es.test.indices._all.primaries.docs.count'));
      assert.equal(names.get('es.test.nodes.Foreigner.collector.nodes'), 1);
      // What every node's collector would write alike is not written at all.
      assert.deepEqual(
        [...names.keys()].filter((name) => /^es\.test\.(collector|aggregates)\./.test(name)),
        [],
      );
    } finally {
      await es.close();
    }
  });

  test('--local on a node that is not the master: only its own node stats', async () => {
    const es = await startEsStandin({
      version: '6.3.2',
      // The master id of another recorded cluster: this node is not it.
      bodies: { master_node: loadFixture('signalfx_collectd/5.4.0/cluster_state_master_node.json') },
    });
    try {
      const cycle = fakeCycle();
      await job(target([es.url], { local: true })).run(cycle);
      const names = byName(cycle.lines());
      assert.equal(names.get('es.test.nodes.fyTR8QQ.collector.is_master'), 0);
      assert.equal(names.get('es.test.nodes.fyTR8QQ.collector.up'), 1);
      for (const path of ['/_cluster/health', '/_cluster/stats', '/_all/_stats', '/_cluster/pending_tasks']) {
        assert.equal(es.requestCount(path), 0, `${path} not asked`);
      }
      assert.ok(
        ![...names.keys()].some((name) => /^es\.test\.(cluster|indices|collector|aggregates)\./.test(name)),
        'nothing cluster-wide sent',
      );
      assert.ok(
        [...names.keys()].some(
          (name) => name.includes('.nodes.') && name.endsWith('.jvm.mem.heap_used_in_bytes'),
        ),
      );
    } finally {
      await es.close();
    }
  });

  test('--local with --naming es2graphite: the collector series sit beside the node stats', async () => {
    const es = await startEsStandin({ version: '1.7.5' });
    try {
      const cycle = fakeCycle({ sanitize: NAMING_SCHEMES.es2graphite.sanitize! });
      await job(target([es.url], { local: true, naming: 'es2graphite' })).run(cycle);
      const names = byName(cycle.lines());
      assert.equal(names.get('es.test.foreigner.collector.up'), 1);
      assert.ok(names.has('es.test.foreigner.jvm.mem.heap_used_in_bytes'));
      assert.ok(![...names.keys()].some((name) => /^es\.test\.(collector|aggregates)\./.test(name)));
    } finally {
      await es.close();
    }
  });

  test('--local: a node that stops answering is reported down under its own name', async () => {
    const es = await startEsStandin({ version: '6.3.2' });
    try {
      const j = job(target([es.url], { local: true }));
      const first = fakeCycle();
      await j.run(first);
      assert.equal(byName(first.lines()).get('es.test.nodes.fyTR8QQ.collector.up'), 1);
      es.fault('*', { kind: 'status', status: 503 });
      const second = fakeCycle();
      await assert.rejects(j.run(second), /down/);
      const names = byName(second.lines());
      assert.equal(names.get('es.test.nodes.fyTR8QQ.collector.up'), 0);
      assert.ok(![...names.keys()].some((name) => name.startsWith('es.test.collector.')));
    } finally {
      await es.close();
    }
  });

  test('--local: a node that has never answered is reported down under its seed', async () => {
    const j = job(target([`http://127.0.0.1:${await refusedPort()}`], { local: true }));
    const cycle = fakeCycle();
    await assert.rejects(j.run(cycle), /down/);
    const names = [...byName(cycle.lines())];
    assert.deepEqual(
      names.filter(([name]) => name.endsWith('.collector.up')),
      [[`es.test.nodes.127_0_0_1_${j.target.seeds[0]!.port}.collector.up`, 0]],
    );
  });

  test('unnamed clusters that report the same name are told apart, once, and keep their names while down', async () => {
    const [a, b] = await Promise.all([
      startEsStandin({ version: '8.4.2' }),
      startEsStandin({ version: '8.4.2' }),
    ]);
    try {
      const names = new ClusterNames();
      const unnamed = (url: string, id: string): ClusterTarget => {
        const { clusterName: _configured, ...rest } = target([url], { id });
        return rest;
      };
      // Created in this order on purpose: the cluster whose id sorts first keeps the name.
      const second = job(unnamed(b.url, 'b_9200'), names);
      const first = job(unnamed(a.url, 'a_9200'), names);
      const upOf = (lines: string[]) =>
        lines.map((line) => /^es\.([^.]+)\.collector\.up /.exec(line)?.[1]).filter(Boolean);
      const cycleA = fakeCycle();
      await first.run(cycleA);
      const [reported] = upOf(cycleA.lines());
      assert.ok(reported && reported !== 'a_9200', `the name ES reports, got ${reported}`);
      const cycleB = fakeCycle();
      await second.run(cycleB);
      const linesB = cycleB.lines();
      assert.deepEqual(upOf(linesB), [`${reported}_b_9200`]);
      assert.ok(
        linesB.every((line) => !line.startsWith(`es.${reported}.`)),
        'nothing under the taken name',
      );
      assert.ok(linesB.length > 1000, `${linesB.length} lines`);
      assert.equal(cycleB.warnings.length, 1, cycleB.warnings.join('\n'));
      assert.match(cycleB.warnings[0]!, /as another cluster of this process does/);
      const again = fakeCycle();
      await second.run(again);
      assert.deepEqual(upOf(again.lines()), [`${reported}_b_9200`]);
      assert.deepEqual(again.warnings, [], 'said once');
      // The first cluster goes down: its up 0 is written where its series are, and the other keeps its name.
      await a.close();
      const down = fakeCycle();
      await assert.rejects(first.run(down), /down/);
      const downLines = down.lines();
      assert.deepEqual(upOf(downLines), [reported]);
      assert.equal(byName(downLines).get(`es.${reported}.collector.up`), 0);
      const meanwhile = fakeCycle();
      await second.run(meanwhile);
      assert.deepEqual(upOf(meanwhile.lines()), [`${reported}_b_9200`]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('--once takes a second node stats sample for rates', async () => {
    const es = await startEsStandin({ version: '7.13.1' });
    try {
      const cycle = fakeCycle({ once: true });
      await job(target([es.url])).run(cycle);
      assert.equal(es.requestCount('/_nodes/stats'), 2);
    } finally {
      await es.close();
    }
  });

  test("--naming es2graphite asks es2graphite's _cat APIs and sends its per-node paths; other schemes never ask them", async () => {
    const es = await startEsStandin({ version: '2.4.5' });
    try {
      for (const naming of ['es2graphite', 'es2graphite-2013', 'default'] as const) {
        // 2.4.5 has no recording of cluster stats or pending tasks.
        const apis = API_NAMES.filter((api) => api !== 'cluster_stats' && api !== 'pending_tasks');
        const j2 = job(target([es.url], { naming, clusterName: 'legacy', apis: new Set(apis) }));
        const cycle = fakeCycle(j2.sanitize ? { sanitize: j2.sanitize } : {});
        await j2.run(cycle);
        assert.deepEqual(cycle.warnings, [], naming);
        const names = byName(cycle.lines());
        const cat = [...names.keys()].filter((name) =>
          /^es\.legacy\.[^.]+\.(disk\.|memory\.(heap|ram)|os\.load$|thread_pool\.(bulk|index|search)_[a-z]+$)/.test(
            name,
          ),
        );
        if (naming !== 'es2graphite') {
          assert.deepEqual(cat, [], naming);
          continue;
        }
        // The recorded 2.4.5 node: `Battering Ram` on host 172.17.0.4.
        assert.equal(names.get('es.legacy.battering_ram.disk.disk_total'), 63375708160);
        assert.equal(names.get('es.legacy.battering_ram.memory.heappercent'), 8);
        assert.equal(names.get('es.legacy.battering_ram.os.load'), 0.33);
        assert.equal(names.get('es.legacy.172_17_0_4.thread_pool.bulk_queue'), 0);
      }
      assert.equal(es.requestCount('/_cat/allocation'), 1, 'asked once, by the es2graphite scheme');
      assert.equal(es.requestCount('/_cat/nodes'), 1);
      assert.equal(es.requestCount('/_cat/thread_pool'), 1);
    } finally {
      await es.close();
    }
  });

  test('es2graphite naming through the job: lower-cased, status green = 2', async () => {
    const es = await startEsStandin({ version: '8.4.2' });
    try {
      const t = target([es.url], { naming: 'es2graphite', clusterName: 'Prod-EU' });
      const j2 = job(t);
      const cycle = fakeCycle({ sanitize: j2.sanitize! });
      await j2.run(cycle);
      const names = byName(cycle.lines());
      assert.equal(names.get('es.prod_eu.status'), 2);
      assert.equal(names.get('es.prod_eu.timed_out'), 0);
      assert.ok(names.has('es.prod_eu.instance_0000000005.jvm.mem.heap_used_in_bytes'));
      assert.ok(names.has('es.prod_eu.instance_0000000005.thread_pool.search.queue'));
      assert.ok(names.has('es.prod_eu.indices._all.primaries.docs.count'));
      assert.ok(names.has('es.prod_eu.indices.foo_1.total.search.query_total'));
    } finally {
      await es.close();
    }
  });

  describe('_status (es2graphite-2013 on ES < 2.0)', () => {
    // The 1.7.5 recordings hold no cluster stats and no pending tasks: not asked, so that the only
    // failing API is the one a test makes fail.
    const apis = new Set(API_NAMES.filter((api) => api !== 'cluster_stats' && api !== 'pending_tasks'));
    const job2013 = (url: string) => job(target([url], { naming: 'es2graphite-2013', apis }));

    test('1.7: each shard copy under its node, named as its node stats are', async () => {
      const es = await startEsStandin({ version: '1.7.5' });
      try {
        const clusterJob = job2013(es.url);
        const cycle = fakeCycle({ sanitize: clusterJob.sanitize! });
        await clusterJob.run(cycle);
        const names = byName(cycle.lines());
        assert.equal(es.requestCount('/_status'), 1);
        // The recorded node is called Overmind; the synthesised answer holds twitter's 5 primaries.
        for (const shard of [0, 1, 2, 3, 4]) {
          assert.equal(names.get(`es.test.indices.twitter.shards.${shard}.overmind.routing.state`), 2);
          assert.equal(names.get(`es.test.indices.twitter.shards.${shard}.overmind.routing.primary`), 1);
        }
        assert.equal(names.get('es.test.indices.twitter.index.primary_size_in_bytes'), 575);
        assert.equal(names.get('es.test.collector.errors.indices_status'), 0);
      } finally {
        await es.close();
      }
    });

    test('not asked from ES 2.0, nor in the other schemes', async () => {
      const es2 = await startEsStandin({ version: '2.4.5' });
      const es1 = await startEsStandin({ version: '1.7.5' });
      try {
        const cycle = fakeCycle();
        await job2013(es2.url).run(cycle);
        assert.equal(es2.requestCount('/_status'), 0);
        assert.equal(byName(cycle.lines()).has('es.test.collector.errors.indices_status'), false);
        for (const naming of ['default', 'es2graphite'] as const)
          await job(target([es1.url], { naming, apis })).run(fakeCycle());
        assert.equal(es1.requestCount('/_status'), 0);
      } finally {
        await es2.close();
        await es1.close();
      }
    });

    for (const status of [404, 400])
      test(`a cluster answering ${status} to /_status: the rest is sent, the problem logged once`, async () => {
        const es = await startEsStandin({ version: '1.7.5' });
        es.fault('/_status', { kind: 'status', status });
        try {
          const clusterJob = job2013(es.url);
          // The runtime keeps one problem log for the life of the agent; so does this test.
          const first = fakeCycle({ sanitize: clusterJob.sanitize! });
          const cycles = [first];
          for (let i = 1; i < 5; i++)
            cycles.push({ ...fakeCycle({ sanitize: clusterJob.sanitize! }), problems: first.problems });
          for (const cycle of cycles) {
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
          await es.close();
        }
      });
  });
});
