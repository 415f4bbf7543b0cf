import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AgentProcess, startAgent } from '../harness/agent.js';
import { type Dockerd, dockerSkip, sharedDockerd, type TestContainer } from '../harness/dockerd.js';
import { startEsStandin } from '../harness/es-standin.js';
import { sharedSkip } from '../harness/fixtures.js';
import { type CarbonCache, freePort, requireProgram, startCarbonCache } from '../harness/graphite.js';
import { type PrometheusServer, promtoolCheckMetrics, startPrometheus } from '../harness/prometheus.js';

/**
 * A real Prometheus scrapes each agent on loopback while it sends to a real carbon-cache: for series
 * of every kind (gauge, counter, summary, health flags, aggregates, the collector's own), the value
 * PromQL returns from a scrape equals the point carbon stored for the cycle that scrape showed
 * (`stoker_job_last_cycle_timestamp_seconds` of the same scrape names it), times the unit factor.
 */
const prometheusSkip = requireProgram('prometheus', 'prometheus') ?? requireProgram('promtool', 'prometheus');

/** One check: a Graphite name, the PromQL selector of the same figure, and Graphite / Prometheus. */
interface Pair {
  graphite: string;
  promql: string;
  factor?: number;
}

/**
 * Scrapes of the last 30 s: per scrape, the cycle it showed and the value of `pair.promql`; each
 * compared with carbon's point at that cycle. At least `minScrapes` scrapes must be compared.
 */
async function assertSameAsCarbon(
  prometheus: PrometheusServer,
  carbon: CarbonCache,
  agentJob: string,
  pairs: readonly Pair[],
  minScrapes = 2,
): Promise<void> {
  const [cycles] = await prometheus.samples(
    `stoker_job_last_cycle_timestamp_seconds{agent_job="${agentJob}"}`,
    '30s',
  );
  assert.ok(cycles, `no stoker_job_last_cycle_timestamp_seconds{agent_job="${agentJob}"} scraped`);
  const cycleAt = new Map(cycles.values.map(([at, value]) => [at, Number(value)]));
  for (const pair of pairs) {
    const series = await prometheus.samples(pair.promql, '30s');
    assert.equal(series.length, 1, `${pair.promql}: ${series.length} series, want 1`);
    const points = new Map(await carbon.fetch(pair.graphite));
    let compared = 0;
    for (const [at, value] of series[0]!.values) {
      const cycle = cycleAt.get(at);
      const stored = cycle === undefined ? undefined : points.get(cycle);
      if (stored === undefined) continue; // a cycle whose points carbon has not written yet
      const expected = Number(value) * (pair.factor ?? 1);
      assert.ok(
        Math.abs(stored - expected) <= 1e-9 * Math.max(1, Math.abs(stored)),
        `${pair.graphite} at ${cycle}: carbon ${stored}, Prometheus ${pair.promql} ${value}`,
      );
      compared++;
    }
    assert.ok(compared >= minScrapes, `${pair.graphite}: only ${compared} scrapes matched a stored cycle`);
  }
}

/** Waits until Prometheus holds `count` scrapes of the agent (bounded). */
async function untilScraped(prometheus: PrometheusServer, agentJob: string, count: number): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const [series] = await prometheus.samples(
      `stoker_job_last_cycle_timestamp_seconds{agent_job="${agentJob}"}`,
      '30s',
    );
    if ((series?.values.length ?? 0) >= count) return;
    await sleep(200);
  }
  throw new Error(`Prometheus never scraped ${count} cycles of ${agentJob}`);
}

async function settled(agent: AgentProcess): Promise<void> {
  await agent.waitForStatus((status) =>
    Object.values(status.jobs as Record<string, { runs: number }>).some((job) => job.runs >= 1),
  );
}

