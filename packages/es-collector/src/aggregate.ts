import { summarizeBy } from '@stoker/shared';
import type { NodeFigures } from './derive.js';
import type { Sample } from './samples.js';

/**
 * Cluster-wide (`all`) and per-role summaries of per-node figures: the hottest heap, the total
 * indexing rate, the longest queue, the fullest disk, without a Graphite function per panel.
 */
export const AGGREGATED_METRICS = [
  'heap_used_percent',
  'indexing_index_per_s',
  'search_query_per_s',
  'search_fetch_per_s',
  'gc_time_ms_per_s',
  'thread_pool_rejected_per_s',
  'thread_pool_queue_max',
  'search_queue',
  'write_queue',
  'disk_used_percent',
  'disk_available_bytes',
  'process_cpu_percent',
  'docs_count',
  'store_size_bytes',
  'open_file_descriptors',
] as const;

/**
 * Percentages: a sum of them means nothing, so they get `avg`, `max` (the worst node) and `min`,
 * and, under their own name, the group's ratio of sums where the parts are known (Σ heap used /
 * Σ heap max: a 31 GB heap weighs more than a 1 GB one).
 */
const PERCENTAGES: Readonly<Record<string, readonly [part: string, whole: string] | undefined>> = {
  heap_used_percent: ['heap_used_bytes', 'heap_max_bytes'],
  disk_used_percent: ['disk_used_bytes', 'disk_total_bytes'],
  process_cpu_percent: undefined,
};
const RATIO_PARTS = Object.values(PERCENTAGES).flatMap((parts) => parts ?? []);

export const ALL_NODES_GROUP = 'all';

export function aggregateNodes(figures: readonly NodeFigures[]): Sample[] {
  const pickers = Object.fromEntries(
    [...AGGREGATED_METRICS, ...RATIO_PARTS].map((metric) => [
      metric,
      (node: NodeFigures) => node.metrics[metric],
    ]),
  );
  const groups = summarizeBy(figures, (node) => [ALL_NODES_GROUP, ...node.roles], pickers);
  const samples: Sample[] = [];
  for (const [group, metrics] of groups) {
    const members =
      group === ALL_NODES_GROUP
        ? figures.length
        : figures.filter((node) => node.roles.includes(group)).length;
    samples.push({ kind: 'aggregate', group, path: ['node_count'], value: members });
    for (const [metric, summary] of metrics) {
      if (RATIO_PARTS.includes(metric)) continue;
      const percentage = metric in PERCENTAGES;
      for (const stat of percentage
        ? (['avg', 'max', 'min'] as const)
        : (['sum', 'avg', 'max', 'min'] as const)) {
        samples.push({ kind: 'aggregate', group, path: [metric, stat], value: summary[stat] });
      }
      const [part, whole] = PERCENTAGES[metric] ?? [];
      const wholeSum = whole && metrics.get(whole)?.sum;
      if (part && wholeSum)
        samples.push({
          kind: 'aggregate',
          group,
          path: [metric],
          value: (100 * metrics.get(part)!.sum) / wholeSum,
        });
    }
  }
  return samples;
}
