/**
 * `_status` answers (ES 0.90 and 1.x; the API went in 2.0) for the ES stand-in, **synthesised**: no
 * recording of a whole `_status` answer was found in public sources (searched: Elasticsearch's
 * reference pages for 0.90–1.7, which show the request only; old clients' and tools' test data,
 * which hold fragments of one index at most). es2graphite 2013 (commit ac8bbf9) asked it, so the
 * stand-in makes one from the `_nodes/stats`, `_stats` and `_cluster/health` bodies it serves beside
 * it, in the shape ES's `IndicesStatusResponse.toXContent` of that era wrote
 * (org.elasticsearch.action.admin.indices.status):
 *
 * `{"ok": true (0.90 only), "_shards": {...}, "indices": {"<index>": {"index": {"primary_size_in_bytes",
 * "size_in_bytes"}, "translog": {"operations"}, "docs": {"num_docs", "max_doc", "deleted_docs"},
 * "merges": {...}, "refresh": {...}, "flush": {...}, "shards": {"<n>": [<one entry per started copy:
 * {"routing": {"state", "primary", "node", "relocating_node", "shard", "index"}, "state",
 * "index": {"size_in_bytes"}, "translog": {"id", "operations"}, "docs", "merges", "refresh",
 * "flush"}>]}}}}` — 0.90 also wrote the human-readable strings beside the byte and time figures
 * (`"size": "2.6kb"`), 1.x only with `?human`.
 *
 * How the figures are made, so that they agree with the bodies beside them:
 * - shards per index: the health's `indices.<index>.number_of_shards` (with `level=indices`), else
 *   5, ES's default before 2.0; copies: `number_of_replicas` + 1 (else 2), at most one per data node
 *   of the node stats served (a copy with no node is unassigned, and `_status` lists started copies
 *   only). The recorded single-node clusters (0.90, 1.7) therefore list their primaries only, as the
 *   health served with them says (`unassigned_shards` 5);
 * - shard `n` of an index is on data node `n mod nodes`, its replicas on the next ones;
 * - each copy's figures are the index's `_stats` `primaries` figures (docs, store, merges, refresh,
 *   flush, translog operations) spread over its shards (the first shards take the remainder); a
 *   figure the recording lacks (0.90 `_stats` has no merges, refresh, flush, translog) is 0;
 * - the index's own figures are what ES summed from its copies: docs over the primaries, store over
 *   primaries (`primary_size_in_bytes`) and over every copy (`size_in_bytes`), translog, merges,
 *   refresh and flush over every copy;
 * - both `state`s are `STARTED`; the translog `id` (ES numbered translog generations from the clock)
 *   is a fixed millisecond time.
 */
import { at, dataNodeIds, isJson, type Json } from './es-json.js';

/** ES's defaults before 2.0 (`index.number_of_shards`, `index.number_of_replicas`). */
const DEFAULT_SHARDS = 5;
const DEFAULT_REPLICAS = 1;
const TRANSLOG_ID = 1_388_534_400_000;

const DOCS = ['count', 'deleted'] as const;
const MERGES = [
  'current',
  'current_docs',
  'current_size_in_bytes',
  'total',
  'total_time_in_millis',
  'total_docs',
  'total_size_in_bytes',
] as const;
const TIMED = ['total', 'total_time_in_millis'] as const;

/** One started copy's figures, before they are written in ES's shape. */
interface CopyFigures {
  primary: boolean;
  node: string;
  shard: number;
  docs: number;
  deleted: number;
  storeBytes: number;
  translogOperations: number;
  merges: Record<string, number>;
  refresh: Record<string, number>;
  flush: Record<string, number>;
}

