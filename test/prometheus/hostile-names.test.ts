import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAgent } from '../harness/agent.js';
import { dockerSkip, sharedDockerd, TEST_IMAGE } from '../harness/dockerd.js';
import { loadFixture, startEsStandin } from '../harness/es-standin.js';
import { sharedSkip } from '../harness/fixtures.js';
import { freePort, requireProgram } from '../harness/graphite.js';
import {
  type ParsedSample,
  parseExposition,
  promtoolCheckMetrics,
  startPrometheus,
} from '../harness/prometheus.js';

/**
 * Names with a newline, quotes, backslashes and unicode, from ES (node and index names) and from
 * real containers (Marathon app id, Mesos task id, a grouping label): the exposition still parses
 * (promtool reports no parse error, Prometheus scrapes it) and a scraper reads each name back exactly.
 */
const CLI = 'packages/es-collector/src/cli.ts';
const skip = sharedSkip() ?? requireProgram('promtool', 'prometheus');
const HOSTILE = ['data\n1 "quoted"', 'back\\slash\\', 'ünïcødé-节点-🔥', 'a"b\\"c\nd}{,='];

describe('hostile names on /metrics', { skip }, () => {
  test('node and index names are escaped per the format and read back unchanged', async (t) => {
    const nodes = loadFixture('elasticsearch_exporter/7.13.1/nodes_stats.json') as {
      nodes: Record<string, Record<string, unknown>>;
    };
    const template = Object.values(nodes.nodes)[0]!;
    const hostileNodes = Object.fromEntries(HOSTILE.map((name, i) => [`node${i}`, { ...template, name }]));
    const indices = loadFixture('elasticsearch_exporter/7.17.3/indices_stats.json') as {
      indices: Record<string, unknown>;
    };
    const entry = Object.values(indices.indices)[0];
    const es = await startEsStandin({
      version: '7.13.1',
      bodies: {
        nodes_stats: { ...nodes, nodes: hostileNodes },
        indices_stats: { ...indices, indices: Object.fromEntries(HOSTILE.map((name) => [name, entry])) },
      },
    });
    t.after(() => es.close());
    const port = await freePort();
    const agent = startAgent(
      CLI,
      ['--es', es.url, '--output', 'none', '--metrics', '--interval', '1s', '--indices-top', '100'],
      {
        httpPort: port,
      },
    );
    t.after(() => agent.stop());
    await agent.waitForStatus((status) =>
      Object.values(status.jobs as Record<string, { runs: number }>).some((job) => job.runs >= 1),
    );
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const samples = parseExposition(text);
    const nodeNames = new Set(
      samples.filter((s) => s.name === 'stoker_es_node_heap_used_percent').map((s) => s.labels.node),
    );
    assert.deepEqual([...nodeNames].sort(), [...HOSTILE].sort());
    const exporterNames = new Set(
      samples.filter((s) => s.name === 'elasticsearch_indices_docs').map((s) => s.labels.name),
    );
    assert.deepEqual([...exporterNames].sort(), [...HOSTILE].sort());
    for (const family of ['elasticsearch_indices_docs_primary', 'stoker_es_index_indexing_is_throttled']) {
      const indexNames = new Set(samples.filter((s) => s.name === family).map((s) => s.labels.index));
      for (const name of HOSTILE)
        assert.ok(
          indexNames.has(name),
          `${family}: index ${JSON.stringify(name)} read back from ${JSON.stringify([...indexNames])}`,
        );
    }
    const { findings } = await promtoolCheckMetrics(text);
    assert.deepEqual(
      findings.filter((finding) => !finding.startsWith('elasticsearch_')),
      [],
      'promtool: no parse error, no finding outside the exporter names',
    );
    const openMetrics = await (
      await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { accept: 'application/openmetrics-text' } })
    ).text();
    assert.ok(openMetrics.endsWith('# EOF\n'));
    const omNodes = new Set(
      parseExposition(openMetrics.replace(/^# EOF\n$/m, ''))
        .filter((s) => s.name === 'stoker_es_node_heap_used_percent')
        .map((s) => s.labels.node),
    );
    assert.deepEqual([...omNodes].sort(), [...HOSTILE].sort());
  });
});

/**
 * Where Docker takes any string: environment values (`MARATHON_APP_ID`, `MESOS_TASK_ID`) and label
 * keys and values. Container names (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`) and image references (lower-case
 * path components, a `host:port`, a `[\w.-]` tag) admit nothing that needs escaping: the image is a
 * reference using every character class they allow, which must read back as given.
 */
const HOSTILE_TASKS = [
  { app: '/es/data\n1 "quoted"', task: 'es_data.back\\slash\\', team: 'ünïcødé-节点-🔥' },
  { app: '/es/ünïcødé-节点-🔥', task: 'a"b\\"c\nd}{,=', team: 'data\n1 "quoted"' },
];
const HOSTILE_LABEL_KEY = 'tëam"\\\n';
const IMAGE = '127.0.0.1:5000/team.x/es_data-1:v7.17.3-rc_1.B';
const CONTAINER_CLI = 'packages/container-collector/src/cli.ts';

