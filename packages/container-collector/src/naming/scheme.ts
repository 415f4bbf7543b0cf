import type { Cycle } from '@stoker/shared';
import type { MeasuredContainer } from '../aggregate.js';
import type { LifecycleView } from '../docker/lifecycle.js';
import type { Metric } from '../metrics.js';

/** What one cycle measured, handed to a naming scheme to turn into series. */
export interface CycleView {
  /** `--host-name` (raw, the sanitiser makes it one segment). */
  host: string;
  containers: readonly MeasuredContainer[];
  hostMetrics: readonly Metric[];
  /** A block device's kernel name (`8:0` → `sda`); undefined for one the host does not list. */
  blockDeviceName(majorMinor: string): string | undefined;
  /** Docker's events followed this cycle: without them the set of containers may be stale. */
  dockerUp: boolean;
  /** Deaths, OOM kills and restarts (absent where nothing follows Docker's events, e.g. unit tests). */
  lifecycle?: LifecycleView;
}

export type Emit = (segments: readonly (string | number)[], value: number) => void;

/** Where a scheme puts series: one at a time, or all metrics of one head at once. */
export interface SeriesOut {
  emit: Emit;
  /**
   * Metrics below one head (a container, an app, the host): the head is named once and each
   * metric's path by a tree of leaf names kept across cycles, so nothing is built per metric.
   */
  metrics(head: readonly string[], metrics: readonly Metric[]): void;
}

/** Series into a cycle. */
export function seriesOut(cycle: Pick<Cycle, 'emit' | 'group'>): SeriesOut {
  return {
    emit: (segments, value) => cycle.emit(segments, value),
    metrics(head, metrics) {
      const group = cycle.group(head);
      for (const metric of metrics) group.add(group.root.path(metric.path), metric.value);
    },
  };
}

export interface NamingScheme {
  readonly name: string;
  readonly defaultPrefix: string;
  /**
   * Where the agent's self-metrics go when they must not share this scheme's tree (pyadvisor's
   * dashboards would take them for a container); unset: under the agent's prefix.
   */
  readonly selfMetricsPrefix?: string;
  /**
   * cgroup files read only for this scheme, whose texts it gets as read (`raw.texts`), by cgroup
   * version; a v1 file is read in its controller's directory (`cpu.shares` in `cpu`).
   */
  readonly extraFiles: { readonly v1: readonly string[]; readonly v2: readonly string[] };
  render(view: CycleView, out: SeriesOut): void;
}
