import type { Cycle, LeafGroup } from '@stoker/shared';
import { nodeSubtreeSkipper } from '../api-budget.js';
import type { Sample } from '../samples.js';
import { defaultNaming } from './default.js';
import { es2graphite2013Naming, es2graphiteNaming } from './es2graphite.js';
import type { Entity, NamingScheme, NamingSchemeName } from './scheme.js';

export type { Entity, Named, NamingScheme, NamingSchemeName, Segments } from './scheme.js';
export { isEs2graphite } from './scheme.js';
export { defaultNaming, es2graphite2013Naming, es2graphiteNaming };

export const NAMING_SCHEMES: Readonly<Record<NamingSchemeName, NamingScheme>> = {
  default: defaultNaming,
  es2graphite: es2graphiteNaming,
  'es2graphite-2013': es2graphite2013Naming,
};

/**
 * Emits a cycle's samples as `scheme` names them: the one place samples meet the cycle. Every series
 * of a node or an index goes into one group under its head: its stats are walked straight into the
 * group (whose leaf names the runtime keeps across cycles), so no sample object or path is made per
 * leaf, past any part of a node's stats the series budget would send nothing of.
 */
export function nameSamples(
  cycle: Pick<Cycle, 'emit' | 'group' | 'sendsBelow'>,
  scheme: NamingScheme,
  cluster: string,
  samples: readonly Sample[],
): void {
  const groups = new Map<string, LeafGroup>();
  const groupOf = (entity: Entity, name: string): LeafGroup => {
    const key = `${entity}\u0000${name}`;
    let group = groups.get(key);
    if (!group) {
      group = cycle.group(scheme.head(cluster, entity, name));
      groups.set(key, group);
    }
    return group;
  };
  const skips = nodeSubtreeSkipper(scheme, cluster, cycle);
  for (const sample of samples) {
    if (sample.kind === 'node') {
      const group = groupOf('node', sample.node);
      sample.stats.walk({
        root: group.root,
        add: group.add.bind(group),
        addRun: group.addRun.bind(group),
        skips,
      });
      continue;
    }
    if (sample.kind === 'index' || sample.kind === 'index_status') {
      // Small beside node stats, or read into runs already: what the budget leaves out is dropped
      // as the cycle is named.
      sample.stats.walk(groupOf('index', sample.index));
      continue;
    }
    for (const named of scheme.nameSample(cluster, sample)) {
      if (named.below) {
        const group = groupOf(named.below.entity, named.below.name);
        group.add(group.root.path(named.segments), named.value);
      } else cycle.emit(named.segments, named.value);
    }
  }
}
