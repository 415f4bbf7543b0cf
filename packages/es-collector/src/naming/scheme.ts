import type { SegmentSanitizer } from '@stoker/shared';
import type { Sample } from '../samples.js';

export type Segments = readonly (string | number)[];

/** One named sample, ready for `cycle.emit(segments, value)`. */
export interface Named {
  segments: Segments;
  value: number;
}

/** Turns samples into names. `cluster` is the cluster's name as reported or configured. */
export interface NamingScheme {
  readonly name: NamingSchemeName;
  /** Every segment of this scheme passes through it (the job's `sanitize`). */
  readonly sanitize?: SegmentSanitizer;
  nameSample(cluster: string, sample: Sample): Named[];
}

export type NamingSchemeName = 'default' | 'es2graphite';