describe('Prometheus scrapes es-collector', {
  skip: sharedSkip() ?? prometheusSkip ?? requireProgram('carbon-cache', 'graphite-carbon'),
}, () => {
  test('PromQL returns the values carbon got in the same cycle; promtool clean', async (t) => {
    const carbon = await startCarbonCache();
    t.after(() => carbon.stop());
    const es = await startEsStandin({ version: '8.4.2' });
    t.after(() => es.close());
    const port = await freePort();
    const agent = startAgent(
      'packages/es-collector/src/cli.ts',
      [
        '--es',
        es.url,
        '--cluster',
        'prod',
        '--interval',
        '1s',
        '--carbon',
        `127.0.0.1:${carbon.linePort}`,
        '--metrics',
      ],
      { httpPort: port },
    );
    t.after(() => agent.stop());
    await settled(agent);
    const prometheus = await startPrometheus({ es: `127.0.0.1:${port}` });
    t.after(() => prometheus.stop());
    await untilScraped(prometheus, 'prod', 6);
    const node = 'instance-0000000005';
    await carbon.waitForPoints('es.prod.collector.duration_ms', 4);
    await assertSameAsCarbon(prometheus, carbon, 'prod', [
      // Changes every cycle: only the same cycle's point matches.
      {
        graphite: 'es.prod.collector.duration_ms',
        promql: 'stoker_es_collector_duration_seconds{cluster="prod"}',
        factor: 1000,
      },
      { graphite: 'es.prod.collector.up', promql: 'stoker_es_collector_up{cluster="prod"}' },
      {
        graphite: 'es.prod.cluster.health.status_green',
        promql: 'elasticsearch_cluster_health_status{cluster="prod",color="green"}',
      },
      {
        graphite: 'es.prod.cluster.health.active_shards',
        promql: 'elasticsearch_cluster_health_active_shards{cluster="prod"}',
      },
      {
        graphite: `es.prod.nodes.${node}.jvm.mem.heap_used_in_bytes`,
        promql: `elasticsearch_jvm_memory_used_bytes{area="heap",name="${node}"}`,
      },
      {
        graphite: `es.prod.nodes.${node}.jvm.gc.collectors.young.collection_time_in_millis`,
        promql: `elasticsearch_jvm_gc_collection_seconds_sum{gc="young",name="${node}"}`,
        factor: 1000,
      },
      {
        graphite: `es.prod.nodes.${node}.jvm.gc.collectors.young.collection_count`,
        promql: `elasticsearch_jvm_gc_collection_seconds_count{gc="young",name="${node}"}`,
      },
      {
        graphite: `es.prod.nodes.${node}.thread_pool.search.completed`,
        promql: `elasticsearch_thread_pool_completed_count{type="search",name="${node}"}`,
      },
      {
        graphite: `es.prod.nodes.${node}.indices.indexing.index_total`,
        promql: `elasticsearch_indices_indexing_index_total{name="${node}"}`,
      },
      {
        graphite: `es.prod.nodes.${node}.jvm.threads.count`,
        promql: `stoker_es_node_jvm_threads{node="${node}"}`,
      },
      {
        graphite: `es.prod.nodes.${node}.derived.heap_used_percent`,
        promql: `stoker_es_node_heap_used_percent{node="${node}"}`,
      },
      {
        graphite: 'es.prod.indices._all.primaries.docs.count',
        promql: 'stoker_es_index_docs{index="_all",shards="primaries"}',
      },
      {
        graphite: 'es.prod.indices.foo_1.primaries.docs.count',
        promql: 'elasticsearch_indices_docs_primary{index="foo_1"}',
      },
      {
        graphite: 'es.prod.indices.foo_1.total.refresh.total_time_in_millis',
        promql: 'elasticsearch_index_stats_refresh_time_seconds_total{index="foo_1"}',
        factor: 1000,
      },
      {
        graphite: 'es.prod.indices.foo_1.total.indexing.is_throttled',
        promql: 'stoker_es_index_indexing_is_throttled{index="foo_1",shards="total"}',
      },
      {
        graphite: 'es.prod.aggregates.all.heap_used_percent.max',
        promql: 'stoker_es_nodes_heap_used_percent{role="all",stat="max"}',
      },
    ]);
    const exposition = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const { findings } = await promtoolCheckMetrics(exposition);
    assert.deepEqual(
      findings.filter((finding) => !finding.startsWith('elasticsearch_')),
      [],
      'promtool findings outside the names kept from elasticsearch_exporter',
    );
  });
});

