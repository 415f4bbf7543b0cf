import { isRecord } from '../flatten.js';
import type { Sample } from '../samples.js';
import type { EsApi } from './api.js';
import { shapeMajor } from './root.js';

/**
 * `GET /_cluster/pending_tasks` (ES ≥ 1.0): cluster-state updates the master has not applied yet.
 * Sent as `cluster.pending_tasks.count`, `.max_time_in_queue_ms` and `.priority.<priority>`; the task
 * list itself is unbounded and never sent.
 */
interface PendingTasksResponse {
  tasks: PendingTask[];
}

interface PendingTask {
  priority?: string;
  time_in_queue_millis?: number;
  /** Some recordings (metricbeat's 6.2.2) carry the time under this dotted key. */
  'time_in_queue.ms'?: number;
}

function timeInQueueMs(task: PendingTask): number | undefined {
  const value = task.time_in_queue_millis ?? task['time_in_queue.ms'];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export const pendingTasks: EsApi = {
  name: 'pending_tasks',
  clusterWide: true,
  path: (version) => (shapeMajor(version) >= 1 ? '/_cluster/pending_tasks' : undefined),
  map(body) {
    if (!isRecord(body) || !Array.isArray(body.tasks))
      throw new Error('_cluster/pending_tasks: expected {"tasks": [...]}');
    const tasks = (body as unknown as PendingTasksResponse).tasks.filter(isRecord) as PendingTask[];
    let maxMs = 0;
    const byPriority = new Map<string, number>();
    for (const task of tasks) {
      maxMs = Math.max(maxMs, timeInQueueMs(task) ?? 0);
      const priority = typeof task.priority === 'string' ? task.priority.toLowerCase() : 'unknown';
      byPriority.set(priority, (byPriority.get(priority) ?? 0) + 1);
    }
    const samples: Sample[] = [
      { kind: 'pending_tasks', path: ['count'], value: tasks.length },
      { kind: 'pending_tasks', path: ['max_time_in_queue_ms'], value: maxMs },
    ];
    // Priorities are a fixed enum in ES (IMMEDIATE..LANGUID): bounded, and worth a graph each.
    for (const [priority, count] of byPriority)
      samples.push({ kind: 'pending_tasks', path: ['priority', priority], value: count });
    return { samples };
  },
};
