import { lowerWordSanitizer } from '@stoker/shared';
import type { HealthStatus, Sample } from '../samples.js';
import { defaultNaming } from './default.js';
import type { Entity, Named, NamingScheme, Segments } from './scheme.js';

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
  head(cluster: string, entity: Entity, name: string): Segments {
    // Index stats were already `indices.<index>...` in es2graphite.
    return entity === 'node' ? [cluster, name] : defaultNaming.head(cluster, entity, name);
  },
  nameSample(cluster: string, sample: Sample): Named[] {
    switch (sample.kind) {
      case 'health':
        return sample.index === undefined
          ? [{ segments: [cluster, ...sample.path], value: sample.value }]
          : [{ segments: sample.path, value: sample.value, below: { entity: 'index', name: sample.index } }];
      case 'health_status': {
        const value = HEALTH_CODE_ES2GRAPHITE[sample.status];
        return sample.index === undefined
          ? [{ segments: [cluster, 'status'], value }]
          : [{ segments: ['status'], value, below: { entity: 'index', name: sample.index } }];
      }
      case 'cluster_stats':
        return [{ segments: [cluster, 'cluster_stats', ...sample.path], value: sample.value }];
      case 'pending_tasks':
        return [{ segments: [cluster, 'pending_tasks', ...sample.path], value: sample.value }];
      // What es2graphite never sent is new in Stoker: named as the default scheme names it, below
      // this scheme's heads (a --local collector's own series sit with its node).
      case 'node_derived':
      case 'collector':
      case 'aggregate':
      case 'node':
      case 'index':
        return defaultNaming.nameSample(cluster, sample);
    }
  },
};
