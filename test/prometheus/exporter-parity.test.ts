import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  EXPORTER_HEALTH_FIELDS,
  EXPORTER_HEALTH_STATUS,
  EXPORTER_INDEX_METRICS,
  EXPORTER_NODE_METRICS,
} from '../../packages/es-collector/src/prometheus/exporter-names.js';
import { startAgent } from '../harness/agent.js';
import { ES_VERSIONS, loadFixture, startEsStandin } from '../harness/es-standin.js';
import { sharedSkip } from '../harness/fixtures.js';
import { freePort, requireProgram } from '../harness/graphite.js';
import { parseExposition, promtoolCheckMetrics, scrapeExporter, seriesKey } from '../harness/prometheus.js';

/**
 * es-collector's /metrics beside Debian's prometheus-elasticsearch-exporter 1.5.0 on the same ES
 * stand-in: every exporter series whose name Stoker claims has a Stoker series with the same labels
 * and the same value, and promtool finds nothing in Stoker's exposition it does not find in the
 * exporter's (the exporter's own names break some naming rules; Stoker keeps them on purpose).
 */
const CLI = 'packages/es-collector/src/cli.ts';
const skip =
  sharedSkip() ??
  requireProgram('prometheus-elasticsearch-exporter', 'prometheus-elasticsearch-exporter') ??
  requireProgram('promtool', 'prometheus');

/** The raw `_all/_stats` path (below `indices.<index>`) of each claimed per-index name. */
const INDEX_PATHS = new Map(
  Object.entries(EXPORTER_INDEX_METRICS).map(([path, { family }]) => [family.name, path.split('.')]),
);

const CLAIMED = new Set([
  ...INDEX_PATHS.keys(),
  ...Object.values(EXPORTER_NODE_METRICS).flatMap(({ family }) =>
    family.type === 'summary' ? [`${family.name}_sum`, `${family.name}_count`] : [family.name],
  ),
  ...[...EXPORTER_HEALTH_FIELDS].map((field) => `elasticsearch_cluster_health_${field}`),
  EXPORTER_HEALTH_STATUS.name,
]);

const ZERO_FILLED_ON_2X = new Set([
  'elasticsearch_os_cpu_percent',
  'elasticsearch_os_load1',
  'elasticsearch_os_load5',
  'elasticsearch_os_load15',
]);

/** Whether the recorded index stats have this leaf: the exporter writes 0 for one they lack. */
function recorded(indices: Record<string, unknown>, index: string, path: readonly string[]): boolean {
  let at: unknown = indices[index];
  for (const key of path)
    at = at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
  return typeof at === 'number';
}

async function stokerScrape(esUrl: string): Promise<string> {
  const port = await freePort();
  // Every index under its own name, as the exporter has them (the default sums date-suffixed ones).
  const agent = startAgent(
    CLI,
    ['--es', esUrl, '--output', 'none', '--metrics', '--interval', '1s', '--no-indices-rollup'],
    { httpPort: port },
  );
  try {
    await agent.waitForStatus((status) =>
      Object.values(status.jobs as Record<string, { runs: number }>).some((job) => job.runs >= 1),
    );
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    return await response.text();
  } finally {
    await agent.stop();
  }
}

describe('es-collector /metrics against elasticsearch_exporter 1.5.0', { skip }, () => {
  for (const version of ['8.4.2', '7.13.1', '5.4.2', '2.4.5']) {
    test(`ES ${version}: the exporter's series under claimed names, same labels, same values`, async (t) => {
      // Some versions' recordings come from different clusters; the exporter labels each answer with
      // its own cluster_name, Stoker names the cluster once (from `/`): one cluster, one name.
      const nodes = loadFixture(ES_VERSIONS[version]!.nodes_stats!) as { cluster_name?: string };
      const root = loadFixture(ES_VERSIONS[version]!.root!) as Record<string, unknown>;
      const { indices } = loadFixture(ES_VERSIONS[version]!.indices_stats!) as {
        indices: Record<string, unknown>;
      };
      const es = await startEsStandin({
        version,
        bodies: nodes.cluster_name ? { root: { ...root, cluster_name: nodes.cluster_name } } : {},
      });
      t.after(() => es.close());
      const [exporterText, stokerText] = await Promise.all([scrapeExporter(es.url), stokerScrape(es.url)]);
      const stoker = new Map(parseExposition(stokerText).map((sample) => [seriesKey(sample), sample.value]));
      const claimed = parseExposition(exporterText).filter((sample) => CLAIMED.has(sample.name));
      assert.ok(claimed.length > 50, `only ${claimed.length} claimed exporter series on ${version}`);
      // Every per-index figure of the exporter is claimed, but for what Stoker does not ask (`_alias`).
      const unclaimedIndexNames = new Set(
        parseExposition(exporterText)
          .filter((sample) => sample.labels.index !== undefined && !CLAIMED.has(sample.name))
          .map((sample) => sample.name),
      );
      assert.deepEqual(
        [...unclaimedIndexNames].sort(),
        version === '8.4.2' || version === '7.13.1' ? ['elasticsearch_indices_aliases'] : [],
        `exporter per-index names Stoker does not claim on ${version}`,
      );
      const missing: string[] = [];
      const different: string[] = [];
      let indexSeries = 0;
      for (const sample of claimed) {
        const key = seriesKey(sample);
        const indexPath = INDEX_PATHS.get(sample.name);
        if (indexPath && !recorded(indices, sample.labels.index ?? '', indexPath)) {
          // A field this version's _stats lacks (points memory before 5.x...): Go decodes it as 0,
          // Stoker writes no made-up zero.
          assert.equal(sample.value, 0, `${key}: the exporter's zero fill`);
          assert.equal(stoker.get(key), undefined, `${key}: Stoker has a figure ES did not send`);
          continue;
        }
        if (indexPath) indexSeries++;
        if (version.startsWith('2.') && ZERO_FILLED_ON_2X.has(sample.name)) {
          // 2.x reports these as os.cpu_percent and a single os.load_average; 1.5.0 reads only the
          // 5.x+ fields and writes 0. Stoker writes no made-up zero (2.x's figures go under stoker_es_*).
          assert.equal(sample.value, 0, `${key}: the exporter's zero fill`);
          continue;
        }
        const value = stoker.get(key);
        if (value === undefined) missing.push(key);
        else if (Math.abs(value - sample.value) > 1e-9 * Math.max(1, Math.abs(sample.value)))
          different.push(`${key}: exporter ${sample.value}, stoker ${value}`);
      }
      // Each recorded index compared on at least its docs, store, segments, search and indexing.
      const indexCount = Object.keys(indices).length;
      assert.ok(indexSeries >= 20 * indexCount, `${indexSeries} per-index series for ${indexCount} indices`);
      assert.deepEqual(missing, [], `exporter series Stoker lacks on ${version}`);
      assert.deepEqual(different, [], `values that differ on ${version}`);

      const [ours, theirs] = await Promise.all([
        promtoolCheckMetrics(stokerText),
        promtoolCheckMetrics(exporterText),
      ]);
      const theirFindings = new Set(theirs.findings);
      assert.deepEqual(
        ours.findings.filter((finding) => !theirFindings.has(finding)),
        [],
        'promtool findings of Stoker that the exporter does not share',
      );
    });
  }
});
