import { aggregate, groupByApp, groupByLabel } from '../aggregate.js';
import { appSegment, taskIdPrefix } from '../docker/identity.js';
import type { LifecycleCounts, LifecycleNode } from '../docker/lifecycle.js';
import { type Metric, metricPath } from '../metrics.js';
import type { NamingScheme } from './scheme.js';

/**
 * `<prefix>.<host>.` then:
 *   containers.<name>.<metric>                  a container Marathon did not start
 *   apps.<app>.tasks.<task>.<metric>            a Marathon task
 *   apps.<app>.<metric>, apps.<app>.instances   the app's tasks on this host, summed
 *   labels.<label>.<value>.<metric>, .instances containers sharing an allow-listed label value
 *   all.<metric>, all.instances                 every container on this host
 *   host.<metric>                               the host itself
 *   collector.docker_up                         1 while Docker's events are followed, else 0
 * Deaths and restarts go under `lifecycle.` of a container or task, an app, and `all`. While Docker is
 * unreachable no `instances` is sent: the set of containers may be stale, and a false 0 would say
 * every container is gone.
 */
export const defaultNaming: NamingScheme = {
  name: 'default',
  defaultPrefix: 'containers',
  extraFiles: { v1: [], v2: [] },
  render(view, out) {
    const put = (head: readonly string[], metrics: readonly Metric[]) => out.metrics(head, metrics);
    const instances = (segments: readonly string[], count: number) => {
      if (view.dockerUp) out.emit([view.host, ...segments, 'instances'], count);
    };
    for (const container of view.containers)
      put([view.host, ...containerNode(container.identity)], container.metrics);
    for (const [appId, tasks] of groupByApp(view.containers)) {
      const group = aggregate(tasks);
      put([view.host, 'apps', appSegment(appId)], group.metrics);
      instances(['apps', appSegment(appId)], group.instances);
    }
    for (const [label, values] of groupByLabel(view.containers)) {
      for (const [value, members] of values) {
        const group = aggregate(members);
        put([view.host, 'labels', label, value], group.metrics);
        instances(['labels', label, value], group.instances);
      }
    }
    const all = aggregate(view.containers);
    put([view.host, 'all'], all.metrics);
    instances(['all'], all.instances);
    put([view.host, 'host'], view.hostMetrics);
    out.emit([view.host, 'collector', 'docker_up'], view.dockerUp ? 1 : 0);
    const lifecycle = view.lifecycle;
    if (!lifecycle) return;
    for (const { node, counts } of lifecycle.containers)
      put([view.host, ...containerNode(node), 'lifecycle'], lifecycleMetrics(counts, false));
    for (const [appId, counts] of lifecycle.apps)
      put([view.host, 'apps', appSegment(appId), 'lifecycle'], lifecycleMetrics(counts, true));
    put([view.host, 'all', 'lifecycle'], lifecycleMetrics(lifecycle.all, false));
  },
};

const OOM_KILLS = metricPath('oom_kills_total');
const EXITS = metricPath('exits_total');
const LAST_EXIT_CODE = metricPath('last_exit_code');
const RESTARTS = metricPath('restarts_total');
const TASK_STARTS = metricPath('task_starts_total');
const TASK_EXITS = metricPath('task_exits_total');

/** Cumulative since the agent started (Graphite: nonNegativeDerivative); task counts for apps only. */
function lifecycleMetrics(counts: LifecycleCounts, app: boolean): Metric[] {
  const metrics: Metric[] = [
    { path: OOM_KILLS, value: counts.oomKillsTotal },
    { path: EXITS, value: counts.exitsTotal },
    { path: RESTARTS, value: counts.restartsTotal },
  ];
  if (counts.lastExitCode !== undefined) metrics.push({ path: LAST_EXIT_CODE, value: counts.lastExitCode });
  if (app) {
    metrics.push({ path: TASK_STARTS, value: counts.taskStartsTotal });
    metrics.push({ path: TASK_EXITS, value: counts.taskExitsTotal });
  }
  return metrics;
}

/** Where one container's own metrics go (segments after the host). */
export function containerNode(identity: LifecycleNode): string[] {
  const marathon = identity.marathon;
  if (!marathon) return ['containers', identity.name];
  const appId = marathon.appId;
  return ['apps', appSegment(appId), 'tasks', taskSegment(appId, marathon.taskId ?? identity.name)];
}

/** Marathon task ids repeat the app (`es_logs_data.<uuid>`); under `apps.<app>.tasks` the rest suffices. */
export function taskSegment(appId: string, taskId: string): string {
  const prefix = `${taskIdPrefix(appId)}.`;
  return taskId.startsWith(prefix) ? taskId.slice(prefix.length) : taskId;
}
