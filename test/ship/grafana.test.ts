/**
 * The Grafana dashboards (docker/grafana/) against a live pipeline. Both agents run into a real
 * carbon-cache + graphite-web: es-collector polls the ES stand-in (recorded 8.4.2 responses whose node
 * counters and timestamps this test moves forward, so rates and latencies exist as on a live cluster),
 * container-collector reads a private dockerd running busybox containers as the Marathon tasks of one
 * app, labelled with the ES cluster's name. Then every target of every panel, with its template
 * variables resolved the way Grafana does it (`/metrics/find` on the variable's query, its regex, the
 * first value), is rendered through `/render?format=json` and must give at least one series with at
 * least one non-null point: graphite-web answers `200 []` for a missing metric and for a broken target
 * alike, so empty is a failure. Both agents run under `--profile essential`, the smallest budget the
 * README offers: what fills the dashboards there fills them under `full` (a superset) too.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { type AgentProcess, startAgent } from '../harness/agent.js';
import { type Dockerd, dockerSkip, HARNESS_LABEL, sharedDockerd, TEST_IMAGE } from '../harness/dockerd.js';
import {
  advanceNodesStats,
  ES_VERSIONS,
  type EsStandin,
  loadFixture,
  type NodeCounter,
  type NodesStatsBody,
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

const GRAFANA_DIR = join(repoRoot, 'docker', 'grafana');
const DASHBOARD_DIR = join(GRAFANA_DIR, 'dashboards');

// ---- the dashboard model (the part of Grafana's JSON that the checks read) --------------------------

interface GraphiteTarget {
  refId: string;
  target: string;
  hide?: boolean;
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: GraphiteTarget[];
  panels?: Panel[];
  repeat?: string;
  fieldConfig?: { defaults?: { unit?: string } };
}

interface Variable {
  name: string;
  type: string;
  query?: string | { target?: string };
  regex?: string;
  sort?: number;
  datasource?: { type?: string; uid?: string };
}

interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
}

interface DashboardFile {
  file: string;
  dashboard: Dashboard;
}

function loadDashboards(): DashboardFile[] {
  return readdirSync(DASHBOARD_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      dashboard: JSON.parse(readFileSync(join(DASHBOARD_DIR, file), 'utf8')) as Dashboard,
    }));
}

/** Every panel, those inside rows (collapsed rows hold their panels) included; rows themselves too. */
function allPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

function variableQuery(variable: Variable): string {
  return typeof variable.query === 'string' ? variable.query : (variable.query?.target ?? '');
}

/** Grafana's variable syntaxes: `$name`, `${name}`, `${name:format}`, `[[name]]`. */
const VARIABLE_REFERENCE = /\$(\w+)|\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::\w+)?\]\]/g;

function referencedVariables(text: string): string[] {
  return [...text.matchAll(VARIABLE_REFERENCE)].map((match) => (match[1] ?? match[2] ?? match[3])!);
}

function interpolate(text: string, values: ReadonlyMap<string, string>): string {
  return text.replace(VARIABLE_REFERENCE, (whole, a?: string, b?: string, c?: string) => {
    const value = values.get((a ?? b ?? c)!);
    return value ?? whole;
  });
}

/** Grafana applies a variable's regex (`/pattern/flags`) to each value; a capture group picks a part. */
function applyRegex(values: string[], regex: string | undefined): string[] {
  if (!regex) return values;
  const parts = /^\/(.*)\/([gimsuy]*)$/.exec(regex);
  const pattern = parts ? new RegExp(parts[1]!, parts[2]!.replace('g', '')) : new RegExp(regex);
  return values.flatMap((value) => {
    const match = pattern.exec(value);
    if (!match) return [];
    return [match[1] ?? value];
  });
}

function hasBalancedParentheses(target: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (const char of target) {
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') quote = char;
    else if (char === '(') depth++;
    else if (char === ')' && --depth < 0) return false;
  }
  return depth === 0 && quote === undefined;
}

// ---- static checks: no Graphite needed ---------------------------------------------------------------

