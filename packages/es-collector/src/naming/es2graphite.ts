import { lowerWordSanitizer } from '@stoker/shared';
import type { HealthStatus, Sample } from '../samples.js';
import { defaultNaming } from './default.js';
import type { Named, NamingScheme } from './scheme.js';

/** es2graphite counted status the other way round: higher is healthier. */
const HEALTH_CODE_ES2GRAPHITE: Readonly<Record<HealthStatus, number>> = { red: 0, yellow: 1, green: 2 };

/**
 * Reproduces es2graphite's paths so existing dashboards keep working: node stats straight under the
 * cluster (`es.<cluster>.<node>.jvm.mem.heap_used_in_bytes`), health fields too
 * (`es.<cluster>.status`, `es.<cluster>.timed_out`), indices under `es.<cluster>.indices`. Every
 * segment is lower-cased and each run of non-word characters becomes `_`, as es2graphite did.
 * What es2graphite never sent (cluster stats, pending tasks, derived metrics, aggregates, the
 * collector's own health) goes under fixed names beside them; a node named like one of those
 * (`indices`, `collector`...) would share its directory, as it already did in es2graphite.
 */
export const es2graphiteNaming: NamingScheme = {
  name: 'es2graphite',
  sanitize: lowerWordSanitizer,
  nameSample(cluster: string, sample: Sample): Named[] {
    switch (sample.kind) {
      case 'health':
        return sample.index === undefined
          ? [{ segments: [cluster, ...sample.path], value: sample.value }]
          : [{ segments: [cluster, 'indices', sample.index, ...sample.path], value: sample.value }];
      case 'health_status': {
        const head = sample.index === undefined ? [cluster] : [cluster, 'indices', sample.index];
        return [{ segments: [...head, 'status'], value: HEALTH_CODE_ES2GRAPHITE[sample.status] }];
      }
      case 'cluster_stats':
        return [{ segments: [cluster, 'cluster_stats', ...sample.path], value: sample.value }];
      case 'pending_tasks':
        return [{ segments: [cluster, 'pending_tasks', ...sample.path], value: sample.value }];
      case 'node':
      case 'node_derived':
        return [{ segments: [cluster, sample.node, ...sample.path], value: sample.value }];
      // Index stats were already `indices.<index>...` in es2graphite; the rest is new in Stoker.
      case 'collector':
        // A --local collector's own series sit with its node, wherever the scheme puts nodes.
        return sample.node === undefined
          ? defaultNaming.nameSample(cluster, sample)
          : [{ segments: [cluster, sample.node, 'collector', ...sample.path], value: sample.value }];
      case 'index':
      case 'aggregate':
        return defaultNaming.nameSample(cluster, sample);
    }
  },
};
