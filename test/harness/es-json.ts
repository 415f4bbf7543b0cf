/** Reading the recorded ES bodies the stand-in synthesises other answers from (es-cat.ts, es-status.ts). */

export type Json = Record<string, unknown>;

export const isJson = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

export function at(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) current = isJson(current) ? current[key] : undefined;
  return current;
}

/** The node entries of a `_nodes/stats` body, by node id. */
export function nodeEntries(nodesStats: unknown): [string, Json][] {
  const nodes = at(nodesStats, 'nodes');
  return isJson(nodes)
    ? Object.entries(nodes).filter((entry): entry is [string, Json] => isJson(entry[1]))
    : [];
}

export function nodesOf(nodesStats: unknown): Json[] {
  return nodeEntries(nodesStats).map(([, node]) => node);
}

/** 5.x+ list roles; before, a node holds data unless its attributes say `data: false` or `client: true`. */
export function isDataNode(node: Json): boolean {
  if (Array.isArray(node.roles))
    return node.roles.some(
      (role) => role === 'data' || (typeof role === 'string' && role.startsWith('data_')),
    );
  const attributes = isJson(node.attributes) ? node.attributes : {};
  return attributes.data !== 'false' && attributes.client !== 'true';
}

/** The ids of the data nodes of a `_nodes/stats` body, in its order. */
export function dataNodeIds(nodesStats: unknown): string[] {
  return nodeEntries(nodesStats)
    .filter(([, node]) => isDataNode(node))
    .map(([id]) => id);
}
