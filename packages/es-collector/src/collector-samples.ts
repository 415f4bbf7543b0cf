import type { ApiName } from './collectors/api.js';
import type { Path, Sample } from './samples.js';

/** What the cluster job saw of one cycle, for its `collector.*` series. */
export interface CollectorFigures {
  up: boolean;
  durationMs: number;
  versionMajor?: number;
  /** Every request attempted this cycle, with whether it failed. */
  apiErrors: ReadonlyMap<ApiName | 'root' | 'master_node', boolean>;
  apiDurationsMs?: ReadonlyMap<string, number>;
  /** Figures the APIs gave about their answers (`nodes`, `indices_dropped`). */
  answers?: ReadonlyMap<string, number>;
  /** --local only: whether this node is the elected master. */
  isMaster?: boolean;
  /** --local only: the node this collector reads, under whose name its series go. */
  node?: string;
}

/** `collector.*` (with --local `nodes.<node>.collector.*`): the collector's own view of a cluster. */
export function collectorSamples(figures: CollectorFigures): Sample[] {
  const samples: Sample[] = [];
  const node = figures.node !== undefined ? { node: figures.node } : {};
  const put = (path: Path, value: number) => samples.push({ kind: 'collector', ...node, path, value });
  put(['up'], figures.up ? 1 : 0);
  put(['duration_ms'], Math.round(figures.durationMs));
  let total = 0;
  for (const [api, failed] of figures.apiErrors) {
    put(['errors', api], failed ? 1 : 0);
    if (failed) total++;
  }
  put(['errors_total'], total);
  for (const [api, ms] of figures.apiDurationsMs ?? []) put(['api_duration_ms', api], Math.round(ms));
  if (figures.versionMajor !== undefined) put(['version_major'], figures.versionMajor);
  for (const [name, value] of figures.answers ?? []) put([name], value);
  if (figures.isMaster !== undefined) put(['is_master'], figures.isMaster ? 1 : 0);
  return samples;
}