describe('Prometheus scrapes container-collector', {
  skip: dockerSkip() ?? prometheusSkip ?? requireProgram('carbon-cache', 'graphite-carbon'),
}, () => {
  let dockerd: Dockerd;
  let task: TestContainer;
  let unlimited: TestContainer;
  before(async () => {
    dockerd = await sharedDockerd();
    task = await dockerd.run({
      name: 'prom-task',
      cmd: 'sleep 3600',
      memoryBytes: 64 * 1024 * 1024,
      env: { MARATHON_APP_ID: '/es/prom/data', MESOS_TASK_ID: 'es_prom_data.abc-123' },
    });
    unlimited = await dockerd.run({
      name: 'prom-unlimited',
      cmd: 'sleep 3600',
      env: { MARATHON_APP_ID: '/es/prom/free', MESOS_TASK_ID: 'es_prom_free.def-456' },
    });
  });
  after(async () => {
    await task?.remove();
    await unlimited?.remove();
  });

  test('PromQL returns the values carbon got in the same cycle, cAdvisor names; promtool clean', async (t) => {
    const carbon = await startCarbonCache();
    t.after(() => carbon.stop());
    const port = await freePort();
    const agent = startAgent(
      'packages/container-collector/src/cli.ts',
      [
        '--docker',
        dockerd.address,
        '--host-name',
        'h1',
        '--interval',
        '1s',
        '--carbon',
        `127.0.0.1:${carbon.linePort}`,
        '--metrics',
      ],
      { httpPort: port },
    );
    t.after(() => agent.stop());
    await settled(agent);
    const prometheus = await startPrometheus({ containers: `127.0.0.1:${port}` });
    t.after(() => prometheus.stop());
    await untilScraped(prometheus, 'containers', 6);
    const base = 'containers.h1.apps.es_prom_data';
    const container = `{mesos_task="es_prom_data.abc-123",name="prom-task",marathon_app="/es/prom/data"}`;
    await carbon.waitForPoints(`${base}.tasks.abc-123.memory.usage_bytes`, 4);
    await assertSameAsCarbon(prometheus, carbon, 'containers', [
      {
        graphite: `${base}.tasks.abc-123.memory.working_set_bytes`,
        promql: `container_memory_working_set_bytes${container}`,
      },
      {
        graphite: `${base}.tasks.abc-123.memory.usage_bytes`,
        promql: `container_memory_usage_bytes${container}`,
      },
      {
        graphite: `${base}.tasks.abc-123.memory.limit_bytes`,
        promql: `container_spec_memory_limit_bytes${container}`,
      },
      {
        graphite: `${base}.tasks.abc-123.memory.oom_kills`,
        promql: `stoker_container_memory_oom_kills_total${container}`,
      },
      {
        graphite: `${base}.tasks.abc-123.lifecycle.oom_kills_total`,
        promql: `container_oom_events_total${container}`,
      },
      {
        graphite: `${base}.tasks.abc-123.lifecycle.exits_total`,
        promql: `stoker_container_exits_total${container}`,
      },
      {
        graphite: `${base}.lifecycle.task_starts_total`,
        promql: 'stoker_app_task_starts_total{marathon_app="/es/prom/data"}',
      },
      { graphite: `${base}.tasks.abc-123.pids.current`, promql: `stoker_container_pids${container}` },
      { graphite: `${base}.instances`, promql: 'stoker_app_instances{marathon_app="/es/prom/data"}' },
      { graphite: `${base}.cpu.cores`, promql: 'stoker_app_cpu_cores{marathon_app="/es/prom/data"}' },
      { graphite: 'containers.h1.all.instances', promql: 'stoker_containers' },
      { graphite: 'containers.h1.host.memory.total_bytes', promql: 'stoker_host_memory_total_bytes' },
    ]);
    const [usage] = await prometheus.query(`container_cpu_usage_seconds_total${container}`);
    assert.ok(usage && Number(usage.value[1]) >= 0, 'cumulative CPU seconds scraped');
    assert.equal(usage.metric.id, `/docker/${task.id}`);
    const exposition = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.deepEqual((await promtoolCheckMetrics(exposition)).findings, [], 'promtool check metrics');
    assertCadvisorLabels(exposition, 'prom-task');
    assertCadvisorLabels(exposition, 'prom-unlimited');

    // cAdvisor's spec limits: 0 where none is set (lib/metrics/prometheus.go specMemoryValue), as for
    // a container started without --memory; the harness gives --memory-swap the memory limit.
    const specs = async (name: string) =>
      Object.fromEntries(
        await Promise.all(
          ['limit', 'swap_limit', 'reservation_limit'].map(async (spec) => {
            const series = await prometheus.query(`container_spec_memory_${spec}_bytes{name="${name}"}`);
            assert.equal(series.length, 1, `container_spec_memory_${spec}_bytes of ${name}`);
            return [spec, Number(series[0]!.value[1])];
          }),
        ),
      );
    assert.deepEqual(await specs('prom-unlimited'), { limit: 0, swap_limit: 0, reservation_limit: 0 });
    assert.deepEqual(await specs('prom-task'), {
      limit: 64 * 1024 * 1024,
      swap_limit: 64 * 1024 * 1024,
      reservation_limit: 0,
    });
  });
});

