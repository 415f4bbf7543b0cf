import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CounterTracker } from '@stoker/shared';
import { sharedSkip } from '../../../../test/harness/fixtures.js';
import { aggregateNodes } from '../../src/aggregate.js';
import { type NodeEntry, nodesStats, parseNodesStats } from '../../src/collectors/nodes-stats.js';
import { parseVersion } from '../../src/collectors/root.js';
import { deriveNodeMetrics } from '../../src/derive.js';
import { numberAt } from '../../src/flatten.js';
import type { Sample } from '../../src/samples.js';
import { eachRecording, leafValues, mapContext, pathValues, readFixture } from '../helpers.js';

const skip = sharedSkip();
/** A real 3-node Elastic Cloud recording (roles, data tiers, 8.x sections). */
const RECORDING = 'netdata_go.d/8.4.2/nodes_stats.json';

describe('nodes_stats', { skip }, () => {
  test('every recording gives every node with heap used, no unknown -1, no http.clients, no timestamp', () => {
    eachRecording(nodesStats, /^nodes.*stats.*\.json$/, 38, (file, mapped, body) => {
      const recorded = Object.keys((body as { nodes: Record<string, unknown> }).nodes).length;
      const nodes = mapped.samples.filter((sample) => sample.kind === 'node');
      assert.equal(nodes.length, recorded, `${file}: every node`);
      assert.equal(mapped.collector?.nodes, recorded, `${file}: collector.nodes`);
      assert.equal(new Set(nodes.map((n) => n.node)).size, recorded, `${file}: unique node names`);
      for (const node of nodes) {
        const paths = leafValues(node);
        assert.ok((paths.get('jvm.mem.heap_used_in_bytes') ?? 0) > 0, `${file} ${node.node}: heap used`);
        for (const [path, value] of paths) {
          assert.ok(!path.startsWith('http.clients'), `${file}: ${path} skipped`);
          if (/(^|\.)(percent|cpu_percent)$/.test(path)) assert.ok(value >= 0, `${file}: ${path} = ${value}`);
          assert.ok(!/(^|\.)timestamp$/.test(path), `${file}: ${path} is a timestamp`);
        }
        // Metric-filtered recordings (jvm,process) have no indices section; all others do.
        if (!paths.has('indices.docs.count'))
          assert.match(file, /jvm_process/, `${file}: indices.docs.count`);
      }
      // The heap percent is worked out wherever the recording says the heap's size or its percent.
      const heapKnown = nodes.some((node) => {
        const leaves = leafValues(node);
        return (leaves.get('jvm.mem.heap_max_in_bytes') ?? 0) > 0 || leaves.has('jvm.mem.heap_used_percent');
      });
      const derived = pathValues(mapped.samples, 'node_derived');
      assert.equal(derived.has('derived.heap_used_percent'), heapKnown, `${file}: derived.heap_used_percent`);
      assert.ok(
        mapped.samples.some((s) => s.kind === 'aggregate' && s.group === 'all' && s.path[0] === 'node_count'),
        `${file}: aggregates.all.node_count`,
      );
    });
  });

  test('--local: _nodes/_local/stats, and no aggregates (one node is no group)', () => {
    const local = mapContext({ local: true });
    assert.equal(nodesStats.path(parseVersion('8.4.2'), local.options), '/_nodes/_local/stats');
    assert.equal(nodesStats.path(parseVersion('0.90.13'), local.options), '/_nodes/_local/stats?all=true');
    const { samples } = nodesStats.map(readFixture(RECORDING), local);
    assert.ok(samples.some((sample) => sample.kind === 'node'));
    assert.ok(!samples.some((sample) => sample.kind === 'aggregate'));
  });

  test('a CPU percent or load average of -1 means unknown and is not sent', () => {
    // OpenSearch keeps ES 7's shape and reports -1 for a CPU percent or load it cannot read: a real
    // 7.13.1 node entry with those values set to -1 stands in for it.
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
    for (const node of nodesStats.map(body, mapContext()).samples.filter((s) => s.kind === 'node')) {
      const paths = leafValues(node);
      assert.equal(paths.has('os.cpu.percent'), false, 'os.cpu.percent -1 not sent');
      assert.equal(paths.has('process.cpu.percent'), false, 'process.cpu.percent -1 not sent');
      assert.equal(paths.has('os.cpu.load_average.1m'), false, 'load 1m -1 not sent');
      assert.equal(paths.get('os.cpu.load_average.5m'), 0.5, 'a known load is still sent');
    }
  });

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
    const mapped = nodesStats.map({ ...recorded, nodes }, mapContext());
    assert.equal(mapped.collector?.nodes, 1000);
    const node = mapped.samples.find((sample) => sample.kind === 'node' && sample.node === 'data-7');
    const perNode = [...leafValues(node!).keys()];
    assert.ok(perNode.length > 100, `${perNode.length} series for one node`);
    assert.ok(!perNode.some((path) => path.startsWith('adaptive_selection')));
  });

  test('a body without nodes fails this API', () => {
    assert.throws(() => nodesStats.map({ error: 'x' }, mapContext()), /expected \{"nodes": \{\.\.\.\}\}/);
  });
});

/**
 * Rates need two samples of one node. The second is the real recording with a few counters moved
 * on (and, for a restart, moved back); everything else stays as recorded.
 */
function advanced(nodes: NodeEntry[], seconds: number, change: (stats: any) => void): NodeEntry[] {
  return nodes.map((node) => {
    const stats = structuredClone(node.stats);
    change(stats);
    return { ...node, stats, timestampMs: (node.timestampMs ?? 0) + seconds * 1000 };
  });
}

