import { HEALTH_STATUSES, type HealthStatus, type Sample } from '../samples.js';
import type { Entity, Named, NamingScheme, Segments } from './scheme.js';

const HEALTH_CODE_DEFAULT: Readonly<Record<HealthStatus, number>> = { green: 0, yellow: 1, red: 2 };

/** Health status as a code plus one 0/1 flag per colour, below `head`. */
function statusFlags(head: Segments, status: HealthStatus): Named[] {
  return [
    { segments: [...head, 'status'], value: HEALTH_CODE_DEFAULT[status] },
    ...HEALTH_STATUSES.map((each) => ({
      segments: [...head, `status_${each}`],
      value: each === status ? 1 : 0,
    })),
  ];
}

/**
 * Stoker's own scheme: `<prefix>.<cluster>.<area>...`, one area per kind of sample, so a wildcard
 * never mixes nodes with indices. Health status grows with badness (0 green, 1 yellow, 2 red), so
 * `maxSeries` across clusters shows the worst; `status_<colour>` flags (0/1) suit stacked panels.
 */
export const defaultNaming: NamingScheme = {
  name: 'default',
  head(cluster: string, entity: Entity, name: string): Segments {
    return [cluster, entity === 'node' ? 'nodes' : 'indices', name];
  },
  nameSample(cluster: string, sample: Sample): Named[] {
    switch (sample.kind) {
      case 'health':
        return sample.index === undefined
          ? [{ segments: [cluster, 'cluster', 'health', ...sample.path], value: sample.value }]
          : [
              {
                segments: ['health', ...sample.path],
                value: sample.value,
                below: { entity: 'index', name: sample.index },
              },
            ];
      case 'health_status':
        return sample.index === undefined
          ? statusFlags([cluster, 'cluster', 'health'], sample.status)
          : statusFlags(['health'], sample.status).map((named) => ({
              ...named,
              below: { entity: 'index', name: sample.index! },
            }));
      case 'cluster_stats':
        return [{ segments: [cluster, 'cluster', 'stats', ...sample.path], value: sample.value }];
      case 'pending_tasks':
        return [{ segments: [cluster, 'cluster', 'pending_tasks', ...sample.path], value: sample.value }];
      case 'node_derived':
        return [{ segments: sample.path, value: sample.value, below: { entity: 'node', name: sample.node } }];
      case 'aggregate':
        return [{ segments: [cluster, 'aggregates', sample.group, ...sample.path], value: sample.value }];
      case 'collector':
        return sample.node === undefined
          ? [{ segments: [cluster, 'collector', ...sample.path], value: sample.value }]
          : [
              {
                segments: ['collector', ...sample.path],
                value: sample.value,
                below: { entity: 'node', name: sample.node },
              },
            ];
      case 'node':
      case 'index':
      case 'index_status':
        // Walked below their head by `nameSamples`, leaf by leaf.
        return [];
      case 'cat':
        // Asked for the es2graphite scheme only (collectors/cat-*.ts): node stats carry the same figures.
        return [];
    }
  },
};
