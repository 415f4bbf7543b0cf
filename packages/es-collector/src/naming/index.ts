import { DistinctNames } from '@stoker/shared';
import type { Sample } from '../samples.js';
import { defaultNaming } from './default.js';
import { es2graphiteNaming } from './es2graphite.js';
import type { NamingScheme, NamingSchemeName } from './scheme.js';

export type { Named, NamingScheme, NamingSchemeName, Segments } from './scheme.js';
export { defaultNaming, es2graphiteNaming };

export const NAMING_SCHEMES: Readonly<Record<NamingSchemeName, NamingScheme>> = {
  default: defaultNaming,
  es2graphite: es2graphiteNaming,
};

/**
 * Names one cycle's samples of a cluster and hands each on (to `Cycle.emit`). Raw names that the
 * scheme's sanitiser would fold together (`data.1` and `data_1`) are told apart by `DistinctNames`.
 */
export function emitSamples(
  scheme: NamingScheme,
  cluster: string,
  samples: readonly Sample[],
  emit: (segments: readonly string[], value: unknown) => void,
): void {
  const names = new DistinctNames(scheme.sanitize);
  for (const sample of samples)
    for (const named of scheme.nameSample(cluster, sample)) names.add(named.segments, named.value);
  names.flush(emit);
}