describe('Grafana provisioning and dashboard files', () => {
  const dashboards = loadDashboards();

  test('the datasource is a Graphite 1.1 whose URL comes from the environment', () => {
    const file = parseYaml(
      readFileSync(join(GRAFANA_DIR, 'provisioning', 'datasources', 'graphite.yaml'), 'utf8'),
    );
    assert.equal(file.apiVersion, 1);
    const [datasource] = file.datasources;
    assert.equal(datasource.type, 'graphite');
    assert.match(datasource.url, /^\$\{GRAPHITE_URL\}$/, "the URL comes from Grafana's environment");
    assert.equal(datasource.jsonData.graphiteVersion, '1.1');
    assert.equal(datasource.access, 'proxy');
  });

  test('the dashboard provider reads the folder the README mounts', () => {
    const file = parseYaml(
      readFileSync(join(GRAFANA_DIR, 'provisioning', 'dashboards', 'stoker.yaml'), 'utf8'),
    );
    assert.equal(file.apiVersion, 1);
    const [provider] = file.providers;
    assert.equal(provider.type, 'file');
    const readme = readFileSync(join(GRAFANA_DIR, 'README.md'), 'utf8');
    assert.ok(
      readme.includes(`:${provider.options.path}`),
      `README mounts the dashboards at ${provider.options.path}`,
    );
  });

  test('dashboards are well-formed Grafana JSON with Graphite targets and units', () => {
    assert.ok(dashboards.length >= 4, `dashboards found: ${dashboards.map((d) => d.file).join(', ')}`);
    const problems: string[] = [];
    const uids = new Set<string>();
    for (const { file, dashboard } of dashboards) {
      const say = (where: string, what: string) => problems.push(`${file} › ${where}: ${what}`);
      if (!/^[A-Za-z0-9_-]{1,40}$/.test(dashboard.uid ?? '')) say('uid', `bad uid ${dashboard.uid}`);
      if (uids.has(dashboard.uid)) say('uid', `uid ${dashboard.uid} used twice`);
      uids.add(dashboard.uid);
      if (!dashboard.title) say('title', 'missing');
      if (typeof dashboard.schemaVersion !== 'number' || dashboard.schemaVersion < 36)
        say('schemaVersion', String(dashboard.schemaVersion));
      if (!Array.isArray(dashboard.templating?.list)) say('templating', 'no templating.list');
      if (!Array.isArray(dashboard.panels) || dashboard.panels.length === 0) say('panels', 'none');
      const variables = dashboard.templating?.list ?? [];
      const datasourceVariable = variables.find((v) => v.name === 'datasource');
      if (datasourceVariable?.type !== 'datasource' || datasourceVariable.query !== 'graphite')
        say('templating', 'no datasource variable of type graphite');
      const ids = new Set<number>();
      for (const panel of allPanels(dashboard)) {
        const where = `panel "${panel.title}"`;
        if (!Number.isInteger(panel.id) || ids.has(panel.id))
          say(where, `id ${panel.id} missing or repeated`);
        ids.add(panel.id);
        const { x, y, w, h } = panel.gridPos ?? {};
        if (![x, y, w, h].every(Number.isInteger) || x! < 0 || w! < 1 || h! < 1 || x! + w! > 24)
          say(where, `gridPos ${JSON.stringify(panel.gridPos)}`);
        if (panel.type === 'row') {
          if (panel.repeat && !variables.some((v) => v.name === panel.repeat))
            say(where, `repeats over undefined $${panel.repeat}`);
          continue;
        }
        if (!['timeseries', 'stat'].includes(panel.type)) say(where, `type ${panel.type}`);
        if (panel.datasource?.type !== 'graphite' || !panel.datasource.uid)
          say(where, 'no graphite datasource');
        if (!panel.fieldConfig?.defaults?.unit) say(where, 'no unit');
        const targets = panel.targets ?? [];
        if (targets.length === 0) say(where, 'no targets');
        const refIds = new Set<string>();
        for (const target of targets) {
          if (!target.refId || refIds.has(target.refId))
            say(where, `refId ${target.refId} missing or repeated`);
          refIds.add(target.refId);
          if (typeof target.target !== 'string' || target.target.trim() === '') say(where, 'empty target');
          else if (!hasBalancedParentheses(target.target)) say(where, `unbalanced: ${target.target}`);
        }
      }
      for (const variable of variables) {
        if (variable.type !== 'query') continue;
        if (variable.datasource?.type !== 'graphite')
          say(`variable ${variable.name}`, 'no graphite datasource');
        if (!variableQuery(variable)) say(`variable ${variable.name}`, 'no query');
      }
    }
    assert.deepEqual(problems, [], `\n${problems.join('\n')}`);
  });

  test('every $variable used is defined (variables only use those defined before them)', () => {
    const problems: string[] = [];
    for (const { file, dashboard } of dashboards) {
      const variables = dashboard.templating.list;
      const names = new Set<string>();
      for (const variable of variables) {
        if (names.has(variable.name)) problems.push(`${file}: variable $${variable.name} defined twice`);
        for (const name of referencedVariables(variableQuery(variable))) {
          if (!names.has(name)) problems.push(`${file}: variable $${variable.name} uses $${name} before it`);
        }
        names.add(variable.name);
      }
      for (const panel of allPanels(dashboard)) {
        const texts = [
          panel.title,
          panel.datasource?.uid ?? '',
          ...(panel.targets ?? []).map((t) => t.target),
        ];
        for (const name of texts.flatMap(referencedVariables)) {
          if (!names.has(name)) problems.push(`${file} › "${panel.title}": $${name} is not defined`);
        }
      }
    }
    assert.deepEqual(problems, [], `\n${problems.join('\n')}`);
  });
});

