/**
 * The shipped alert rules, both forms.
 *
 * Prometheus (docker/prometheus/alerts.yml): `promtool check rules`, then `promtool test rules` on
 * docker/prometheus/tests/*.yml, whose cases must make every alert fire and stay quiet at least once.
 *
 * Graphite (docker/grafana/alerts.yaml, for Grafana alerting): every target is rendered by a real
 * graphite-web over a real carbon-cache, reduced and compared with its threshold as Grafana does, and
 * each rule must fire for the series of its firing case and stay quiet (with data) for its quiet case.
 * The series come from the real agents: es-collector polls ES stand-ins serving recorded 8.4.2
 * answers, edited to be red, yellow, master-less or strained (heap, disk, old GC, rejections, pending
 * tasks) or left healthy; container-collector reads a private dockerd running busybox tasks of
 * Marathon apps (one CPU-bound under a 0.02 CPU quota, one idle, one losing a task, one losing its
 * only task). Two kinds of series are fed to carbon directly instead: the lifecycle counters
 * (`oom_kills_total`, `restarts_total`, `task_exits_total`) with the values and times each case
 * needs (the agent's own start at 0 with it), and the self-metrics of a collector that stopped ten
 * minutes ago.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml } from 'yaml';
import { type AgentProcess, startAgent } from '../harness/agent.js';
import { type Dockerd, dockerSkip, sharedDockerd, type TestContainer } from '../harness/dockerd.js';
import {
  advanceNodesStats,
  ES_VERSIONS,
  type EsStandin,
  loadFixture,
  type NodeCounter,
  type NodesStatsBody,
  refusedPort,
  startEsStandin,
} from '../harness/es-standin.js';
import { repoRoot, sharedSkip } from '../harness/fixtures.js';
import {
  type CarbonCache,
  type GraphiteWeb,
  requireProgram,
  startCarbonCache,
  startGraphiteWeb,
} from '../harness/graphite.js';

const PROMETHEUS_DIR = join(repoRoot, 'docker', 'prometheus');
const RULES_FILE = join(PROMETHEUS_DIR, 'alerts.yml');
const PROMTOOL_TESTS_DIR = join(PROMETHEUS_DIR, 'tests');
const GRAPHITE_ALERTS_FILE = join(repoRoot, 'docker', 'grafana', 'alerts.yaml');

interface PrometheusRule {
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
}

interface GraphiteAlert {
  alert: string;
  target: string;
  window: string;
  reduce: 'last' | 'avg' | 'sum' | 'count';
  is: 'above' | 'below';
  threshold: number;
  for: string;
  no_data: 'alerting' | 'ok';
  severity: string;
}

function prometheusAlerts(): PrometheusRule[] {
  const file = parseYaml(readFileSync(RULES_FILE, 'utf8')) as { groups: Array<{ rules: PrometheusRule[] }> };
  return file.groups.flatMap((group) => group.rules).filter((rule) => rule.alert);
}

function graphiteAlerts(): GraphiteAlert[] {
  return (parseYaml(readFileSync(GRAPHITE_ALERTS_FILE, 'utf8')) as { alerts: GraphiteAlert[] }).alerts;
}

/**
 * Prometheus rules with no Graphite twin, and why: a collector that was never there at all is the
 * Graphite rule's "no data", which `no_data: alerting` of its *CollectorDown rule already covers.
 */
const PROMETHEUS_ONLY: Readonly<Record<string, string>> = {
  EsCollectorAbsent: 'EsCollectorDown',
  ContainerCollectorAbsent: 'ContainerCollectorDown',
};

