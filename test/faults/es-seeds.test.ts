/**
 * Elasticsearch seed faults over several cycles of the real es-collector: seeds going down and
 * hanging (failover, no gap in the points carbon stores), 429 and 503 bursts then recovery, and the
 * elected master moving between two `--local` collectors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AgentProcess, startAgent } from '../harness/agent.js';
import { type EsStandin, loadFixture, startEsStandin } from '../harness/es-standin.js';
import { sharedSkip } from '../harness/fixtures.js';
import { freePort, requireProgram, startCarbonCache } from '../harness/graphite.js';
import { checkCarbonLines, ES_CLI, logLines, untilPhase, waitUntil } from './helpers.js';

const skip = sharedSkip() ?? requireProgram('carbon-cache', 'graphite-carbon');

/** Timestamps (s) of one series in `--output stdout` text. */
function stamps(stdout: string, name: string): number[] {
  return checkCarbonLines(stdout, 'es')
    .points.filter((point) => point.name === name)
    .map((point) => point.timestampSec);
}

describe('es-collector: seed faults over several cycles', { skip }, () => {
  test('one of three seeds down, then one that accepts and never answers: failover, no gap in whisper', {
    timeout: 90_000,
  }, async (t) => {
    const carbon = await startCarbonCache();
    t.after(() => carbon.stop());
    const seeds = await Promise.all([startEsStandin(), startEsStandin(), startEsStandin()]);
    t.after(() => Promise.all(seeds.map((es) => es.close())));
    const [first, second, third] = seeds as [EsStandin, EsStandin, EsStandin];
    const httpPort = await freePort();
    const agent = startAgent(
      ES_CLI,
      [
        ...seeds.flatMap((es) => ['--es', es.url]),
        '--cluster',
        'failover',
        '--interval',
        '2s',
        '--es-timeout',
        '500ms',
        '--carbon',
        `127.0.0.1:${carbon.linePort}`,
        '--self-metrics',
        'false',
      ],
      { httpPort },
    );
    t.after(() => agent.stop());
    const metric = 'es.failover.cluster.health.status';
    await carbon.waitForPoints(metric, 2, 20_000);

    // The first seed goes away (connection refused): the second answers within the same cycle.
    await first.close();
    const runsBefore = (await agent.get('/status')).body.jobs.failover.runs as number;
    await agent.waitForStatus((s) => s.jobs.failover.runs >= runsBefore + 2, 15_000);
    assert.ok(second.requestCount('/_cluster/health') >= 2, 'the second seed took over');

    // The second seed now accepts and never answers: one request timeout, then the third seed.
    second.fault('*', { kind: 'hang' });
    const runsHang = (await agent.get('/status')).body.jobs.failover.runs as number;
    await agent.waitForStatus((s) => s.jobs.failover.runs >= runsHang + 3, 20_000);
    assert.ok(third.requestCount('/_cluster/health') >= 2, 'the third seed took over');
    const status = (await agent.get('/status')).body;
    assert.equal(status.jobs.failover.errors, 0, JSON.stringify(status.jobs));
    assert.equal(status.jobs.failover.skipped_ticks, 0);

    const runs = status.jobs.failover.runs as number;
    const points = await carbon.waitForPoints(metric, runs, 20_000);
    assert.equal(await agent.stop(), 0);
    const times = points.map(([ts]) => ts).sort((a, b) => a - b);
    const gaps = times.slice(1).filter((ts, i) => ts - times[i]! !== 2);
    assert.deepEqual(gaps, [], `points 2 s apart throughout: ${times.join(',')}`);
    const up = await carbon.fetch('es.failover.collector.up');
    assert.ok(
      up.length >= runs && up.every(([, value]) => value === 1),
      `collector.up: ${JSON.stringify(up)}`,
    );
    assert.doesNotMatch(agent.stderr(), /"level":(50|60)/);
  });

  test('429 then 503 bursts on every seed for a few cycles, then recovery', {
    timeout: 60_000,
  }, async (t) => {
    const seeds = await Promise.all([startEsStandin(), startEsStandin()]);
    t.after(() => Promise.all(seeds.map((es) => es.close())));
    const httpPort = await freePort();
    const agent = startAgent(
      ES_CLI,
      [
        ...seeds.flatMap((es) => ['--es', es.url]),
        '--cluster',
        'burst',
        '--interval',
        '1s',
        '--output',
        'stdout',
        '--self-metrics',
        'false',
      ],
      { httpPort },
    );
    t.after(() => agent.stop());
    const runs = async () => (await agent.get('/status')).body.jobs.burst.runs as number;
    await agent.waitForStatus((s) => s.jobs.burst.runs >= 2);
    const phase = async (fault: Parameters<EsStandin['fault']>[1], cycles: number) => {
      await untilPhase(1000, 500);
      for (const es of seeds) es.fault('*', fault);
      const from = await runs();
      await agent.waitForStatus((s) => s.jobs.burst.runs >= from + cycles, 15_000);
    };
    await phase({ kind: 'status', status: 429 }, 3);
    await phase({ kind: 'status', status: 503 }, 3);
    await phase(undefined, 3);
    assert.equal(await agent.stop(), 0);

    const stdout = agent.stdout();
    const { problems, points } = checkCarbonLines(stdout, 'es');
    assert.deepEqual(problems.slice(0, 10), []);
    const up = points.filter((point) => point.name === 'es.burst.collector.up');
    const values = up.map((point) => point.value).join('');
    // Up, then down through both bursts, then up again: one point every cycle, none skipped.
    assert.match(values, /^1+0{5,}1{2,}$/, `collector.up over time: ${values}`);
    const times = up.map((point) => point.timestampSec);
    assert.deepEqual(
      times.slice(1).filter((ts, i) => ts - times[i]! !== 1),
      [],
      `collector.up every second: ${times.join(',')}`,
    );
    // While down, the health series is absent rather than stale.
    const downAt = new Set(up.filter((point) => point.value === 0).map((point) => point.timestampSec));
    assert.ok(stamps(stdout, 'es.burst.cluster.health.status').every((ts) => !downAt.has(ts)));

    // Not one log line per failed cycle: one when it starts failing, one when the reason changes
    // (429 → 503), one when it recovers.
    const logs = logLines(agent.stderr());
    const failed = logs.filter((entry) => entry.problem === 'job burst' && entry.level === 40);
    assert.ok(
      failed.length >= 2 && failed.length <= 3,
      `"cycle failed" lines:\n${failed.map((e) => e.reason).join('\n')}`,
    );
    assert.match(failed[0]!.reason, /HTTP 429/);
    assert.match(failed.at(-1)!.reason, /HTTP 503/);
    assert.equal(logs.filter((entry) => entry.problem === 'job burst' && entry.level === 30).length, 1);
  });
});

