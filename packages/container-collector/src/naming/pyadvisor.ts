import type { ContainerIdentity } from '../docker/identity.js';
import { defaultNaming } from './default.js';
import { PYADVISOR_V1_FILES, putV1 } from './pyadvisor-v1.js';
import { PYADVISOR_V2_FILES, putV2 } from './pyadvisor-v2.js';
import type { NamingScheme } from './scheme.js';

/**
 * pyadvisor's tree, for the dashboards and alerts built on it: `<prefix>.<alias>.<name>` with the
 * values pyadvisor sent (raw cgroup file values, cumulative counters; `perSecond()` on the dashboard
 * side). v1 names in pyadvisor-v1.ts, their closest v2 sources in pyadvisor-v2.ts. A container
 * measured through Docker's stats API (its cgroup files unreadable) gets no series here: pyadvisor
 * read only cgroup files. The agent's self-metrics go under the default tree, where no dashboard of
 * pyadvisor's takes them for a container.
 */
export const pyadvisorNaming: NamingScheme = {
  name: 'pyadvisor',
  defaultPrefix: 'pycadvisor',
  selfMetricsPrefix: defaultNaming.defaultPrefix,
  extraFiles: { v1: PYADVISOR_V1_FILES, v2: PYADVISOR_V2_FILES },
  render(view, out) {
    for (const { identity, raw } of view.containers) {
      if (raw.source === 'docker-api') continue;
      const alias = pyadvisorAlias(identity);
      const put = (path: readonly (string | number)[], value: number | undefined) => {
        if (value !== undefined && Number.isFinite(value)) out.emit([...alias, ...path], value);
      };
      if (raw.source === 'cgroup-v1') putV1(raw.texts, put, view.blockDeviceName);
      else putV2(raw.texts, put, view.blockDeviceName);
    }
  },
};

/**
 * pyadvisor's alias: the container's `MESOS_TASK_ID` (from its environment, whatever framework
 * started it), else its Docker name; its dots kept as levels (`es_logs_data.f726a4c5-…` is two).
 */
export function pyadvisorAlias(identity: ContainerIdentity): string[] {
  return (identity.mesosTaskId ?? identity.name).split('.').filter((part) => part !== '');
}
