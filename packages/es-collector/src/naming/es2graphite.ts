import { lowerWordSanitizer } from '@stoker/shared';
import type { HealthStatus, Sample } from '../samples.js';
import { defaultNaming } from './default.js';
import type { Entity, Named, NamingScheme, NamingSchemeName, Segments } from './scheme.js';

/** es2graphite counted status the other way round: higher is healthier. */
const HEALTH_CODE_ES2GRAPHITE: Readonly<Record<HealthStatus, number>> = { red: 0, yellow: 1, green: 2 };

/**
 * es2graphite's paths, so existing dashboards keep working (README, "Naming schemes es2graphite and
 * es2graphite-2013", has the table of every path and the es2graphite code it comes from): health
 * fields straight under the cluster (`es.<cluster>.status`, `es.<cluster>.timed_out`), per-index
 * health and index stats under `es.<cluster>.indices.<index>`, node stats under
 * `es.<cluster>.<node>` (the 2013 tree; es2graphite's last release no longer sent them, Stoker
 * still does, beside its `_cat` figures). Every segment goes through es2graphite's
 * `re.sub('\W+', '_', s.strip().lower())`. How lists and `fs.data` are keyed is the collectors'
 * part (`ES2GRAPHITE_NODE_RULES` in collectors/nodes-stats.ts), since it decides which leaves exist. What es2graphite never sent
 * (cluster stats, pending tasks, derived metrics, aggregates, the collector's own health) goes
 * under fixed names beside them; a node named like one of those (`indices`, `collector`...) shares
 * its directory, as it already did in es2graphite.
 */
function es2graphiteScheme(name: NamingSchemeName, withCat: boolean): NamingScheme {
  return {
    name,
    sanitize: lowerWordSanitizer,
    head(cluster: string, entity: Entity, entityName: string): Segments {
      // Index stats were already `indices.<index>...` in es2graphite.
      return entity === 'node' ? [cluster, entityName] : defaultNaming.head(cluster, entity, entityName);
    },
    nameSample(cluster: string, sample: Sample): Named[] {
      switch (sample.kind) {
        case 'health':
          return sample.index === undefined
            ? [{ segments: [cluster, ...sample.path], value: sample.value }]
            : [
                {
                  segments: sample.path,
                  value: sample.value,
                  below: { entity: 'index', name: sample.index },
                },
              ];
        case 'health_status': {
          const value = HEALTH_CODE_ES2GRAPHITE[sample.status];
          return sample.index === undefined
            ? [{ segments: [cluster, 'status'], value }]
            : [{ segments: ['status'], value, below: { entity: 'index', name: sample.index } }];
        }
        case 'cat':
          // `<cluster>.<node>.disk.disk_used`: es2graphite named the row's cells below its node (a
          // host for thread pools), in the node's directory.
          return withCat
            ? [
                {
                  segments: [sample.section, sample.column],
                  value: sample.value,
                  below: { entity: 'node', name: sample.row },
                },
              ]
            : [];
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
        case 'index_status':
          return defaultNaming.nameSample(cluster, sample);
      }
    },
  };
}

/** es2graphite's last release (commit 642dcd3, October 2015): with its `_cat` per-node paths. */
export const es2graphiteNaming = es2graphiteScheme('es2graphite', true);

/** es2graphite's classic node-stats tree (commit ac8bbf9, 2013). */
export const es2graphite2013Naming = es2graphiteScheme('es2graphite-2013', false);