// ---- live: both agents into carbon-cache + graphite-web ----------------------------------------------

const CLUSTER = 'logs';
const HOST = 'grafana-host';
const APP_ID = '/es/grafana/data';
const APP = 'es_grafana_data';
const MiB = 1024 * 1024;

/**
 * Counters a busy data node moves, per second (advanceNodesStats): without them the rate and latency
 * panels would rightly be empty.
 */
const DATA_NODE_COUNTERS: readonly NodeCounter[] = [
  ['indices.indexing.index_total', 400],
  ['indices.indexing.index_time_in_millis', 200],
  ['indices.search.query_total', 120],
  ['indices.search.query_time_in_millis', 360],
  ['indices.search.fetch_total', 100],
  ['indices.search.fetch_time_in_millis', 40],
  ['indices.get.total', 20],
  ['indices.get.time_in_millis', 10],
  ['indices.merges.total', 1],
  ['indices.merges.total_time_in_millis', 80],
  ['indices.refresh.total', 2],
  ['indices.refresh.total_time_in_millis', 30],
  ['indices.flush.total', 1],
  ['indices.flush.total_time_in_millis', 15],
  ['transport.rx_size_in_bytes', 250_000],
  ['transport.tx_size_in_bytes', 240_000],
  ['http.total_opened', 1],
];
const EVERY_NODE_COUNTERS: readonly NodeCounter[] = [
  ['jvm.gc.collectors.young.collection_count', 2],
  ['jvm.gc.collectors.young.collection_time_in_millis', 30],
  ['jvm.uptime_in_millis', 1000],
];

const countersOf = (node: { roles?: string[] }): readonly NodeCounter[] =>
  node.roles?.some((role) => role.startsWith('data'))
    ? [...EVERY_NODE_COUNTERS, ...DATA_NODE_COUNTERS]
    : EVERY_NODE_COUNTERS;

const skip =
  sharedSkip() ??
  requireProgram('carbon-cache', 'graphite-carbon') ??
  requireProgram('graphite-manage', 'graphite-web') ??
  dockerSkip();

