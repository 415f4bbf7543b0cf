/** Summary of one metric across a group (nodes of a cluster or role, tasks of an app). */
export interface Summary {
  count: number;
  sum: number;
  avg: number;
  min: number;
  max: number;
}

/** Summarises the finite values; undefined when there are none. */
export function summarize(values: Iterable<number | undefined>): Summary | undefined {
  let count = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    if (value === undefined || !Number.isFinite(value)) continue;
    count++;
    sum += value;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return count === 0 ? undefined : { count, sum, avg: sum / count, min, max };
}

/**
 * Groups items by one or more keys each (a node belongs to every one of its roles) and summarises
 * each named metric per group: `result.get(group).get(metric)`.
 */
export function summarizeBy<T>(
  items: Iterable<T>,
  groupsOf: (item: T) => Iterable<string>,
  metrics: Readonly<Record<string, (item: T) => number | undefined>>,
): Map<string, Map<string, Summary>> {
  const buckets = new Map<string, T[]>();
  for (const item of items) {
    for (const group of groupsOf(item)) {
      const bucket = buckets.get(group);
      if (bucket) bucket.push(item);
      else buckets.set(group, [item]);
    }
  }
  const result = new Map<string, Map<string, Summary>>();
  for (const [group, members] of buckets) {
    const perMetric = new Map<string, Summary>();
    for (const [metric, pick] of Object.entries(metrics)) {
      const summary = summarize(members.map(pick));
      if (summary) perMetric.set(metric, summary);
    }
    result.set(group, perMetric);
  }
  return result;
}
