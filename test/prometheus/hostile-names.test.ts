import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startAgent } from '../harness/agent.js';
import { loadFixture, startEsStandin } from '../harness/es-standin.js';
import { sharedSkip } from '../harness/fixtures.js';
import { freePort, requireProgram } from '../harness/graphite.js';
import { parseExposition, promtoolCheckMetrics } from '../harness/prometheus.js';

/**
 * Node and index names with a newline, quotes, backslashes and unicode: the exposition still parses
 * (promtool reports no parse error) and a scraper reads each name back exactly, in both formats.
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
