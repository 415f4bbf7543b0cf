import { isRecord } from '../flatten.js';
import { type EsVersion, shapeMajor } from './root.js';

/**
 * `GET /_cluster/state/master_node`: the id of the elected master. Not an API of its own (no series,
 * not in `--apis`): with --local, a collector runs beside every node and only the one beside the
 * master asks for the cluster-wide APIs, so nothing is sent twice.
 */

export function masterNodePath(version: EsVersion): string {
  // 0.90 has no metric filter in the path; its filter_* flags trim the state to the header.
  return shapeMajor(version) >= 1
    ? '/_cluster/state/master_node'
    : '/_cluster/state?filter_nodes=true&filter_routing_table=true&filter_metadata=true&filter_blocks=true';
}

export function parseMasterNodeId(body: unknown): string {
  const id = isRecord(body) ? body.master_node : undefined;
  if (typeof id !== 'string' || id === '')
    throw new Error('_cluster/state/master_node: no master_node (no elected master?)');
  return id;
}
