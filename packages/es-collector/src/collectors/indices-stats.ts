import type { LeafName } from '@stoker/shared';
import { type FlattenRules, forEachLeaf, isRecord, type LeafVisitor } from '../flatten.js';
import type { Sample } from '../samples.js';
import { type EsVersion, shapeMajor } from './root.js';

/**
 * `GET /_all/_stats` (`/_stats` on 0.90, where the per-index map sits inside `_all`). Each index
 * has `primaries` and `total`, each a tree of sections (docs, store, indexing, search, ...).
 */
export interface IndicesStatsResponse {
  _shards?: { total?: number; successful?: number; failed?: number };
  _all?: IndexStats & { indices?: Record<string, IndexStats> };
  indices?: Record<string, IndexStats>;
}

export interface IndexStats {
  uuid?: string;
  primaries?: IndexSections;
  total?: IndexSections;
  /** Only with level=shards, which is never requested. */
  shards?: unknown;
}

export interface IndexSections {
  docs?: { count?: number; deleted?: number };
  store?: { size_in_bytes?: number };
  [section: string]: unknown;
}

export function indicesStatsPath(version: EsVersion): string {
  return shapeMajor(version) < 1 ? '/_stats' : '/_all/_stats';
}

export interface ParsedIndicesStats {
  all: IndexStats;
  indices: Map<string, IndexStats>;
}

export function parseIndicesStats(body: unknown): ParsedIndicesStats {
  if (!isRecord(body) || !isRecord(body._all)) throw new Error('_stats: expected {"_all": {...}}');
  const response = body as IndicesStatsResponse;
  const perIndex = isRecord(response.indices)
    ? response.indices
    : isRecord(response._all?.indices)
      ? response._all.indices
      : {};
  const indices = new Map<string, IndexStats>();
  for (const [name, stats] of Object.entries(perIndex))
    if (isRecord(stats)) indices.set(name, stats as IndexStats);
  const { indices: _nested, ...all } = response._all!;
  return { all, indices };
}

const RULES: FlattenRules = {
  // The per-index map of 0.90 and level=shards details are handled (or ignored) elsewhere.
  skipKeys: new Set(['indices', 'shards', 'uuid']),
};

export function mapIndexStats(index: string, stats: IndexStats): Sample {
  return { kind: 'index', index, stats };
}

/**
 * Visits every numeric leaf of one index's primaries and total (other top-level keys of an entry
 * are ignored), `at` being the index's own leaf name (the root).
 */
export function indexLeaves(stats: IndexStats, at: LeafName, visit: LeafVisitor): void {
  for (const scope of ['primaries', 'total'] as const)
    forEachLeaf(stats[scope], RULES, at.child(scope), visit);
}

export function storeSizeBytes(stats: IndexStats): number {
  const size = stats.total?.store?.size_in_bytes ?? stats.primaries?.store?.size_in_bytes;
  return typeof size === 'number' && Number.isFinite(size) ? size : 0;
}
