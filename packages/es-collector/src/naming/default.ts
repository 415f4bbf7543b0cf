import { HEALTH_STATUSES, type HealthStatus, type Sample } from '../samples.js';
import type { Named, NamingScheme } from './scheme.js';

const HEALTH_CODE_DEFAULT: Readonly<Record<HealthStatus, number>> = { green: 0, yellow: 1, red: 2 };

/**
 * Stoker's own scheme: `<prefix>.<cluster>.<area>...`, one area per kind of sample, so a wildcard
 * never mixes nodes with indices. Health status grows with badness (0 green, 1 yellow, 2 red), so
 * `maxSeries` across clusters shows the worst; `status_<colour>` flags (0/1) suit stacked panels.
 */
export const defaultNaming: NamingScheme = {
  name: 'default',
  nameSample(cluster: string, sample: Sample): Named[] {
    switch (sample.kind) {
      case 'health': {
        const head =
          sample.index === undefined
            ? [cluster, 'cluster', 'health']
            : [cluster, 'indices', sample.index, 'health'];
        return [{ segments: [...head, ...sample.path], value: sample.value }];
      }
      case 'health_status': {
        const head =
          sample.index === undefined
            ? [cluster, 'cluster', 'health']
            : [cluster, 'indices', sample.index, 'health'];
        return [
          { segments: [...head, 'status'], value: HEALTH_CODE_DEFAULT[sample.status] },
          ...HEALTH_STATUSES.map((status) => ({
            segments: [...head, `status_${status}`],
            value: status === sample.status ? 1 : 0,
          })),
        ];
      }
      case 'cluster_stats':
        return [{ segments: [cluster, 'cluster', 'stats', ...sample.path], value: sample.value }];
      case 'pending_tasks':
        return [{ segments: [cluster, 'cluster', 'pending_tasks', ...sample.path], value: sample.value }];
      case 'node':
      case 'node_derived':
        return [{ segments: [cluster, 'nodes', sample.node, ...sample.path], value: sample.value }];
      case 'index':
        return [{ segments: [cluster, 'indices', sample.index, ...sample.path], value: sample.value }];
      case 'aggregate':
        return [{ segments: [cluster, 'aggregates', sample.group, ...sample.path], value: sample.value }];
      case 'collector': {
        const head = sample.node === undefined ? [cluster] : [cluster, 'nodes', sample.node];
        return [{ segments: [...head, 'collector', ...sample.path], value: sample.value }];
      }
    }
  },
};