describe('Prometheus alert rules', { skip: requireProgram('promtool', 'prometheus') }, () => {
  test('promtool check rules: the rule file is valid', () => {
    const result = spawnSync('promtool', ['check', 'rules', RULES_FILE], { encoding: 'utf8' });
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  });

  test('promtool test rules: every unit test case passes', () => {
    const files = readdirSync(PROMTOOL_TESTS_DIR)
      .filter((file) => file.endsWith('.yml'))
      .map((file) => join(PROMTOOL_TESTS_DIR, file));
    assert.ok(files.length > 0, `no tests in ${PROMTOOL_TESTS_DIR}`);
    const result = spawnSync('promtool', ['test', 'rules', ...files], { encoding: 'utf8' });
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  });

  test('the unit tests make every alert both fire and stay quiet', () => {
    const seen = new Map<string, { fires: boolean; quiet: boolean }>();
    for (const file of readdirSync(PROMTOOL_TESTS_DIR).filter((name) => name.endsWith('.yml'))) {
      const tests = (
        parseYaml(readFileSync(join(PROMTOOL_TESTS_DIR, file), 'utf8')) as {
          tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
        }
      ).tests;
      for (const check of tests.flatMap((t) => t.alert_rule_test ?? [])) {
        const entry = seen.get(check.alertname) ?? { fires: false, quiet: false };
        if ((check.exp_alerts ?? []).length > 0) entry.fires = true;
        else entry.quiet = true;
        seen.set(check.alertname, entry);
      }
    }
    const missing = prometheusAlerts().flatMap(({ alert }) => {
      const entry = seen.get(alert!);
      return [
        ...(entry?.fires ? [] : [`${alert} never fires`]),
        ...(entry?.quiet ? [] : [`${alert} is never checked quiet`]),
      ];
    });
    assert.deepEqual(missing, []);
  });
});

describe('Graphite alert rules: the file', () => {
  const DURATION = /^\d+[smh]$/;

  test('every entry is complete, and the rules are those of the Prometheus file', () => {
    const problems: string[] = [];
    const graphite = graphiteAlerts();
    for (const rule of graphite) {
      const say = (what: string) => problems.push(`${rule.alert ?? '(unnamed)'}: ${what}`);
      if (typeof rule.target !== 'string' || rule.target.trim() === '') say('no target');
      if (!DURATION.test(rule.window ?? '')) say(`window ${rule.window}`);
      if (!DURATION.test(rule.for ?? '')) say(`for ${rule.for}`);
      if (!['last', 'avg', 'sum', 'count'].includes(rule.reduce)) say(`reduce ${rule.reduce}`);
      if (!['above', 'below'].includes(rule.is)) say(`is ${rule.is}`);
      if (typeof rule.threshold !== 'number') say(`threshold ${rule.threshold}`);
      if (!['alerting', 'ok'].includes(rule.no_data)) say(`no_data ${rule.no_data}`);
    }
    const prometheus = new Map(prometheusAlerts().map((rule) => [rule.alert!, rule]));
    for (const rule of graphite) {
      const twin = prometheus.get(rule.alert);
      if (!twin) problems.push(`${rule.alert}: no Prometheus rule of that name`);
      else {
        if ((twin.for ?? '0s') !== rule.for)
          problems.push(`${rule.alert}: for ${rule.for}, Prometheus ${twin.for}`);
        if (twin.labels?.severity !== rule.severity)
          problems.push(`${rule.alert}: severity ${rule.severity}, Prometheus ${twin.labels?.severity}`);
      }
    }
    const names = new Set(graphite.map((rule) => rule.alert));
    for (const name of prometheus.keys()) {
      if (!names.has(name) && !names.has(PROMETHEUS_ONLY[name] ?? ''))
        problems.push(`${name}: in the Prometheus file only`);
    }
    assert.deepEqual(problems, [], `\n${problems.join('\n')}`);
  });
});

// ---- the Graphite rules evaluated as Grafana does --------------------------------------------------

type Outcome = { state: 'firing' | 'quiet' | 'no data'; value?: number };

/** Graphite's relative time for a rule's window: `5m` → `-5min`. */
function graphiteFrom(window: string): string {
  const [, amount, unit] = /^(\d+)([smh])$/.exec(window)!;
  return `-${amount}${{ s: 's', m: 'min', h: 'h' }[unit as 's' | 'm' | 'h']}`;
}

function reduce(how: GraphiteAlert['reduce'], values: number[]): number | undefined {
  if (how === 'count') return values.length;
  if (values.length === 0) return undefined;
  if (how === 'last') return values.at(-1);
  const sum = values.reduce((a, b) => a + b, 0);
  return how === 'sum' ? sum : sum / values.length;
}