/**
 * cAdvisor's label set per name (google/cadvisor lib/metrics/prometheus.go at 6a0c4f25, v0.60.x):
 * `id`, `name`, `image` and the name's own label, plus Marathon's two (in any order). Names every
 * container has must be there; any other cAdvisor name present must carry exactly its set.
 */
const CADVISOR_EXTRA_LABEL: Readonly<Record<string, string | null>> = {
  container_cpu_usage_seconds_total: 'cpu',
  container_cpu_user_seconds_total: null,
  container_cpu_system_seconds_total: null,
  container_cpu_cfs_periods_total: null,
  container_cpu_cfs_throttled_periods_total: null,
  container_cpu_cfs_throttled_seconds_total: null,
  container_memory_usage_bytes: null,
  container_memory_working_set_bytes: null,
  container_memory_rss: null,
  container_memory_cache: null,
  container_memory_mapped_file: null,
  container_memory_swap: null,
  container_spec_memory_limit_bytes: null,
  container_spec_memory_swap_limit_bytes: null,
  container_spec_memory_reservation_limit_bytes: null,
  container_oom_events_total: null,
  container_fs_reads_bytes_total: 'device',
  container_fs_writes_bytes_total: 'device',
  container_fs_reads_total: 'device',
  container_fs_writes_total: 'device',
  container_network_receive_bytes_total: 'interface',
  container_network_transmit_bytes_total: 'interface',
  container_network_receive_packets_total: 'interface',
  container_network_transmit_packets_total: 'interface',
  container_network_receive_errors_total: 'interface',
  container_network_transmit_errors_total: 'interface',
  container_network_receive_packets_dropped_total: 'interface',
  container_network_transmit_packets_dropped_total: 'interface',
};
const ALWAYS_THERE = [
  'container_cpu_usage_seconds_total',
  'container_cpu_user_seconds_total',
  'container_cpu_system_seconds_total',
  'container_memory_usage_bytes',
  'container_memory_working_set_bytes',
  'container_spec_memory_limit_bytes',
  'container_spec_memory_swap_limit_bytes',
  'container_spec_memory_reservation_limit_bytes',
];

function assertCadvisorLabels(exposition: string, containerName: string): void {
  const seen = new Set<string>();
  for (const line of exposition.split('\n')) {
    const match = /^(container_\w+)\{(.*)\} \S+$/.exec(line);
    if (!match || !match[2]!.includes(`name="${containerName}"`)) continue;
    const [, name, body] = match as unknown as [string, string, string];
    assert.ok(name in CADVISOR_EXTRA_LABEL, `${name} is not a cAdvisor name Stoker claims`);
    seen.add(name);
    const keys = [...body.matchAll(/(\w+)="/g)].map((m) => m[1]).sort();
    const extra = CADVISOR_EXTRA_LABEL[name];
    assert.deepEqual(
      keys,
      ['id', 'name', 'image', ...(extra ? [extra] : []), 'marathon_app', 'mesos_task'].sort(),
      `labels of ${line}`,
    );
    if (name === 'container_cpu_usage_seconds_total') assert.match(body, /cpu="total"/);
  }
  for (const name of ALWAYS_THERE) assert.ok(seen.has(name), `${name} exposed for ${containerName}`);
}
