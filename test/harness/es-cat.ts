/**
 * `_cat` answers for the ES stand-in, **synthesised** (no recording of them exists in
 * ../shared/fixtures/es): made from the recorded `_nodes/stats` (and `_cluster/health`) the
 * stand-in serves for the same version, so every figure agrees with the node stats beside it. What
 * es2graphite's last release asked (`_cat/allocation?format=json&bytes=b`,
 * `_cat/nodes?format=json&bytes=b&h=...`, `_cat/thread_pool?format=json&h=...`) is answered as ES
 * answers it: one JSON object per row, every cell a string (bytes as plain numbers with
 * `bytes=b`) or null when the node stats lack the figure, keyed by the column name as asked in
 * `h=` (an alias such as `heapPercent` stays `heapPercent`); an `h=` column the version does not
 * have is left out, as ES leaves it out. Per version, as ES's `_cat` code had them:
 *
 * - no `_cat` before 1.0 (404, as ES 0.90 answers);
 * - `_cat/allocation`: `shards`, `disk.used`, `disk.avail`, `disk.total`, `disk.percent`, `host`,
 *   `ip`, `node` per data node, `disk.indices` from 5.0; an `UNASSIGNED` row holding only `shards`
 *   when the health reports unassigned shards. `shards` is the node's `indices.shard_stats.total_count`
 *   (7.x+), else the health's `active_shards` spread over the data nodes; `disk.used` is
 *   `fs.total.total_in_bytes - available_in_bytes`, `disk.percent` its share of the total, truncated;
 * - `_cat/nodes`: `heap.percent`/`heapPercent` (`jvm.mem.heap_used_percent`), `heap.max`/`heapMax`,
 *   `ram.percent`/`ramPercent` (`os.mem.used_percent`), `ram.max`/`ramMax` (`os.mem.total_in_bytes`,
 *   or free + used), `load` (1-minute load average, two decimals) before 5.0, `load_1m`,
 *   `load_5m`, `load_15m` from 5.0, `name`, `host`, `ip`;
 * - `_cat/thread_pool`: before 5.0 one row per node, `host` and `<pool>.active|queue|rejected` for
 *   bulk, index and search; from 5.0 one row per node and pool (`node_name`, `name`, `active`,
 *   `queue`, `rejected`, `host`).
 */

import { at, isDataNode, isJson, type Json, nodesOf } from './es-json.js';

type Row = Record<string, string | null>;

export type CatEndpoint = 'cat_allocation' | 'cat_nodes' | 'cat_thread_pool';

/** Every column of a synthesised row, by name; `aliases` maps an `h=` alias to its column. */
interface CatTable {
  rows: Row[];
  defaults: readonly string[];
  aliases: Readonly<Record<string, string>>;
}

function cell(value: unknown): string | null {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : null;
}

function hostOf(node: Json): string | null {
  const host = node.host ?? node.hostname;
  return typeof host === 'string' ? host : null;
}

/** `inet[/172.17.0.4:9300]` (1.x), `172.17.0.4:9300` (2.x+), or a list of those: the address. */
function ipOf(node: Json): string | null {
  const raw = Array.isArray(node.ip) ? node.ip[0] : (node.ip ?? node.transport_address);
  if (typeof raw !== 'string') return null;
  const address = /(\d{1,3}(?:\.\d{1,3}){3})/.exec(raw);
  return address ? address[1]! : null;
}

function allocation(nodesStats: unknown, health: unknown, major: number): CatTable {
  const data = nodesOf(nodesStats).filter(isDataNode);
  const activeShards = at(health, 'active_shards');
  const spread = typeof activeShards === 'number' && data.length > 0 ? activeShards / data.length : undefined;
  const rows: Row[] = data.map((node, index) => {
    const total = at(node, 'fs', 'total', 'total_in_bytes');
    const avail = at(node, 'fs', 'total', 'available_in_bytes');
    const used = typeof total === 'number' && typeof avail === 'number' ? total - avail : undefined;
    const shards =
      at(node, 'indices', 'shard_stats', 'total_count') ??
      (spread === undefined
        ? undefined
        : Math.floor(spread) + (index < (activeShards as number) % data.length ? 1 : 0));
    return {
      shards: cell(shards),
      ...(major >= 5 ? { 'disk.indices': cell(at(node, 'indices', 'store', 'size_in_bytes')) } : {}),
      'disk.used': cell(used),
      'disk.avail': cell(avail),
      'disk.total': cell(total),
      'disk.percent':
        used !== undefined && typeof total === 'number' && total > 0
          ? String(Math.floor((used * 100) / total))
          : null,
      host: hostOf(node),
      ip: ipOf(node),
      node: typeof node.name === 'string' ? node.name : null,
    };
  });
  const unassigned = at(health, 'unassigned_shards');
  if (typeof unassigned === 'number' && unassigned > 0) {
    const empty = Object.fromEntries(Object.keys(rows[0] ?? { shards: null }).map((key) => [key, null]));
    rows.push({ ...empty, shards: String(unassigned), node: 'UNASSIGNED' });
  }
  return { rows, defaults: Object.keys(rows[0] ?? {}), aliases: {} };
}