/**
 * One evaluation of a rule, per series of its target: Grafana's Reduce (non-numeric values dropped)
 * and Threshold. A series without a value is judged by `no_data`. The pending period (`for`) is
 * Grafana's state machine over successive evaluations and is not played here; the promtool tests
 * play the Prometheus twins' `for`.
 */
async function evaluate(web: GraphiteWeb, rule: GraphiteAlert): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>();
  for (const series of await web.render(rule.target, graphiteFrom(rule.window))) {
    const values = series.datapoints.map(([value]) => value).filter((v): v is number => v !== null);
    const value = reduce(rule.reduce, values);
    if (value === undefined) {
      outcomes.set(series.target, { state: rule.no_data === 'alerting' ? 'firing' : 'no data' });
      continue;
    }
    const firing = rule.is === 'above' ? value > rule.threshold : value < rule.threshold;
    outcomes.set(series.target, { state: firing ? 'firing' : 'quiet', value });
  }
  return outcomes;
}

/**
 * What carbon keeps: the series the rules read (and those the test waits for). Six clusters' every
 * node statistic would make carbon create thousands of whisper files first, on a shared machine.
 */
const STORED = [
  String.raw`^es\.[^.]+\.cluster\.health\.`,
  String.raw`^es\.[^.]+\.collector\.(up|errors\.cluster_health)$`,
  String.raw`^es\.[^.]+\.nodes\.[^.]+\.(derived|rates\.gc|rates\.thread_pool)\.`,
  String.raw`^(es\.es-collector|containers\.container-collector)\.[^.]+\.self\.jobs\.`,
  String.raw`^containers\.[^.]+\.apps\.[^.]+\.(instances|cpu\.throttled_ratio|lifecycle\.[a-z_]+)$`,
];

const HOST = 'alerts-host';
const INSTANCE = 'alerts-host';
const MiB = 1024 * 1024;

/**
 * Per rule, series (a whole name, or a part of one such as `es.red.`) that must fire, and series that
 * must be evaluated and stay quiet. Every part must match at least one series.
 */
const CASES: Readonly<Record<string, { fires: string[]; quiet: string[] }>> = {
  ElasticsearchClusterRed: { fires: ['es.red.'], quiet: ['es.green.', 'es.yellow.'] },
  ElasticsearchClusterYellowTooLong: { fires: ['es.yellow.'], quiet: ['es.green.', 'es.red.'] },
  EsCollectorDown: { fires: ['es.es-collector.gone.'], quiet: [`es.es-collector.${INSTANCE}.`] },
  ElasticsearchClusterUnreachable: {
    fires: ['es.unreachable.'],
    quiet: ['es.green.', 'es.nomaster.'],
  },
  ElasticsearchNoMaster: { fires: ['nomaster'], quiet: ['green', 'unreachable'] },
  ElasticsearchHeapHigh: { fires: ['es.strained.'], quiet: ['es.green.'] },
  ElasticsearchOldGcTimeHigh: { fires: ['es.strained.'], quiet: ['es.green.'] },
  ElasticsearchDiskAboveHighWatermark: { fires: ['es.strained.'], quiet: ['es.green.'] },
  ElasticsearchThreadPoolRejections: {
    fires: ['es.strained.nodes.instance-0000000005.rates.thread_pool.write.'],
    quiet: ['es.green.'],
  },
  ElasticsearchPendingTasksPilingUp: { fires: ['es.strained.'], quiet: ['es.green.'] },
  ContainerCollectorDown: {
    fires: ['containers.container-collector.gone.'],
    quiet: [`containers.container-collector.${INSTANCE}.`],
  },
  ContainerOomKilled: { fires: ['.apps.alerts_oom.'], quiet: ['.apps.alerts_calm.'] },
  ContainerRestarting: { fires: ['.apps.alerts_restarting.'], quiet: ['.apps.alerts_calm.'] },
  AppTasksExiting: { fires: ['alerts_crashloop'], quiet: ['alerts_calm'] },
  AppBelowInstanceCount: {
    fires: ['alerts_shrinking', 'alerts_vanishing'],
    quiet: ['alerts_hot', 'alerts_idle'],
  },
  ContainerCpuThrottled: { fires: ['.apps.alerts_hot.'], quiet: ['.apps.alerts_idle.'] },
};

