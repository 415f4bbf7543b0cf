import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CounterTracker } from '@stoker/shared';
import { sharedSkip } from '../../../test/harness/fixtures.js';
import { aggregateNodes } from '../src/aggregate.js';
import { type NodeEntry, parseNodesStats } from '../src/collectors/nodes-stats.js';
import { deriveNodeMetrics } from '../src/derive.js';
import type { Sample } from '../src/samples.js';
import { readFixture } from './helpers.js';

/**
 * Rates need two samples of one node. The second is the real recording with a few counters moved
 * on (and, for a restart, moved back); everything else stays as recorded.
 */
const skip = sharedSkip();
const RECORDING = 'netdata_go.d/8.4.2/nodes_stats.json';

function advanced(nodes: NodeEntry[], seconds: number, change: (stats: any) => void): NodeEntry[] {
  return nodes.map((node) => {
    const stats = structuredClone(node.stats);
    change(stats);
    return { ...node, stats, timestampMs: (node.timestampMs ?? 0) + seconds * 1000 };
  });
}

function derivedOf(samples: readonly Sample[], node: string): Map<string, number> {
  return new Map(
    samples.flatMap((s) =>
      s.kind === 'node_derived' && s.node === node ? [[s.path.join('.'), s.value] as const] : [],
    ),
  );
}

describe('derived node metrics', { skip }, () => {
  test('rates, latency and percents from two samples', () => {
    const tracker = new CounterTracker();
    const first = parseNodesStats(readFixture(RECORDING));
    const firstDerived = deriveNodeMetrics(first, tracker, 0);
    const node = first[0]!;
    // The first sample gives percents but no rates.
    const initial = derivedOf(firstDerived.samples, node.name);
    assert.ok(!initial.has('rates.indexing.index_per_s'));
    const heap = node.stats.jvm!.mem!;
    assert.equal(
      initial.get('derived.heap_used_percent'),
      (heap.heap_used_in_bytes! / heap.heap_max_in_bytes!) * 100,
    );
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