/** A one-node `_nodes/_local/stats` answer for a node with this id and name. */
function localNode(id: string, name: string): unknown {
  const body = loadFixture('netdata_go.d/8.4.2/nodes_local_stats.json') as {
    nodes: Record<string, Record<string, unknown>>;
  };
  const template = Object.values(body.nodes)[0]!;
  return { ...body, nodes: { [id]: { ...template, name } } };
}

describe('es-collector --local: the elected master moves between cycles', { skip }, () => {
  const NODE_A = 'nodeAAAAAAAAAAAAAAAAAA';
  const NODE_B = 'nodeBBBBBBBBBBBBBBBBBB';
  const nodes: EsStandin[] = [];
  const agents: AgentProcess[] = [];
  /** Each collector's own `collector.up`: with --local it sits under the node the collector reads. */
  const OWN_UP = ['es.local.nodes.es-a.collector.up', 'es.local.nodes.es-b.collector.up'];
  /** Which node is master, per switch time (ms), for reading the results. */
  const switches: Array<{ atMs: number; master: string }> = [];
  let outputs: string[] = [];

  before(async () => {
    const master = (id: string) => ({ cluster_name: 'local', master_node: id });
    nodes.push(
      await startEsStandin({
        bodies: { nodes_local_stats: localNode(NODE_A, 'es-a'), master_node: master(NODE_A) },
      }),
      await startEsStandin({
        bodies: { nodes_local_stats: localNode(NODE_B, 'es-b'), master_node: master(NODE_A) },
      }),
    );
    for (const node of nodes) {
      agents.push(
        startAgent(ES_CLI, [
          '--es',
          node.url,
          '--local',
          '--cluster',
          'local',
          '--interval',
          '1s',
          '--output',
          'stdout',
          '--self-metrics',
          'false',
        ]),
      );
    }
    const cycles = (i: number) => new Set(stamps(agents[i]!.stdout(), OWN_UP[i]!)).size;
    await waitUntil(
      'both agents polling',
      () => (agents.every((_, i) => cycles(i) >= 2) ? true : undefined),
      20_000,
    );
    // Switch between ticks (half a second after one), so no cycle sees half of a switch.
    for (const id of [NODE_B, NODE_A]) {
      await sleep(2500);
      await untilPhase(1000, 500);
      for (const node of nodes) node.setBody('master_node', master(id));
      switches.push({ atMs: Date.now(), master: id });
    }
    await sleep(3000);
    await untilPhase(1000, 500);
    for (const agent of agents) assert.equal(await agent.stop(), 0, agent.stderr().slice(-2000));
    outputs = agents.map((agent) => agent.stdout());
  });
  after(async () => {
    await Promise.all(agents.map((agent) => agent.stop()));
    await Promise.all(nodes.map((node) => node.close()));
  });

  /** Cycle timestamps both agents reported. */
  const commonStamps = () => {
    const [a, b] = outputs.map((out, i) => new Set(stamps(out, OWN_UP[i]!)));
    return [...a!].filter((ts) => b!.has(ts)).sort();
  };

  test('cluster-wide metrics come from exactly one of them every cycle, following the master', () => {
    const common = commonStamps();
    assert.ok(common.length >= 8, `cycles both ran: ${common.length}`);
    const health = outputs.map((out) => new Set(stamps(out, 'es.local.cluster.health.status')));
    const owner = common.map((ts) => {
      const senders = health.map((set, i) => (set.has(ts) ? 'ab'[i] : '')).join('');
      assert.equal(senders.length, 1, `cluster.health.status at ${ts} sent by "${senders}"`);
      return senders;
    });
    // a (master), then b, then a again.
    assert.match(owner.join(''), /^a+b+a+$/, `sender per cycle: ${owner.join('')}`);
    for (const name of ['cluster.stats.nodes.count.total', 'cluster.pending_tasks.count']) {
      const sent = outputs.flatMap((out) => stamps(out, `es.local.${name}`));
      assert.equal(sent.length, new Set(sent).size, `${name} never twice for one cycle`);
    }
  });

  test('each node is reported by its own collector only', () => {
    assert.ok(stamps(outputs[0]!, 'es.local.nodes.es-a.jvm.mem.heap_used_percent').length >= 8);
    assert.ok(stamps(outputs[1]!, 'es.local.nodes.es-b.jvm.mem.heap_used_percent').length >= 8);
    assert.equal(stamps(outputs[0]!, 'es.local.nodes.es-b.jvm.mem.heap_used_percent').length, 0);
  });

  test('no series is written by both collectors for the same cycle', () => {
    const common = new Set(commonStamps());
    const keys = outputs.map(
      (out) =>
        new Set(
          checkCarbonLines(out, 'es')
            .points.filter((point) => common.has(point.timestampSec))
            .map((point) => `${point.name} ${point.timestampSec}`),
        ),
    );
    const both = [...keys[0]!].filter((key) => keys[1]!.has(key));
    const names = [...new Set(both.map((key) => key.split(' ')[0]!))];
    const areas = [...new Set(names.map((name) => name.split('.').slice(0, 4).join('.')))];
    assert.deepEqual(
      areas,
      [],
      `${names.length} series written by both --local collectors, e.g. ${names.slice(0, 5).join(', ')}`,
    );
  });
});