describe('hostile container identities on /metrics', {
  skip:
    dockerSkip() ?? requireProgram('promtool', 'prometheus') ?? requireProgram('prometheus', 'prometheus'),
}, () => {
  test('app ids, task ids and label values are escaped per the format and read back unchanged', async (t) => {
    const dockerd = await sharedDockerd();
    const [repo, tag] = [IMAGE.slice(0, IMAGE.lastIndexOf(':')), IMAGE.slice(IMAGE.lastIndexOf(':') + 1)];
    await dockerd.docker.getImage(TEST_IMAGE).tag({ repo, tag });
    const containers = await Promise.all(
      HOSTILE_TASKS.map(({ app, task, team }, i) =>
        dockerd.run({
          name: `hostile-${i}`,
          image: IMAGE,
          cmd: 'sleep 3600',
          env: { MARATHON_APP_ID: app, MESOS_TASK_ID: task },
          labels: { [HOSTILE_LABEL_KEY]: team },
        }),
      ),
    );
    t.after(() => Promise.all(containers.map((container) => container.remove())));
    const port = await freePort();
    const agent = startAgent(
      CONTAINER_CLI,
      [
        ...['--docker', dockerd.address, '--output', 'none', '--metrics', '--interval', '1s'],
        ...['--group-label', HOSTILE_LABEL_KEY],
      ],
      { httpPort: port },
    );
    t.after(() => agent.stop());
    await agent.waitForStatus((status) =>
      Object.values(status.jobs as Record<string, { runs: number }>).some((job) => job.runs >= 1),
    );

    const expectIdentities = (samples: readonly ParsedSample[], format: string) => {
      HOSTILE_TASKS.forEach(({ app, task }, i) => {
        const usage = samples.find(
          (s) => s.name === 'container_memory_usage_bytes' && s.labels.name === `hostile-${i}`,
        );
        assert.deepEqual(
          usage && {
            app: usage.labels.marathon_app,
            task: usage.labels.mesos_task,
            image: usage.labels.image,
          },
          { app, task, image: IMAGE },
          `${format}: hostile-${i}'s labels`,
        );
      });
      const apps = samples.filter((s) => s.name === 'stoker_app_instances').map((s) => s.labels.marathon_app);
      assert.deepEqual(apps.sort(), HOSTILE_TASKS.map(({ app }) => app).sort(), `${format}: app ids`);
      const groups = samples
        .filter((s) => s.name === 'stoker_label_instances')
        .map((s) => [s.labels.label, s.labels.value]);
      assert.deepEqual(
        groups.sort(),
        HOSTILE_TASKS.map(({ team }) => [HOSTILE_LABEL_KEY, team]).sort(),
        `${format}: label groups`,
      );
    };
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expectIdentities(parseExposition(text), 'text 0.0.4');
    assert.deepEqual((await promtoolCheckMetrics(text)).findings, [], 'promtool check metrics');
    const openMetrics = await (
      await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { accept: 'application/openmetrics-text' } })
    ).text();
    assert.ok(openMetrics.endsWith('# EOF\n'));
    expectIdentities(parseExposition(openMetrics.replace(/^# EOF\n$/m, '')), 'OpenMetrics');

    // Prometheus's own parser: a scrape that failed to parse would leave `up` 0 and no series.
    const prometheus = await startPrometheus({ containers: `127.0.0.1:${port}` });
    t.after(() => prometheus.stop());
    let scraped: Awaited<ReturnType<typeof prometheus.query>> = [];
    for (let attempt = 0; attempt < 100 && scraped.length < HOSTILE_TASKS.length; attempt++) {
      scraped = await prometheus.query('container_memory_usage_bytes{name=~"hostile-.*"}');
      if (scraped.length < HOSTILE_TASKS.length) await sleep(200);
    }
    const [up] = await prometheus.query('up{job="containers"}');
    assert.equal(up?.value[1], '1', 'Prometheus scraped and parsed the exposition');
    assert.deepEqual(
      scraped
        .map(({ metric }) => ({
          name: metric.name,
          app: metric.marathon_app,
          task: metric.mesos_task,
          image: metric.image,
        }))
        .sort((a, b) => String(a.name).localeCompare(String(b.name))),
      HOSTILE_TASKS.map(({ app, task }, i) => ({ name: `hostile-${i}`, app, task, image: IMAGE })),
      'Prometheus read each label back exactly',
    );
    const teams = await prometheus.query('stoker_label_instances');
    assert.deepEqual(
      teams.map(({ metric }) => [metric.label, metric.value]).sort(),
      HOSTILE_TASKS.map(({ team }) => [HOSTILE_LABEL_KEY, team]).sort(),
      'Prometheus read each label key and value back exactly',
    );
  });
});
