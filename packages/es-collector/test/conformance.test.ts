import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CounterTracker } from '@stoker/shared';
import { sharedSkip } from '../../../test/harness/fixtures.js';
import { mapClusterHealth } from '../src/collectors/cluster-health.js';
import { mapClusterStats } from '../src/collectors/cluster-stats.js';
import { mapIndexStats, readIndicesStats } from '../src/collectors/indices-stats.js';
import { parseMasterNodeId } from '../src/collectors/master-node.js';
import { mapNodeStats, parseNodesStats } from '../src/collectors/nodes-stats.js';
import { mapPendingTasks } from '../src/collectors/pending-tasks.js';
import { parseRoot } from '../src/collectors/root.js';
import { DEFAULT_INDEX_SELECTION } from '../src/index-selection.js';
import { NAMING_SCHEMES } from '../src/naming/index.js';
import { mapResponses } from '../src/pipeline.js';
import type { Sample } from '../src/samples.js';
import { fixtureFiles, leafValues, namedLines, readFixture, readFixtureBytes } from './helpers.js';

/**
 * Every real recording under ../shared/fixtures/es goes through the same assertions, whatever its
 * version: it parses, yields its version's key metrics, and every sample becomes a valid carbon
 * line under both naming schemes. Files are discovered, not listed, so a new recording is covered.
 */
const skip = sharedSkip();
const files = (match: RegExp): string[] => (skip ? [] : fixtureFiles(match));

function assertNamesValid(samples: readonly Sample[], file: string): void {
  for (const scheme of Object.values(NAMING_SCHEMES)) {
    const batch = namedLines(scheme, 'cluster', samples, 1);
    assert.equal(
      batch.dropped.non_finite + batch.dropped.too_long,
      0,
      `${file}: ${scheme.name} dropped lines`,
    );
    for (const line of batch.lines)
      assert.match(line, /^es(\.[A-Za-z0-9_-]+)+ -?[\d.e+-]+ 1\n$/, `${file}: ${line}`);
    const names = batch.lines.map((line) => line.split(' ')[0]);
    assert.equal(new Set(names).size, names.length, `${file}: ${scheme.name} produced duplicate names`);
  }
}

describe('conformance: every recorded response', { skip }, () => {
  test('GET / recordings give a version', () => {
    const roots = files(/^root\.json$/);
    assert.ok(roots.length >= 20, `found ${roots.length} root recordings`);
    for (const file of roots) {
      const info = parseRoot(readFixture(file));
      assert.ok(info.version.major >= 1, `${file}: major ${info.version.major}`);
      assert.match(
        file,
        new RegExp(`/${info.version.number.replace(/\./g, '\\.')}/`),
        `${file}: version ${info.version.number} matches its folder`,
      );
      assert.ok(info.clusterName, `${file}: cluster_name`);
    }
  });

  test('_cluster/health recordings give status, node count, unassigned shards', () => {
    const healthFiles = files(/^cluster_health.*\.json$/);
    assert.ok(healthFiles.length >= 29);
    for (const file of healthFiles) {
      const samples = mapClusterHealth(readFixture(file));
      const status = samples.find((sample) => sample.kind === 'health_status');
      assert.ok(status, `${file}: status`);
      const numbers = new Map(
        samples.flatMap((s) => (s.kind === 'health' ? [[s.path.join('.'), s.value] as const] : [])),
      );
      assert.ok((numbers.get('number_of_nodes') ?? 0) >= 1, `${file}: number_of_nodes`);
      assert.ok(numbers.has('unassigned_shards'), `${file}: unassigned_shards`);
      assert.ok(numbers.has('timed_out'), `${file}: timed_out as 0/1`);
      assertNamesValid(samples, file);
    }
  });

  test('_cluster/stats recordings give docs count and node count', () => {
    for (const file of files(/^cluster_stats.*\.json$/)) {
      const samples = mapClusterStats(readFixture(file));
      const names = new Map(
        samples.map((s) => [
          s.kind === 'cluster_stats' ? s.path.join('.') : '',
          s.kind === 'cluster_stats' ? s.value : 0,
        ]),
      );
      assert.ok(names.has('indices.docs.count'), `${file}: indices.docs.count`);
      assert.ok((names.get('nodes.count.total') ?? 0) >= 1, `${file}: nodes.count.total`);
      assertNamesValid(samples, file);
    }
  });

  test('_nodes/stats recordings give every node with heap used, no unknown -1, no http.clients', () => {
    const nodeFiles = files(/^nodes.*stats.*\.json$/);
    assert.ok(nodeFiles.length >= 38, `found ${nodeFiles.length}`);
    for (const file of nodeFiles) {
      const body = readFixture(file) as { nodes: Record<string, unknown> };
      const nodes = parseNodesStats(body);
      assert.equal(nodes.length, Object.keys(body.nodes).length, `${file}: every node`);
      assert.equal(new Set(nodes.map((n) => n.name)).size, nodes.length, `${file}: unique node names`);
      for (const node of nodes) {
        const sample = mapNodeStats(node);
        const paths = leafValues(sample);
        assert.ok(
          (paths.get('jvm.mem.heap_used_in_bytes') ?? 0) > 0,
          `${file} ${node.name}: jvm.mem.heap_used_in_bytes`,
        );
        for (const [path, value] of paths) {
          assert.ok(!path.startsWith('http.clients'), `${file}: ${path} skipped`);
          if (/(^|\.)(percent|cpu_percent)$/.test(path)) assert.ok(value >= 0, `${file}: ${path} = ${value}`);
          assert.ok(!/(^|\.)timestamp$/.test(path), `${file}: ${path} is a timestamp`);
        }
        if (paths.has('indices.docs.count') === false) {
          // Metric-filtered recordings (jvm,process) have no indices section; all others do.
          assert.match(file, /jvm_process/, `${file}: indices.docs.count`);
        }
        assertNamesValid([sample], file);
      }
    }
  });

  test('index stats recordings give _all and per-index docs count', () => {
    const indexFiles = files(/^indices_stats.*\.json$/);
    assert.ok(indexFiles.length >= 36, `found ${indexFiles.length}`);
    for (const file of indexFiles) {
      const parsed = readIndicesStats(readFixtureBytes(file));
      assert.ok(parsed.all, `${file}: _all`);
      const docs = leafValues(mapIndexStats('_all', parsed.all)).get('primaries.docs.count');
      // One upstream recording (data streams, 7.15.0) carries an empty `_all`; all others have totals.
      const emptyAll = !parsed.all.shape.leaves.some((leaf) => leaf.keys[0] === 'primaries');
      assert.ok(docs !== undefined || emptyAll, `${file}: _all.primaries.docs.count`);
      for (const [name, stats] of parsed.indices) {
        const sample = mapIndexStats(name, stats);
        // The data-stream recording carries primaries only; every other has both.
        assert.ok(leafValues(sample).has('primaries.docs.count'), `${file} ${name}: primaries.docs.count`);
        assertNamesValid([sample], file);
      }
    }
  });

  test('pending tasks and master node recordings', () => {
    for (const file of files(/^pending_tasks.*\.json$/)) {
      const samples = mapPendingTasks(readFixture(file));
      assert.ok(
        samples.some((s) => s.kind === 'pending_tasks' && s.path[0] === 'count' && s.value > 0),
        file,
      );
      assert.ok(
        samples.some(
          (s) => s.kind === 'pending_tasks' && s.path[0] === 'max_time_in_queue_ms' && s.value > 0,
        ),
        file,
      );
    }
    const masters = files(/^cluster_state_master_node\.json$/);
    assert.equal(masters.length, 18);
    for (const file of masters) assert.match(parseMasterNodeId(readFixture(file)), /^[\w-]{20,}$/, file);
  });
});

