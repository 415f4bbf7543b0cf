import { aggregate, groupByApp, groupByLabel, type MeasuredContainer } from '../aggregate.js';
import { appSegment, taskIdPrefix } from '../docker/identity.js';
import type { Metric } from '../metrics.js';
import type { NamingScheme } from './scheme.js';

/**
 * `<prefix>.<host>.` then:
 *   containers.<name>.<metric>                  a container Marathon did not start
 *   apps.<app>.tasks.<task>.<metric>            a Marathon task
 *   apps.<app>.<metric>, apps.<app>.instances   the app's tasks on this host, summed
 *   labels.<label>.<value>.<metric>, .instances containers sharing an allow-listed label value
 *   all.<metric>, all.instances                 every container on this host
 *   host.<metric>                               the host itself
 */
export const defaultNaming: NamingScheme = {
  name: 'default',
  defaultPrefix: 'containers',
  extraFiles: { v1: [], v2: [] },
  render(view, out) {
    const put = (head: readonly string[], metrics: readonly Metric[]) => out.metrics(head, metrics);
    const emit = out.emit;
    for (const container of view.containers) put([view.host, ...containerNode(container)], container.metrics);
    for (const [appId, tasks] of groupByApp(view.containers)) {
      const group = aggregate(tasks);
      put([view.host, 'apps', appSegment(appId)], group.metrics);
      emit([view.host, 'apps', appSegment(appId), 'instances'], group.instances);
    }
    for (const [label, values] of groupByLabel(view.containers)) {
      for (const [value, members] of values) {
        const group = aggregate(members);
        put([view.host, 'labels', label, value], group.metrics);
        emit([view.host, 'labels', label, value, 'instances'], group.instances);
      }
    }
    const all = aggregate(view.containers);
    put([view.host, 'all'], all.metrics);
    emit([view.host, 'all', 'instances'], all.instances);
    put([view.host, 'host'], view.hostMetrics);
  },
};

/** Where one container's own metrics go (segments after the host). */
export function containerNode(container: MeasuredContainer): string[] {
  const { identity } = container;
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
