import type { LeafName } from '@stoker/shared';
import { isRecord, type LeafVisitor, MAX_DEPTH } from '../flatten.js';
import { reportedName } from '../index-selection.js';
import type { Sample } from '../samples.js';
import type { EsApi, MapContext } from './api.js';
import { shapeMajor } from './root.js';

/**
 * `GET /_status` (ES 0.90 and 1.x: the API went in 2.0), asked for the es2graphite-2013 scheme only,
 * because es2graphite 2013 (commit ac8bbf9, `process_indices_status`) sent it:
 * `<cluster>.indices.<index>.<path>` for every index of `indices`: the index's own figures
 * (`index.primary_size_in_bytes`, `index.size_in_bytes`, `translog.operations`, `docs.num_docs`,
 * `docs.max_doc`, `docs.deleted_docs`, `merges.*`, `refresh.*`, `flush.*`) and, per shard copy,
 * `shards.<n>.<node>.*`, the copy's node named as its node stats are (`routing.state`,
 * `routing.primary`, `routing.shard`, `state`, `index.size_in_bytes`, `translog.operations`,
 * `docs.*`, `merges.*`, ...). Values are es2graphite's (`walkAsEs2graphite`).
 */
interface IndicesStatusResponse {
  indices: Record<string, unknown>;
}

export const indicesStatus: EsApi = {
  name: 'indices_status',
  clusterWide: true,
  path: (version, options) =>
    options.naming === 'es2graphite-2013' && shapeMajor(version) < 2 ? '/_status' : undefined,
  map(body, context) {
    if (!isRecord(body) || !isRecord(body.indices)) throw new Error('_status: expected {"indices": {...}}');
    const { indices } = body as unknown as IndicesStatusResponse;
    const samples: Sample[] = [];
    const nodeName = (id: unknown): string =>
      typeof id === 'string' ? (context.nodeNames?.get(id) ?? id) : String(id);
    for (const [index, status] of Object.entries(indices))
      if (isRecord(status) && sentUnderOwnName(index, context))
        samples.push({
          kind: 'index_status',
          index,
          stats: { walk: (sink) => walkAsEs2graphite(status, sink.root, sink.add.bind(sink), nodeName) },
        });
    return { samples };
  },
};

/**
 * An index's status goes under the index's own name only: with `--indices-rollup` a summed index
 * has no shards of its own (so its members get no status series), with `--indices-top` or the globs
 * an index the index stats left out gets none either. Under the scheme's defaults (no rollup, no
 * cap) that is every index, as es2graphite sent.
 */
function sentUnderOwnName(index: string, { options, reportedAs }: MapContext): boolean {
  return reportedAs ? reportedAs.get(index) === index : reportedName(options.indices)(index) === index;
}

/** es2graphite's codes for the strings it kept (`STATUS`, `SHARD_STATE`): any key so named, anywhere. */
const STRING_CODES: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  status: { red: 0, yellow: 1, green: 2 },
  state: { CREATED: 0, RECOVERING: 1, STARTED: 2, RELOCATED: 3, CLOSED: 4 },
};

/**
 * A subtree as es2graphite's `process_section` and `add_metric` walked it: numbers and booleans
 * (0/1) under any key but `timestamp`, and `translog.id` skipped; strings dropped but for a `status`
 * or `state` it had a code for (a shard's `STARTED` is 2; `INITIALIZING`, `RELOCATING`,
 * `POST_RECOVERY` had none, so give nothing); the list under `shards.<n>` keyed by each copy's
 * node (`routing.node`), every other list by position. A copy without a node name is skipped (in
 * es2graphite a KeyError that ended the cycle); a node the node stats do not list goes under its id
 * (es2graphite: the same KeyError).
 */
function walkAsEs2graphite(
  section: Record<string, unknown>,
  at: LeafName,
  visit: LeafVisitor,
  nodeName: (id: unknown) => string,
): void {
  if (at.keys.length >= MAX_DEPTH) return;
  const inShards = at.keys.at(-1) === 'shards';
  for (const [key, value] of Object.entries(section)) {
    const child = at.child(key);
    if (isRecord(value)) walkAsEs2graphite(value, child, visit, nodeName);
    else if (Array.isArray(value)) {
      value.forEach((item, position) => {
        if (inShards && /^\d/.test(key)) {
          const node = isRecord(item) && isRecord(item.routing) ? item.routing.node : undefined;
          if (isRecord(item) && node != null)
            walkAsEs2graphite(item, child.child(nodeName(node)), visit, nodeName);
        } else if (isRecord(item)) walkAsEs2graphite(item, child.child(String(position)), visit, nodeName);
        else leaf(child.child(String(position)), String(position), item, visit);
      });
    } else if (!(key === 'id' && at.keys.at(-1) === 'translog')) leaf(child, key, value, visit);
  }
}

function leaf(at: LeafName, key: string, value: unknown, visit: LeafVisitor): void {
  if (key === 'timestamp') return;
  if (typeof value === 'boolean') visit(at, value ? 1 : 0);
  else if (typeof value === 'number') {
    if (Number.isFinite(value)) visit(at, value);
  } else if (typeof value === 'string') {
    const code = STRING_CODES[key]?.[value];
    if (code !== undefined) visit(at, code);
  }
}
