import type { MeasuredContainer } from '../aggregate.js';
import type { Metric } from '../metrics.js';

/** What one cycle measured, handed to a naming scheme to turn into series. */
export interface CycleView {
  /** `--host-name` (raw, the sanitiser makes it one segment). */
  host: string;
  containers: readonly MeasuredContainer[];
  hostMetrics: readonly Metric[];
}

export type Emit = (segments: readonly (string | number)[], value: number) => void;

export interface NamingScheme {
  readonly name: string;
  readonly defaultPrefix: string;
  /** pyadvisor names every CPU's usage; nothing else needs `cpuacct.usage_percpu`. */
  readonly needsPerCpu: boolean;
  render(view: CycleView, emit: Emit): void;
}
