import type { SegmentSanitizer } from '@stoker/shared';
import type { Sample } from '../samples.js';

export type Segments = readonly (string | number)[];

/** What has many series under one head: a node (its stats, rates, own collector) or an index. */
export type Entity = 'node' | 'index';

/** One named sample, ready for `cycle.emit(segments, value)`, or for a node's or index's group. */
export interface Named {
  /** Below the head of `below` when set; after the prefix otherwise. */
  segments: Segments;
  value: number;
  below?: { entity: Entity; name: string };
}

/** Turns samples into names. `cluster` is the cluster's name as reported or configured. */
export interface NamingScheme {
  readonly name: NamingSchemeName;
  /** Every segment of this scheme passes through it (the job's `sanitize`). */
  readonly sanitize?: SegmentSanitizer;
  /** Where every series of one node or index goes: its stats' leaves and its `below` samples. */
  head(cluster: string, entity: Entity, name: string): Segments;
  /** Names a sample other than a node's or index's stats (those are walked below their head). */
  nameSample(cluster: string, sample: Sample): Named[];
}

/**
 * `es2graphite`: the paths of es2graphite's last release (commit 642dcd3, 2015: per-node figures from
 * the `_cat` APIs); `es2graphite-2013`: its classic node-stats tree (commit ac8bbf9).
 */
export type NamingSchemeName = 'default' | 'es2graphite' | 'es2graphite-2013';

/** Both es2graphite eras: es2graphite's walk of the answers, its defaults (every index, per-index health). */
export function isEs2graphite(naming: NamingSchemeName): boolean {
  return naming === 'es2graphite' || naming === 'es2graphite-2013';
}