/** Every node near the end of its heap and its disk. */
function strained(recorded: NodesStatsBody): NodesStatsBody {
  const body = structuredClone(recorded);
  for (const node of Object.values(body.nodes)) {
    node.jvm.mem.heap_used_in_bytes = Math.round(node.jvm.mem.heap_max_in_bytes * 0.95);
    node.fs.total.available_in_bytes = Math.round(node.fs.total.total_in_bytes * 0.05);
    node.fs.total.free_in_bytes = node.fs.total.available_in_bytes;
  }
  return body;
}

const NORMAL_COUNTERS: readonly NodeCounter[] = [['jvm.gc.collectors.young.collection_time_in_millis', 30]];
const STRAINED_COUNTERS: readonly NodeCounter[] = [
  ...NORMAL_COUNTERS,
  // 200 ms of old GC per second: 12 s a minute.
  ['jvm.gc.collectors.old.collection_time_in_millis', 200],
  ['jvm.gc.collectors.old.collection_count', 1],
  ['thread_pool.write.rejected', 1],
];

/** What ES answers on the cluster-level APIs while no master is elected. */
const NO_MASTER_BODY = JSON.stringify({
  error: {
    root_cause: [{ type: 'master_not_discovered_exception', reason: null }],
    type: 'master_not_discovered_exception',
    reason: null,
  },
  status: 503,
});

function sendToCarbon(port: number, lines: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.end(`${lines.join('\n')}\n`));
    socket.once('error', reject);
    socket.once('close', () => resolve());
  });
}

/**
 * Lifecycle counters of container-collector (per app on a host; they outlive the container), which
 * this branch's agent does not send yet, as points of the last 20 seconds, and the last points of
 * collectors that stopped ten minutes ago.
 */
function fedLines(nowSec: number): string[] {
  const lines: string[] = [];
  const counter = (path: string, steps: ReadonlyArray<readonly [agoSec: number, value: number]>) => {
    for (let ago = 20; ago >= 1; ago--) {
      const value = steps.filter(([at]) => ago <= at).reduce((_, [, v]) => v, 0);
      lines.push(`${path} ${value} ${nowSec - ago}`);
    }
  };
  const app = (host: string, name: string) => `containers.${host}.apps.${name}`;
  counter(`${app('lifecycle-h1', 'alerts_oom')}.lifecycle.oom_kills_total`, [[10, 1]]);
  counter(`${app('lifecycle-h1', 'alerts_calm')}.lifecycle.oom_kills_total`, [[20, 2]]); // killed long before
  counter(`${app('lifecycle-h1', 'alerts_restarting')}.lifecycle.restarts_total`, [[10, 2]]);
  counter(`${app('lifecycle-h1', 'alerts_calm')}.lifecycle.restarts_total`, [[20, 5]]);
  // A crash loop hopping hosts: two exits on h1, one on h2 (3 > 2); alerts_calm loses one task.
  counter(`${app('lifecycle-h1', 'alerts_crashloop')}.lifecycle.task_exits_total`, [
    [15, 1],
    [8, 2],
  ]);
  counter(`${app('lifecycle-h2', 'alerts_crashloop')}.lifecycle.task_exits_total`, [[5, 1]]);
  counter(`${app('lifecycle-h1', 'alerts_calm')}.lifecycle.task_exits_total`, [[12, 1]]);
  lines.push(`es.es-collector.gone.self.jobs.logs.up 1 ${nowSec - 600}`);
  lines.push(`containers.container-collector.gone.self.jobs.containers.up 1 ${nowSec - 600}`);
  return lines;
}

const liveSkip =
  sharedSkip() ??
  requireProgram('carbon-cache', 'graphite-carbon') ??
  requireProgram('graphite-manage', 'graphite-web') ??
  dockerSkip();

