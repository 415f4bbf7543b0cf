/**
 * A big Elasticsearch cluster for benchmarks: the test harness's stand-in serving real recorded bodies
 * replicated to N nodes and M indices, behind a small front that also answers the two APIs the
 * Prometheus exporter asks for and the stand-in does not record (`/_alias`, `/_cat/shards`). Without
 * them the exporter's index collector fails as a whole (a 404 on `/_alias` drops every index series),
 * which would make the peer look cheaper than it is. Both agents talk to the front, so both pay the
 * same extra hop.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import {
  type EsStandin,
  loadFixture,
  startEsStandin,
  synthesizeIndicesStats,
  synthesizeNodesStats,
} from '../../test/harness/es-standin.js';

export interface BigCluster {
  /** URL of the front: what both agents are pointed at. */
  readonly url: string;
  readonly standin: EsStandin;
  readonly nodes: number;
  readonly indices: number;
  /** Serialised sizes of the two big bodies (uncompressed). */
  readonly nodesStatsBytes: number;
  readonly indicesStatsBytes: number;
  close(): Promise<void>;
}

/** The recordings replicated: a real 8.4.2 node (netdata go.d) and a real 7.17.3 index entry. */
export const NODE_RECORDING = 'netdata_go.d/8.4.2/nodes_stats.json';
export const INDEX_RECORDING = 'elasticsearch_exporter/7.17.3/indices_stats.json';
/** A real `/_alias` entry (an index without aliases) and real `/_cat/shards` rows (7.15.0). */
const ALIAS_RECORDING = 'elasticsearch_exporter/7.17.3/aliases.json';
const CAT_SHARDS_RECORDING = 'elasticsearch_exporter/7.15.0/cat_shards.json';

interface Body {
  json: Buffer;
  gzip: Buffer;
}

function body(value: unknown): Body {
  const json = Buffer.from(JSON.stringify(value));
  return { json, gzip: gzipSync(json) };
}

export async function startBigCluster(options: { nodes: number; indices: number }): Promise<BigCluster> {
  const nodesStats = synthesizeNodesStats(loadFixture(NODE_RECORDING), options.nodes) as {
    nodes: Record<string, { name: string }>;
  };
  const indicesStats = synthesizeIndicesStats(loadFixture(INDEX_RECORDING), options.indices) as {
    indices: Record<string, unknown>;
  };
  const nodesJson = JSON.stringify(nodesStats);
  const indicesJson = JSON.stringify(indicesStats);
  const standin = await startEsStandin({
    version: '8.4.2',
    bodies: { nodes_stats: nodesJson, indices_stats: indicesJson },
  });

  const indexNames = Object.keys(indicesStats.indices);
  const nodeNames = Object.values(nodesStats.nodes).map((node) => node.name);
  // Every index as the recording's index without aliases (`foo_1`).
  const aliasEntry = (loadFixture(ALIAS_RECORDING) as Record<string, unknown>).foo_1;
  const aliases = body(Object.fromEntries(indexNames.map((name) => [name, aliasEntry])));
  // One primary and one replica per index, spread over the nodes, in the recording's row format.
  const [startedRow] = (loadFixture(CAT_SHARDS_RECORDING) as Record<string, unknown>[]).filter(
    (row) => row.state === 'STARTED',
  );
  const shardRows: unknown[] = [];
  indexNames.forEach((index, i) => {
    for (const [copy, prirep] of ['p', 'r'].entries()) {
      const node = nodeNames[(i * 2 + copy) % nodeNames.length];
      shardRows.push({ ...startedRow, index, shard: '0', prirep, node });
    }
  });
  const catShards = body(shardRows);
  const own = new Map<string, Body>([
    ['/_alias', aliases],
    ['/_cat/shards', catShards],
  ]);

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://front').pathname;
    const served = own.get(path);
    if (served) {
      const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      const payload = gzip ? served.gzip : served.json;
      res.writeHead(200, {
        'content-type': 'application/json; charset=UTF-8',
        'content-length': payload.length,
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      });
      res.end(payload);
      return;
    }
    const upstream = request(
      { host: '127.0.0.1', port: standin.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 120_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    standin,
    nodes: options.nodes,
    indices: options.indices,
    nodesStatsBytes: Buffer.byteLength(nodesJson),
    indicesStatsBytes: Buffer.byteLength(indicesJson),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await standin.close();
    },
  };
}