describe('OpenSearch and unknown values', { skip }, () => {
  // No OpenSearch _nodes/stats recording exists in ../shared; OpenSearch keeps ES 7's shape and reports
  // -1 for a CPU percent or load it cannot read. A real 7.13.1 node entry with those values set to -1
  // stands in for it.
  test('a CPU percent or load average of -1 means unknown and is not sent', () => {
    const body = structuredClone(readFixture('elasticsearch_exporter/7.13.1/nodes_stats.json')) as {
      nodes: Record<
        string,
        { os: { cpu: Record<string, unknown> }; process: { cpu: Record<string, unknown> } }
      >;
    };
    for (const node of Object.values(body.nodes)) {
      node.os.cpu.percent = -1;
      node.os.cpu.load_average = { '1m': -1, '5m': 0.5, '15m': -1 };
      node.process.cpu.percent = -1;
    }
    for (const node of parseNodesStats(body)) {
      const paths = leafValues(mapNodeStats(node));
      assert.equal(paths.has('os.cpu.percent'), false, 'os.cpu.percent -1 not sent');
      assert.equal(paths.has('process.cpu.percent'), false, 'process.cpu.percent -1 not sent');
      assert.equal(paths.has('os.cpu.load_average.1m'), false, 'load 1m -1 not sent');
      assert.equal(paths.get('os.cpu.load_average.5m'), 0.5, 'a known load is still sent');
    }
  });

  test('GET / of OpenSearch is recognised by its distribution', () => {
    const root = structuredClone(readFixture('elasticsearch_exporter/7.13.1/root.json')) as {
      version: Record<string, unknown>;
    };
    root.version.distribution = 'opensearch';
    root.version.number = '2.12.0';
    const info = parseRoot(root);
    assert.equal(info.version.distribution, 'opensearch');
    assert.equal(info.version.major, 2);
  });
});

describe('a big cluster', { skip }, () => {
  test('1,000 nodes map without overflowing the stack, and adaptive_selection (N² series) is skipped', () => {
    // A real 7.13.1 node replicated 1,000 times; each node's adaptive_selection names its peers.
    const recorded = readFixture('elasticsearch_exporter/7.13.1/nodes_stats.json') as {
      nodes: Record<string, Record<string, unknown>>;
    };
    const template = Object.values(recorded.nodes)[0]!;
    assert.ok(template.adaptive_selection, 'the recording has adaptive_selection');
    const nodes: Record<string, unknown> = {};
    const ids = Array.from({ length: 1000 }, (_, i) => `node${String(i).padStart(4, '0')}`.padEnd(22, 'x'));
    const peerStats = Object.values(template.adaptive_selection as Record<string, unknown>)[0];
    for (const [i, id] of ids.entries()) {
      nodes[id] = {
        ...template,
        name: `data-${i}`,
        adaptive_selection: Object.fromEntries(ids.map((peer) => [peer, peerStats])),
      };
    }
    const result = mapResponses(
      { nodes_stats: { ...recorded, nodes } },
      { indices: DEFAULT_INDEX_SELECTION, healthLevelIndices: false },
      { tracker: new CounterTracker(), atMs: Date.now() },
    );
    assert.deepEqual([...result.errors], []);
    assert.equal(result.nodes?.length, 1000);
    const node = result.samples.find((sample) => sample.kind === 'node' && sample.node === 'data-7');
    const perNode = [...leafValues(node!).keys()];
    assert.ok(perNode.length > 100, `${perNode.length} series for one node`);
    assert.ok(!perNode.some((path) => path.startsWith('adaptive_selection')));
  });
});