describe('Graphite alert rules fire and stay quiet against a live pipeline', { skip: liveSkip }, () => {
  let carbon: CarbonCache;
  let web: GraphiteWeb;
  let dockerd: Dockerd;
  let configDir: string;
  const standins: EsStandin[] = [];
  const timers: NodeJS.Timeout[] = [];
  const agents: AgentProcess[] = [];
  const containers: TestContainer[] = [];

  /** A stand-in whose nodes stats move forward every 200 ms from `recorded`. */
  async function livelyStandin(
    recorded: NodesStatsBody,
    counters: readonly NodeCounter[],
    bodies: Record<string, unknown> = {},
  ): Promise<EsStandin> {
    const es = await startEsStandin({ version: '8.4.2', bodies });
    standins.push(es);
    const startedAt = Date.now();
    timers.push(
      setInterval(
        () =>
          es.setBody(
            'nodes_stats',
            advanceNodesStats(recorded, Date.now() - startedAt, () => counters),
          ),
        200,
      ),
    );
    return es;
  }

  async function waitFor(metric: string, points: number): Promise<void> {
    await carbon.waitForPoints(metric, points, 60_000).catch((error: Error) => {
      const logs = agents.map((agent) => agent.stderr().slice(-1500)).join('\n---\n');
      throw new Error(`${error.message}\nagents' stderr:\n${logs}`);
    });
  }

  before(async () => {
    carbon = await startCarbonCache({ whitelist: STORED });
    web = await startGraphiteWeb(carbon);
    await sendToCarbon(carbon.linePort, fedLines(Math.floor(Date.now() / 1000)));

    const recorded = loadFixture(ES_VERSIONS['8.4.2']!.nodes_stats!) as NodesStatsBody;
    const health = loadFixture(ES_VERSIONS['8.4.2']!.cluster_health!) as Record<string, unknown>;
    const green = await livelyStandin(recorded, NORMAL_COUNTERS);
    const red = await livelyStandin(recorded, NORMAL_COUNTERS, {
      cluster_health: {
        ...health,
        status: 'red',
        unassigned_shards: 4,
        active_shards_percent_as_number: 97.9,
      },
    });
    const yellow = await livelyStandin(recorded, NORMAL_COUNTERS, {
      cluster_health: {
        ...health,
        status: 'yellow',
        unassigned_shards: 2,
        active_shards_percent_as_number: 99,
      },
    });
    const nomaster = await livelyStandin(recorded, NORMAL_COUNTERS);
    for (const endpoint of ['cluster_health', 'cluster_stats', 'pending_tasks'])
      nomaster.fault(endpoint, { kind: 'status', status: 503, body: NO_MASTER_BODY });
    const busy = await livelyStandin(strained(recorded), STRAINED_COUNTERS, {
      cluster_health: { ...health, number_of_pending_tasks: 25, task_max_waiting_in_queue_millis: 95_000 },
    });
    const clusters = [
      ['green', green.url],
      ['red', red.url],
      ['yellow', yellow.url],
      ['nomaster', nomaster.url],
      ['strained', busy.url],
      ['unreachable', `http://127.0.0.1:${await refusedPort()}`],
    ];
    configDir = mkdtempSync(join(os.tmpdir(), 'stoker-alerts-'));
    const config = join(configDir, 'es-collector.yaml');
    writeFileSync(
      config,
      `clusters:\n${clusters.map(([name, url]) => `  - name: ${name}\n    es: [${url}]\n    es-timeout: 500ms\n    apis: [cluster_health, nodes_stats]\n`).join('')}`,
    );

    dockerd = await sharedDockerd();
    const task = async (appId: string, cmd: string, cpus?: number) => {
      const app = appId.slice(1).replaceAll('/', '_');
      const id = `${app}.${crypto.randomUUID()}`;
      const container = await dockerd.run({
        cmd,
        cpus,
        memoryBytes: 32 * MiB,
        env: { MARATHON_APP_ID: appId, MESOS_TASK_ID: id },
        labels: { MESOS_TASK_ID: id },
      });
      containers.push(container);
      return container;
    };
    // A fiftieth of a CPU: throttled in most periods even on a machine too busy to give it half a CPU.
    await task('/alerts/hot', 'yes > /dev/null', 0.02);
    // Wakes up ten times a second, so its CFS periods count, and never uses its quota.
    await task('/alerts/idle', 'while :; do sleep 0.1; done', 0.5);
    const shrinking = [
      await task('/alerts/shrinking', 'sleep 3600'),
      await task('/alerts/shrinking', 'sleep 3600'),
    ];
    const vanishing = await task('/alerts/vanishing', 'sleep 3600');

    const carbonAddress = `127.0.0.1:${carbon.linePort}`;
    const common = ['--carbon', carbonAddress, '--interval', '1s', '--instance', INSTANCE];
    agents.push(
      startAgent('packages/es-collector/src/cli.ts', ['--config', config, ...common]),
      startAgent('packages/container-collector/src/cli.ts', [
        '--docker',
        dockerd.address,
        '--host-name',
        HOST,
        ...common,
      ]),
    );
    // Enough cycles for rates, then the lost tasks, then a few cycles without them.
    await waitFor('es.strained.nodes.instance-0000000005.rates.gc.old.time_ms_per_s', 3);
    await waitFor('es.nomaster.collector.errors.cluster_health', 3);
    await waitFor(`containers.${HOST}.apps.alerts_hot.cpu.throttled_ratio`, 3);
    await waitFor(`containers.${HOST}.apps.alerts_idle.cpu.throttled_ratio`, 1);
    await waitFor(`containers.${HOST}.apps.alerts_shrinking.instances`, 5);
    await Promise.all([shrinking[0]!.remove(), vanishing.remove()]);
  });

  after(async () => {
    for (const timer of timers) clearInterval(timer);
    await Promise.all(agents.map((agent) => agent.stop()));
    await Promise.all(containers.map((container) => container.remove()));
    await web?.stop();
    await carbon?.stop();
    await Promise.all(standins.map((es) => es.close()));
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  /** What is wrong with one rule now (empty: its cases hold). */
  async function problemsOf(rule: GraphiteAlert): Promise<string[]> {
    const cases = CASES[rule.alert];
    if (!cases) return ['no test case: add one to CASES'];
    let outcomes: Map<string, Outcome>;
    try {
      outcomes = await evaluate(web, rule);
    } catch (error) {
      return [(error as Error).message.slice(0, 300)];
    }
    const shown = [...outcomes].map(
      ([name, o]) => `${name}=${o.state}${o.value === undefined ? '' : `(${o.value})`}`,
    );
    const problems: string[] = [];
    const check = (part: string, want: Outcome['state']) => {
      const matching = [...outcomes].filter(([name]) => name === part || name.includes(part));
      if (matching.length === 0) problems.push(`no series matches "${part}"`);
      for (const [name, outcome] of matching) {
        if (outcome.state !== want)
          problems.push(`${name}: ${outcome.state} (${outcome.value}), want ${want}`);
      }
    };
    for (const part of cases.fires) check(part, 'firing');
    for (const part of cases.quiet) check(part, 'quiet');
    return problems.length === 0 ? [] : [...problems, `  all: ${shown.join(', ')}`];
  }

  test('every rule fires for its firing case and is quiet, with data, for its quiet case', async (t) => {
    const rules = graphiteAlerts();
    // Agents push every second; a rule whose series are not there yet gets more cycles before failing.
    let report = new Map<string, string[]>();
    const deadline = Date.now() + 45_000;
    for (;;) {
      report = new Map();
      for (const rule of rules) {
        const problems = await problemsOf(rule);
        if (problems.length > 0) report.set(rule.alert, problems);
      }
      if (report.size === 0 || Date.now() > deadline) break;
      await sleep(2000);
    }
    const text = [...report].map(([alert, problems]) => `${alert}:\n    ${problems.join('\n    ')}`);
    assert.equal(report.size, 0, `\n${text.join('\n')}`);
    t.diagnostic(`${rules.length} Graphite rules evaluated, each firing and quiet as expected`);
  });
});
