import { isRecord } from '../flatten.js';
import type { Sample } from '../samples.js';
import { type EsVersion, shapeMajor } from './root.js';

/** `GET /_cluster/pending_tasks`: cluster-state updates the master has not applied yet. */
export interface PendingTasksResponse {
  tasks?: PendingTask[];
}

export interface PendingTask {
  insert_order?: number;
  priority?: string;
  source?: string;
  executing?: boolean;
  time_in_queue_millis?: number;
  /** Some recordings (metricbeat's 6.2.2) carry the time under this dotted key. */
  'time_in_queue.ms'?: number;
  time_in_queue?: string;
}

export const PENDING_TASKS_PATH = '/_cluster/pending_tasks';

export function supportsPendingTasks(version: EsVersion): boolean {
  return shapeMajor(version) >= 1;
}

function timeInQueueMs(task: PendingTask): number | undefined {
  const value = task.time_in_queue_millis ?? task['time_in_queue.ms'];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Count, longest wait, and count per priority (the task list itself is unbounded: never emitted). */
export function mapPendingTasks(body: unknown): Sample[] {
  if (!isRecord(body) || !Array.isArray(body.tasks))
    throw new Error('_cluster/pending_tasks: expected {"tasks": [...]}');
  const tasks = body.tasks.filter(isRecord) as PendingTask[];
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
  return samples;
}