function loadAverage1m(node: Json): unknown {
  const load = at(node, 'os', 'load_average');
  return Array.isArray(load) ? load[0] : load;
}

function nodes(nodesStats: unknown, major: number): CatTable {
  const rows = nodesOf(nodesStats).map((node): Row => {
    const memTotal = at(node, 'os', 'mem', 'total_in_bytes');
    const free = at(node, 'os', 'mem', 'free_in_bytes');
    const used = at(node, 'os', 'mem', 'used_in_bytes');
    const fixed2 = (value: unknown) => (typeof value === 'number' ? value.toFixed(2) : null);
    return {
      ip: ipOf(node),
      host: hostOf(node),
      'heap.percent': cell(at(node, 'jvm', 'mem', 'heap_used_percent')),
      'heap.max': cell(at(node, 'jvm', 'mem', 'heap_max_in_bytes')),
      'ram.percent': cell(at(node, 'os', 'mem', 'used_percent')),
      'ram.max': cell(
        memTotal ?? (typeof free === 'number' && typeof used === 'number' ? free + used : undefined),
      ),
      ...(major >= 5
        ? {
            load_1m: fixed2(at(node, 'os', 'cpu', 'load_average', '1m')),
            load_5m: fixed2(at(node, 'os', 'cpu', 'load_average', '5m')),
            load_15m: fixed2(at(node, 'os', 'cpu', 'load_average', '15m')),
          }
        : { load: fixed2(loadAverage1m(node)) }),
      name: typeof node.name === 'string' ? node.name : null,
    };
  });
  return {
    rows,
    defaults: ['ip', 'heap.percent', 'ram.percent', major >= 5 ? 'load_1m' : 'load', 'name'],
    aliases: {
      heapPercent: 'heap.percent',
      hp: 'heap.percent',
      heapMax: 'heap.max',
      hm: 'heap.max',
      ramPercent: 'ram.percent',
      rp: 'ram.percent',
      ramMax: 'ram.max',
      rm: 'ram.max',
      n: 'name',
      h: 'host',
      l: major >= 5 ? 'load_1m' : 'load',
    },
  };
}

const OLD_POOLS = ['bulk', 'index', 'search'] as const;
const POOL_FIELDS = ['active', 'queue', 'rejected'] as const;

function threadPool(nodesStats: unknown, major: number): CatTable {
  if (major >= 5) {
    const rows = nodesOf(nodesStats).flatMap((node) => {
      const pools = isJson(node.thread_pool) ? node.thread_pool : {};
      return Object.keys(pools)
        .sort()
        .map(
          (pool): Row => ({
            node_name: typeof node.name === 'string' ? node.name : null,
            name: pool,
            ...Object.fromEntries(POOL_FIELDS.map((field) => [field, cell(at(pools, pool, field))])),
            host: hostOf(node),
          }),
        );
    });
    return {
      rows,
      defaults: ['node_name', 'name', 'active', 'queue', 'rejected'],
      aliases: { h: 'host', n: 'name', nn: 'node_name', a: 'active', q: 'queue', r: 'rejected' },
    };
  }
  const rows = nodesOf(nodesStats).map(
    (node): Row => ({
      host: hostOf(node),
      ip: ipOf(node),
      ...Object.fromEntries(
        OLD_POOLS.flatMap((pool) =>
          POOL_FIELDS.map((field) => [`${pool}.${field}`, cell(at(node, 'thread_pool', pool, field))]),
        ),
      ),
    }),
  );
  const short = { bulk: 'b', index: 'i', search: 's' } as const;
  return {
    rows,
    defaults: ['host', 'ip', ...OLD_POOLS.flatMap((pool) => POOL_FIELDS.map((field) => `${pool}.${field}`))],
    aliases: Object.fromEntries(
      OLD_POOLS.flatMap((pool) =>
        POOL_FIELDS.map((field) => [`${short[pool]}${field[0]}`, `${pool}.${field}`]),
      ),
    ),
  };
}

/**
 * The JSON rows of one `_cat` API for `query` (its `h=` columns; none: the version's default
 * columns), or undefined before ES 1.0. `nodesStats` and `health` are the bodies the stand-in
 * serves for `_nodes/stats` and `_cluster/health`.
 */
export function synthesizeCat(
  endpoint: CatEndpoint,
  query: URLSearchParams,
  major: number,
  nodesStats: unknown,
  health: unknown,
): Row[] | undefined {
  if (major < 1) return undefined;
  const table =
    endpoint === 'cat_allocation'
      ? allocation(nodesStats, health, major)
      : endpoint === 'cat_nodes'
        ? nodes(nodesStats, major)
        : threadPool(nodesStats, major);
  const asked = query.get('h');
  const columns = asked ? asked.split(',').filter((column) => column !== '') : table.defaults;
  return table.rows.map((row) => {
    const selected: Row = {};
    for (const column of columns) {
      const source = column in row ? column : table.aliases[column];
      if (source !== undefined && source in row) selected[column] = row[source]!;
    }
    return selected;
  });
}