function derivedOf(samples: readonly Sample[], node: string): Map<string, number> {
  return pathValues(
    samples.filter((s) => s.kind === 'node_derived' && s.node === node),
    'node_derived',
  );
}

describe('nodes_stats: derived node metrics (derive.ts) and aggregates (aggregate.ts)', { skip }, () => {
  test('rates, latency and percents from two samples', () => {
    const tracker = new CounterTracker();
    const first = parseNodesStats(readFixture(RECORDING));
    const firstDerived = deriveNodeMetrics(first, tracker, 0);
    const node = first[0]!;
    // The first sample gives percents but no rates.
    const initial = derivedOf(firstDerived.samples, node.name);
    assert.ok(!initial.has('rates.indexing.index_per_s'));
    const heapUsed = numberAt(node.stats, 'jvm', 'mem', 'heap_used_in_bytes')!;
    const heapMax = numberAt(node.stats, 'jvm', 'mem', 'heap_max_in_bytes')!;
    assert.equal(initial.get('derived.heap_used_percent'), (heapUsed / heapMax) * 100);
    assert.ok(
      initial.get('derived.disk_used_percent')! > 0 && initial.get('derived.disk_used_percent')! < 100,
    );

    const second = advanced(first, 10, (stats) => {
      stats.indices.indexing.index_total += 5000;
      stats.indices.indexing.index_time_in_millis += 2500;
      stats.indices.search.query_total += 100;
      stats.indices.search.query_time_in_millis += 300;
      stats.jvm.gc.collectors.young.collection_count += 4;
      stats.jvm.gc.collectors.young.collection_time_in_millis += 80;
      stats.thread_pool.write.rejected += 20;
    });
    const { samples, figures } = deriveNodeMetrics(second, tracker, 0);
    const rates = derivedOf(samples, node.name);
    assert.equal(rates.get('rates.indexing.index_per_s'), 500);
    assert.equal(rates.get('latency.indexing.index_ms'), 0.5);
    assert.equal(rates.get('rates.search.query_per_s'), 10);
    assert.equal(rates.get('latency.search.query_ms'), 3);
    assert.equal(rates.get('rates.search.fetch_per_s'), 0);
    assert.ok(!rates.has('latency.search.fetch_ms'), 'no latency when nothing happened');
    assert.equal(rates.get('rates.gc.young.collections_per_s'), 0.4);
    assert.equal(rates.get('rates.gc.young.time_ms_per_s'), 8);
    assert.equal(rates.get('latency.gc.young.collection_ms'), 20);
    assert.equal(rates.get('rates.thread_pool.write.rejected_per_s'), 2);

    const aggregates = new Map(
      aggregateNodes(figures).map((s) => [
        s.kind === 'aggregate' ? `${s.group}.${s.path.join('.')}` : '',
        s.kind === 'aggregate' ? s.value : Number.NaN,
      ]),
    );
    assert.equal(aggregates.get('all.node_count'), 3);
    assert.equal(aggregates.get('all.indexing_index_per_s.sum'), 1500, 'three nodes each +500/s');
    assert.equal(aggregates.get('voting_only.node_count'), 1);
    assert.equal(aggregates.get('data_hot.node_count'), 2);
    const heaps = figures.map((f) => f.metrics.heap_used_percent!);
    assert.equal(aggregates.get('all.heap_used_percent.max'), Math.max(...heaps));
    assert.equal(aggregates.get('all.heap_used_percent.min'), Math.min(...heaps));
  });

  test('--once: a primed first sample gives the mapped second one its rates', () => {
    const context = mapContext();
    const body = readFixture(RECORDING) as { nodes: Record<string, any> };
    nodesStats.prime!(body, context);
    const later = structuredClone(body);
    for (const stats of Object.values(later.nodes)) {
      stats.timestamp += 1000;
      stats.indices.indexing.index_total += 7;
    }
    const rates = pathValues(nodesStats.map(later, context).samples, 'node_derived');
    assert.equal(rates.get('rates.indexing.index_per_s'), 7);
  });

  test('a counter reset (node restart) gives no rate, then rates resume from the new baseline', () => {
    const tracker = new CounterTracker();
    const first = parseNodesStats(readFixture(RECORDING));
    deriveNodeMetrics(first, tracker, 0);
    const restarted = advanced(first, 10, (stats) => {
      stats.indices.indexing.index_total = 42;
      stats.indices.indexing.index_time_in_millis = 7;
      stats.jvm.gc.collectors.old.collection_count = 0;
    });
    const afterReset = derivedOf(deriveNodeMetrics(restarted, tracker, 0).samples, first[0]!.name);
    assert.ok(!afterReset.has('rates.indexing.index_per_s'), 'no negative rate after a reset');
    assert.ok(!afterReset.has('latency.indexing.index_ms'));
    for (const value of afterReset.values()) assert.ok(value >= 0, 'nothing negative');

    const later = advanced(restarted, 10, (stats) => {
      stats.indices.indexing.index_total += 100;
    });
    const resumed = derivedOf(deriveNodeMetrics(later, tracker, 0).samples, first[0]!.name);
    assert.equal(resumed.get('rates.indexing.index_per_s'), 10);
  });

  test('1.x recordings: bulk queue stands in for write, roles from attributes', () => {
    const nodes = parseNodesStats(readFixture('elasticsearch_exporter/1.7.6/nodes_stats.json'));
    const { figures } = deriveNodeMetrics(nodes, new CounterTracker(), 0);
    for (const figure of figures) {
      assert.deepEqual(figure.roles, ['master', 'data']);
      assert.equal(typeof figure.metrics.write_queue, 'number');
      assert.equal(typeof figure.metrics.heap_used_percent, 'number');
    }
  });
});