function number(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** `total` spread over `parts`: part `i` of it, the first parts taking the remainder. */
function share(total: number, parts: number, i: number): number {
  return Math.floor(total / parts) + (i < total % parts ? 1 : 0);
}

function sum(copies: readonly CopyFigures[], figure: (copy: CopyFigures) => number): number {
  return copies.reduce((total, copy) => total + figure(copy), 0);
}

function sumSection(
  copies: readonly CopyFigures[],
  section: 'merges' | 'refresh' | 'flush',
  keys: readonly string[],
): Record<string, number> {
  return Object.fromEntries(keys.map((key) => [key, sum(copies, (copy) => copy[section][key]!)]));
}

/**
 * 0.90 wrote a readable string beside each byte and millisecond figure (`"size": "2.6kb"`, `"total_time":
 * "38ms"`): here in the same place, simply formatted (es2graphite dropped strings other than states).
 */
function readable(section: Record<string, number>, human: boolean): Json {
  if (!human) return section;
  const out: Json = {};
  for (const [key, value] of Object.entries(section)) {
    if (key.endsWith('_in_bytes')) out[key.replace(/_in_bytes$/, '')] = `${value}b`;
    if (key.endsWith('_in_millis')) out[key.replace(/_in_millis$/, '')] = `${value}ms`;
    out[key] = value;
  }
  return out;
}

function copyBody(copy: CopyFigures, index: string, human: boolean): Json {
  const size = readable({ size_in_bytes: copy.storeBytes }, human);
  return {
    routing: {
      state: 'STARTED',
      primary: copy.primary,
      node: copy.node,
      relocating_node: null,
      shard: copy.shard,
      index,
    },
    state: 'STARTED',
    index: size,
    translog: { id: TRANSLOG_ID + copy.shard, operations: copy.translogOperations },
    docs: { num_docs: copy.docs, max_doc: copy.docs + copy.deleted, deleted_docs: copy.deleted },
    merges: readable(copy.merges, human),
    refresh: readable(copy.refresh, human),
    flush: readable(copy.flush, human),
  };
}

/** The per-index map of a `_stats` answer (0.90 keeps it inside `_all`). */
function statsIndices(indicesStats: unknown): Json {
  const indices = at(indicesStats, 'indices') ?? at(indicesStats, '_all', 'indices');
  return isJson(indices) ? indices : {};
}

/**
 * The `_status` answer for these bodies (those the stand-in serves), or undefined from ES 2.0 on
 * (the stand-in answers 404 then).
 */
export function synthesizeStatus(
  major: number,
  nodesStats: unknown,
  indicesStats: unknown,
  health: unknown,
): Json | undefined {
  if (major >= 2) return undefined;
  const human = major < 1;
  const nodes = dataNodeIds(nodesStats);
  const indices: Json = {};
  let total = 0;
  let started = 0;
  for (const [index, stats] of Object.entries(statsIndices(indicesStats))) {
    const primaries = at(stats, 'primaries');
    const shards = number(at(health, 'indices', index, 'number_of_shards')) || DEFAULT_SHARDS;
    const replicasAt = at(health, 'indices', index, 'number_of_replicas');
    const copiesWanted = (typeof replicasAt === 'number' ? replicasAt : DEFAULT_REPLICAS) + 1;
    const copiesStarted = Math.min(copiesWanted, nodes.length);
    total += shards * copiesWanted;
    started += shards * copiesStarted;
    const [count, deleted] = DOCS.map((key) => number(at(primaries, 'docs', key)));
    const spread = (path: string[], shard: number) => share(number(at(primaries, ...path)), shards, shard);
    const byShard: CopyFigures[][] = [];
    for (let shard = 0; shard < shards; shard++) {
      const figures = {
        shard,
        docs: share(count!, shards, shard),
        deleted: share(deleted!, shards, shard),
        storeBytes: spread(['store', 'size_in_bytes'], shard),
        translogOperations: spread(['translog', 'operations'], shard),
        merges: Object.fromEntries(MERGES.map((key) => [key, spread(['merges', key], shard)])),
        refresh: Object.fromEntries(TIMED.map((key) => [key, spread(['refresh', key], shard)])),
        flush: Object.fromEntries(TIMED.map((key) => [key, spread(['flush', key], shard)])),
      };
      byShard.push(
        Array.from({ length: copiesStarted }, (_, copy) => ({
          ...figures,
          primary: copy === 0,
          node: nodes[(shard + copy) % nodes.length]!,
        })),
      );
    }
    const copies = byShard.flat();
    const primaryCopies = copies.filter((copy) => copy.primary);
    const docs = sum(primaryCopies, (copy) => copy.docs);
    const deletedDocs = sum(primaryCopies, (copy) => copy.deleted);
    indices[index] = {
      index: readable(
        {
          primary_size_in_bytes: sum(primaryCopies, (copy) => copy.storeBytes),
          size_in_bytes: sum(copies, (copy) => copy.storeBytes),
        },
        human,
      ),
      translog: { operations: sum(copies, (copy) => copy.translogOperations) },
      docs: { num_docs: docs, max_doc: docs + deletedDocs, deleted_docs: deletedDocs },
      merges: readable(sumSection(copies, 'merges', MERGES), human),
      refresh: readable(sumSection(copies, 'refresh', TIMED), human),
      flush: readable(sumSection(copies, 'flush', TIMED), human),
      shards: Object.fromEntries(
        byShard.map((group, shard) => [String(shard), group.map((copy) => copyBody(copy, index, human))]),
      ),
    };
  }
  return {
    ...(human ? { ok: true } : {}),
    _shards: { total, successful: started, failed: 0 },
    indices,
  };
}