describe('every dashboard panel returns data from a live pipeline', { skip }, () => {
  let carbon: CarbonCache;
  let web: GraphiteWeb;
  let es: EsStandin;
  let dockerd: Dockerd;
  let advancing: NodeJS.Timeout | undefined;
  const agents: AgentProcess[] = [];
  const removals: Array<() => Promise<void>> = [];

  before(async () => {
    carbon = await startCarbonCache();
    web = await startGraphiteWeb(carbon);
    es = await startEsStandin({ version: '8.4.2' });
    const recorded = loadFixture(ES_VERSIONS['8.4.2']!.nodes_stats!) as NodesStatsBody;
    const startedAt = Date.now();
    advancing = setInterval(
      () => es.setBody('nodes_stats', advanceNodesStats(recorded, Date.now() - startedAt, countersOf)),
      200,
    );

    dockerd = await sharedDockerd();
    const task = () => {
      const id = `${APP}.${crypto.randomUUID()}`;
      return {
        env: { MARATHON_APP_ID: APP_ID, MESOS_TASK_ID: id },
        labels: { MESOS_TASK_ID: id, es_cluster: CLUSTER },
      };
    };
    // CPU-bound under a 0.5 CPU quota: throttled in most CFS periods.
    const cpu = await dockerd.run({ cmd: 'yes > /dev/null', cpus: 0.5, memoryBytes: 64 * MiB, ...task() });
    // /dev/shm is tmpfs charged to the container: 32 MiB really held.
    const memory = await dockerd.run({
      cmd: 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=32 2>/dev/null; sleep 3600',
      memoryBytes: 64 * MiB,
      ...task(),
    });
    removals.push(cpu.remove, memory.remove);
    // A task with an interface besides lo (a veth pair inside its own network namespace, no address,
    // no route out), so the per-app network series exist: they leave out lo and host-network tasks.
    const network = task();
    const networked = await dockerd.docker.createContainer({
      Image: TEST_IMAGE,
      Cmd: [
        'sh',
        '-c',
        'ip link add eth0 type veth && ip link set eth0 up && ip link set veth0 up; sleep 3600',
      ],
      Env: Object.entries(network.env).map(([key, value]) => `${key}=${value}`),
      Labels: { [HARNESS_LABEL]: '1', ...network.labels },
      HostConfig: { NetworkMode: 'none', CapAdd: ['NET_ADMIN'], Memory: 64 * MiB, MemorySwap: 64 * MiB },
    });
    await networked.start();
    removals.push(() => networked.remove({ force: true }).catch(() => {}));

    const carbonAddress = `127.0.0.1:${carbon.linePort}`;
    agents.push(
      startAgent('packages/es-collector/src/cli.ts', [
        '--es',
        es.url,
        '--cluster',
        CLUSTER,
        '--carbon',
        carbonAddress,
        '--interval',
        '1s',
        '--instance',
        HOST,
        '--profile',
        'essential',
      ]),
      startAgent('packages/container-collector/src/cli.ts', [
        '--docker',
        dockerd.address,
        '--carbon',
        carbonAddress,
        '--interval',
        '1s',
        '--host-name',
        HOST,
        '--instance',
        HOST,
        '--group-label',
        'es_cluster',
        '--profile',
        'essential',
      ]),
    );
    // Several cycles, so every rate, derivative and ratio has points.
    for (const metric of [
      `es.${CLUSTER}.nodes.instance-0000000005.latency.search.query_ms`,
      `containers.${HOST}.apps.${APP}.cpu.throttled_ratio`,
      `containers.${HOST}.apps.${APP}.network.rx_bytes_per_second`,
    ]) {
      await carbon.waitForPoints(metric, 3, 30_000).catch((error: Error) => {
        const logs = agents.map((agent) => agent.stderr().slice(-1500)).join('\n---\n');
        throw new Error(`${error.message}\nagents' stderr:\n${logs}`);
      });
    }
  });

  after(async () => {
    clearInterval(advancing);
    await Promise.all(agents.map((agent) => agent.stop()));
    await Promise.all(removals.map((remove) => remove()));
    await web?.stop();
    await carbon?.stop();
    await es?.close();
  });

  /** What Grafana does for a Graphite query variable: /metrics/find, the regex, the sort. */
  async function variableOptions(query: string, variable: Variable): Promise<string[]> {
    const response = await fetch(`${web.url}/metrics/find?${new URLSearchParams({ query })}`);
    assert.equal(response.status, 200, `metrics/find ${query}`);
    const found = ((await response.json()) as Array<{ text: string }>).map((item) => item.text);
    const options = applyRegex(found, variable.regex);
    return variable.sort === 1 ? options.sort() : options;
  }

  async function resolveVariables(dashboard: Dashboard): Promise<Map<string, string>> {
    const values = new Map<string, string>();
    for (const variable of dashboard.templating.list) {
      if (variable.type === 'datasource') continue;
      if (variable.type === 'constant' || variable.type === 'textbox') {
        values.set(variable.name, variableQuery(variable));
        continue;
      }
      assert.equal(variable.type, 'query', `${dashboard.uid}: variable $${variable.name} of unknown type`);
      const query = interpolate(variableQuery(variable), values);
      const options = await variableOptions(query, variable);
      assert.ok(options.length > 0, `${dashboard.uid}: variable $${variable.name} (${query}) has no values`);
      values.set(variable.name, options[0]!);
    }
    return values;
  }

  async function hasData(target: string): Promise<string | undefined> {
    try {
      const series = await web.render(target, '-5min');
      if (series.length === 0) return 'no series';
      if (!series.some((s) => s.datapoints.some(([value]) => value !== null)))
        return `${series.length} series, all points null`;
      return undefined;
    } catch (error) {
      return (error as Error).message.slice(0, 300);
    }
  }

  test('the variables list exactly the cluster, host and app the agents report', async () => {
    const variable = (name: string, query: string) => {
      const found = loadDashboards()
        .flatMap(({ dashboard }) => dashboard.templating.list)
        .find((v) => v.name === name && v.type === 'query');
      assert.ok(found, `some dashboard has a $${name} variable`);
      return variableOptions(query, found);
    };
    // The agents' self-metrics (es.es-collector..., containers.container-collector...) are left out.
    assert.deepEqual(await variable('cluster', 'es.*'), [CLUSTER]);
    assert.deepEqual(await variable('host', 'containers.*'), [HOST]);
    assert.deepEqual(await variable('app', `containers.${HOST}.apps.*`), [APP]);
    assert.deepEqual(await variable('node', `es.${CLUSTER}.nodes.*`), [
      'instance-0000000005',
      'instance-0000000006',
      'tiebreaker-0000000002',
    ]);
  });

  test('every target of every panel, variables filled in, has a non-null point', async (t) => {
    interface Check {
      label: string;
      target: string;
    }
    const checks: Check[] = [];
    for (const { file, dashboard } of loadDashboards()) {
      const values = await resolveVariables(dashboard);
      const shown = [...values].map(([name, value]) => `${name}=${value}`).join(' ');
      for (const panel of allPanels(dashboard)) {
        for (const target of panel.targets ?? []) {
          if (target.hide) continue;
          checks.push({
            label: `${file} › "${panel.title}" ${target.refId} [${shown}]\n    ${target.target}`,
            target: interpolate(target.target, values),
          });
        }
      }
    }
    assert.ok(checks.length > 100, `targets found: ${checks.length}`);

    // Points arrive every second; give a target that is still empty a few more cycles before failing.
    let failing = checks;
    let reasons = new Map<Check, string>();
    const deadline = Date.now() + 20_000;
    for (;;) {
      reasons = new Map();
      for (const check of failing) {
        const reason = await hasData(check.target);
        if (reason) reasons.set(check, reason);
      }
      failing = [...reasons.keys()];
      if (failing.length === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    const report = failing.map((check) => `  ${check.label}\n    -> ${reasons.get(check)}`);
    assert.equal(
      failing.length,
      0,
      `${failing.length} of ${checks.length} targets have no data:\n${report.join('\n')}`,
    );
    t.diagnostic(`${checks.length} targets of ${loadDashboards().length} dashboards checked, all with data`);
  });

  test('the essential profile leaves out what no panel reads', async () => {
    const stored = await carbon.listMetrics();
    const node = `es.${CLUSTER}.nodes.instance-0000000005.`;
    assert.ok(stored.includes(`${node}jvm.mem.heap_used_in_bytes`), 'a series a panel reads is there');
    for (const unread of [
      `${node}jvm.threads.count`,
      `${node}indices.indexing.index_total`,
      `containers.${HOST}.apps.${APP}.memory.usage_bytes`,
    ])
      assert.ok(!stored.includes(unread), `${unread} was stored`);
    const perNode = stored.filter((name) => name.startsWith(node)).length;
    assert.ok(perNode < 200, `${perNode} series for one node`);
  });

  test('the CPU-bound task is throttled, so the throttling panels show more than zeros', async () => {
    const [series] = await web.render(`containers.${HOST}.apps.${APP}.cpu.throttled_ratio`, '-5min');
    const values = (series?.datapoints ?? []).map(([value]) => value).filter((v): v is number => v !== null);
    assert.ok(
      values.some((value) => value > 0.5),
      `throttled ratio of the app: ${JSON.stringify(values)}`,
    );
  });
});
