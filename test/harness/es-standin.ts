import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { type CatEndpoint, synthesizeCat } from './es-cat.js';
import { synthesizeStatus } from './es-status.js';
import { sharedPath } from './fixtures.js';

/**
 * An Elasticsearch stand-in: an HTTP server on 127.0.0.1 that answers with real recorded response
 * bodies from ../shared/fixtures/es (never copied into the repo) and injects faults per path. ES
 * cannot be installed on the test machines; this is what the es-collector tests talk to.
 *
 * The `_cat` answers (`_cat/allocation`, `_cat/nodes`, `_cat/thread_pool`, which es2graphite's last
 * release asked) and the 0.90/1.x `_status` answer (which es2graphite 2013 asked) are the
 * exceptions: no recording of them exists, so they are **synthesised** from the `_nodes/stats`,
 * `_stats` and `_cluster/health` bodies served beside them (es-cat.ts, honouring `h=`, and
 * es-status.ts say how, per version). So is `/_alias` where no recording goes with the index
 * stats served (`synthesizeAliases`). Every other answer is a recording.
 */
export type EsEndpoint =
  | 'root'
  | 'cluster_health'
  | 'cluster_stats'
  | 'nodes_stats'
  | 'nodes_local_stats'
  | 'indices_stats'
  | 'pending_tasks'
  | 'master_node'
  /** 0.90/1.x `_status`, asked by es2graphite 2013: synthesised (es-status.ts); 404 from 2.0. */
  | 'indices_status'
  /** `GET /_alias`, asked by elasticsearch_exporter's index collector (see `synthesizeAliases`). */
  | 'aliases'
  | CatEndpoint;

/** Which request paths (query string ignored) each endpoint answers. */
export const ENDPOINT_PATHS: Readonly<Record<EsEndpoint, readonly string[]>> = {
  root: ['/'],
  cluster_health: ['/_cluster/health'],
  cluster_stats: ['/_cluster/stats'],
  // `/_cluster/nodes/stats`: the 0.90 path, which es2graphite 2013 asked.
  nodes_stats: ['/_nodes/stats', '/_cluster/nodes/stats'],
  nodes_local_stats: ['/_nodes/_local/stats'],
  indices_stats: ['/_all/_stats', '/_stats'],
  pending_tasks: ['/_cluster/pending_tasks'],
  master_node: ['/_cluster/state/master_node', '/_cluster/state'],
  indices_status: ['/_status'],
  aliases: ['/_alias'],
  cat_allocation: ['/_cat/allocation'],
  cat_nodes: ['/_cat/nodes'],
  cat_thread_pool: ['/_cat/thread_pool'],
};

const CAT_ENDPOINTS: ReadonlySet<EsEndpoint> = new Set(['cat_allocation', 'cat_nodes', 'cat_thread_pool']);

/**
 * Recorded bodies per version, as paths under fixtures/es. Where no recording of an endpoint exists
 * for that version, the nearest recorded version stands in (noted per entry); the README of the
 * fixtures gives the origin of every file.
 */
export const ES_VERSIONS: Readonly<Record<string, Readonly<Partial<Record<EsEndpoint, string>>>>> = {
  '8.4.2': {
    root: 'netdata_go.d/8.4.2/root.json',
    cluster_health: 'netdata_go.d/8.4.2/cluster_health.json',
    cluster_stats: 'netdata_go.d/8.4.2/cluster_stats.json',
    nodes_stats: 'netdata_go.d/8.4.2/nodes_stats.json',
    nodes_local_stats: 'netdata_go.d/8.4.2/nodes_local_stats.json',
    indices_stats: 'elasticsearch_exporter/7.17.3/indices_stats.json', // no 8.x recording
    aliases: 'elasticsearch_exporter/7.17.3/aliases.json', // the same cluster as indices_stats
    pending_tasks: 'metricbeat/6.2.2/pending_tasks.json', // the only recording
  },
  '7.13.1': {
    root: 'elasticsearch_exporter/7.13.1/root.json',
    cluster_health: 'elasticsearch_exporter/7.13.1/cluster_health.json',
    cluster_stats: 'netdata_go.d/7.9.0/cluster_stats.json',
    nodes_stats: 'elasticsearch_exporter/7.13.1/nodes_stats.json',
    indices_stats: 'elasticsearch_exporter/7.17.3/indices_stats.json',
    aliases: 'elasticsearch_exporter/7.17.3/aliases.json',
    pending_tasks: 'metricbeat/6.2.2/pending_tasks.json',
  },
  '7.9.0': {
    root: 'netdata_go.d/7.9.0/root.json',
    cluster_health: 'netdata_go.d/7.9.0/cluster_health.json',
    cluster_stats: 'netdata_go.d/7.9.0/cluster_stats.json',
    // A single-node cluster: its _local answer is also its _nodes/stats answer.
    nodes_stats: 'netdata_go.d/7.9.0/nodes_local_stats.json',
    nodes_local_stats: 'netdata_go.d/7.9.0/nodes_local_stats.json',
    indices_stats: 'elasticsearch_exporter/7.6.2/indices_stats.json',
    pending_tasks: 'metricbeat/6.2.2/pending_tasks.json',
  },
  '6.3.2': {
    root: 'signalfx_collectd/6.3.2/root.json',
    cluster_health: 'signalfx_collectd/6.3.2/cluster_health.json',
    cluster_stats: 'metricbeat/6.3.0/cluster_stats.json',
    nodes_stats: 'signalfx_collectd/6.3.2/nodes_local_stats_filtered.json',
    nodes_local_stats: 'signalfx_collectd/6.3.2/nodes_local_stats_filtered.json',
    indices_stats: 'signalfx_collectd/6.3.2/indices_stats.json',
    pending_tasks: 'metricbeat/6.2.2/pending_tasks.json',
    master_node: 'signalfx_collectd/6.3.2/cluster_state_master_node.json',
  },
  '5.4.2': {
    root: 'elasticsearch_exporter/5.4.2/root.json',
    cluster_health: 'elasticsearch_exporter/5.4.2/cluster_health.json',
    nodes_stats: 'elasticsearch_exporter/5.4.2/nodes_stats.json',
    indices_stats: 'elasticsearch_exporter/5.4.2/indices_stats.json',
  },
  '6.8.8': {
    root: 'signalfx_collectd/6.3.2/root.json', // no 6.8 recording
    cluster_health: 'signalfx_collectd/6.3.2/cluster_health.json', // no 6.8 recording
    nodes_stats: 'elasticsearch_exporter/6.8.8/nodes_stats.json',
    indices_stats: 'elasticsearch_exporter/6.8.8/indices_stats.json',
  },
  '5.6.16': {
    root: 'signalfx_collectd/5.6.8/root.json', // no 5.6.16 recording
    cluster_health: 'signalfx_collectd/5.6.8/cluster_health.json', // no 5.6.16 recording
    nodes_stats: 'elasticsearch_exporter/5.6.16/nodes_stats.json',
    indices_stats: 'elasticsearch_exporter/5.6.16/indices_stats.json',
  },
  '2.4.5': {
    root: 'elasticsearch_exporter/2.4.5/root.json',
    cluster_health: 'elasticsearch_exporter/2.4.5/cluster_health.json',
    nodes_stats: 'elasticsearch_exporter/2.4.5/nodes_stats.json',
    indices_stats: 'elasticsearch_exporter/2.4.5/indices_stats.json',
  },
  '1.7.5': {
    root: 'signalfx_collectd/1.7.5/root.json',
    cluster_health: 'signalfx_collectd/1.7.5/cluster_health.json',
    nodes_stats: 'elasticsearch_exporter/1.7.6/nodes_stats.json',
    nodes_local_stats: 'signalfx_collectd/1.7.5/nodes_local_stats_filtered.json',
    indices_stats: 'signalfx_collectd/1.7.5/indices_stats.json',
    master_node: 'signalfx_collectd/1.7.5/cluster_state_master_node.json',
  },
  // No recording of `GET /` or of the health for 0.90: pass `bodies.root` (and a health) to use it.
  '0.90': {
    nodes_stats: 'diamond/0.90/nodes_local_stats.json',
    nodes_local_stats: 'diamond/0.90/nodes_local_stats.json',
    indices_stats: 'diamond/0.90/indices_stats.json',
  },
};

/** What a path answers instead of its recorded body. */
export type EsFault =
  /** A status with a short ES-like JSON error (or the given body). */
  | { kind: 'status'; status: number; body?: string; contentType?: string }
  /** The recorded body, after a delay. */
  | { kind: 'delay'; ms: number }
  /** Accepts the request and never answers. */
  | { kind: 'hang' }
  /** Declares the full length, sends half of the body, closes. */
  | { kind: 'truncate' }
  /** 200 with a body that is not JSON. */
  | { kind: 'invalid_json' }
  /** A proxy's HTML error page (502 unless told). */
  | { kind: 'html'; status?: number }
  /** TCP reset right after the request arrives. */
  | { kind: 'reset' };

export interface EsStandinOptions {
  /** A key of ES_VERSIONS (default 8.4.2). */
  version?: string;
  /** Bodies that replace or add to the version's recordings (e.g. a synthesised big cluster). */
  bodies?: Partial<Record<EsEndpoint, unknown>>;
  /** Answer gzip when asked (default true). */
  gzip?: boolean;
  /** Serve HTTPS with this certificate; with `clientCa`, demand a client certificate signed by it. */
  tls?: { key: string; cert: string; clientCa?: string };
}

export interface EsStandin {
  readonly url: string;
  readonly port: number;
  /** Requests per path (query string removed). */
  readonly requests: Map<string, number>;
  /** Requests per path with its query string (`/_all/_stats?level=cluster`). */
  readonly urls: Map<string, number>;
  /** Headers of the most recent request per path (to check auth and accept-encoding). */
  readonly lastHeaders: Map<string, IncomingMessage['headers']>;
  requestCount(path: string): number;
  /** Sets (or with undefined clears) the fault of a path, an endpoint, or '*' for every path. */
  fault(target: string, fault: EsFault | undefined): void;
  setBody(endpoint: EsEndpoint, body: unknown): void;
  close(): Promise<void>;
}

export function loadFixture(relative: string): unknown {
  return JSON.parse(readFileSync(sharedPath('fixtures', 'es', relative), 'utf8'));
}

export async function startEsStandin(options: EsStandinOptions = {}): Promise<EsStandin> {
  const version = options.version ?? '8.4.2';
  const recorded = ES_VERSIONS[version];
  if (!recorded)
    throw new Error(
      `no ES stand-in recordings for version ${version}; known: ${Object.keys(ES_VERSIONS).join(', ')}`,
    );

  // Serialised once: a synthesised 200-node body should not be re-encoded per request.
  const bodies = new Map<EsEndpoint, { json: Buffer; gzip?: Buffer }>();
  const setBody = (endpoint: EsEndpoint, body: unknown): void => {
    bodies.set(endpoint, { json: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) });
  };
  for (const [endpoint, file] of Object.entries(recorded) as [EsEndpoint, string][]) {
    bodies.set(endpoint, { json: readFileSync(sharedPath('fixtures', 'es', file)) });
  }
  for (const [endpoint, body] of Object.entries(options.bodies ?? {}) as [EsEndpoint, unknown][])
    setBody(endpoint, body);
  // The recorded aliases name the recorded indices: other index stats get theirs synthesised.
  if (options.bodies?.indices_stats !== undefined && options.bodies.aliases === undefined)
    bodies.delete('aliases');

  const endpointOf = new Map<string, EsEndpoint>();
  for (const [endpoint, paths] of Object.entries(ENDPOINT_PATHS) as [EsEndpoint, string[]][]) {
    for (const path of paths) endpointOf.set(path, endpoint);
  }
  const faults = new Map<string, EsFault>();
  const requests = new Map<string, number>();
  const urls = new Map<string, number>();
  const lastHeaders = new Map<string, IncomingMessage['headers']>();
  const sockets = new Set<Socket>();
  const gzipEnabled = options.gzip ?? true;

  const faultFor = (path: string): EsFault | undefined => {
    const endpoint = endpointOf.get(path);
    return faults.get(path) ?? (endpoint ? faults.get(endpoint) : undefined) ?? faults.get('*');
  };

  const major = Number(version.split('.')[0]);
  const parsed = (endpoint: EsEndpoint): unknown => {
    const body = bodies.get(endpoint);
    return body ? JSON.parse(body.json.toString('utf8')) : undefined;
  };
  /** A synthesised `_cat` answer (es-cat.ts), made from the bodies served now. */
  const catBody = (
    endpoint: EsEndpoint,
    query: URLSearchParams,
  ): { json: Buffer; gzip?: Buffer } | undefined => {
    const nodes = parsed('nodes_stats');
    if (nodes === undefined) return undefined;
    const rows = synthesizeCat(endpoint as CatEndpoint, query, major, nodes, parsed('cluster_health'));
    return rows && { json: Buffer.from(JSON.stringify(rows)) };
  };
  /** A synthesised `_status` answer (es-status.ts), made from the bodies served now. */
  const statusBody = (): { json: Buffer; gzip?: Buffer } | undefined => {
    const status = synthesizeStatus(
      major,
      parsed('nodes_stats'),
      parsed('indices_stats'),
      parsed('cluster_health'),
    );
    return status && { json: Buffer.from(JSON.stringify(status)) };
  };

  /** Index stats at `level=cluster`: `_all` without the per-index map, as ES answers it. */
  const clusterLevel = new WeakMap<object, { json: Buffer; gzip?: Buffer }>();
  const indicesStatsBody = (query: URLSearchParams): { json: Buffer; gzip?: Buffer } | undefined => {
    const full = bodies.get('indices_stats');
    if (!full || query.get('level') !== 'cluster') return full;
    let body = clusterLevel.get(full);
    if (!body) {
      const { indices: _perIndex, ...rest } = parsed('indices_stats') as Record<string, unknown>;
      body = { json: Buffer.from(JSON.stringify(rest)) };
      clusterLevel.set(full, body);
    }
    return body;
  };

  const send = (req: IncomingMessage, res: ServerResponse, endpoint: EsEndpoint | undefined): void => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const body =
      endpoint === 'indices_stats'
        ? indicesStatsBody(url.searchParams)
        : endpoint && bodies.has(endpoint)
          ? bodies.get(endpoint)
          : endpoint && CAT_ENDPOINTS.has(endpoint)
            ? catBody(endpoint, url.searchParams)
            : endpoint === 'indices_status'
              ? statusBody()
              : endpoint === 'aliases'
                ? synthesizeAliases(parsed('indices_stats'))
                : undefined;
    if (!body) {
      const path = req.url ?? '/';
      res.writeHead(404, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(
        JSON.stringify({
          error: { type: 'stand_in_no_recording', reason: `no recording for ${path} (version ${version})` },
          status: 404,
        }),
      );
      return;
    }
    const wantsGzip = gzipEnabled && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    if (wantsGzip) {
      body.gzip ??= gzipSync(body.json);
      res.writeHead(200, {
        'content-type': 'application/json; charset=UTF-8',
        'content-encoding': 'gzip',
        'content-length': body.gzip.length,
      });
      res.end(body.gzip);
    } else {
      res.writeHead(200, {
        'content-type': 'application/json; charset=UTF-8',
        'content-length': body.json.length,
      });
      res.end(body.json);
    }
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    urls.set(req.url ?? '/', (urls.get(req.url ?? '/') ?? 0) + 1);
    lastHeaders.set(path, req.headers);
    const endpoint = endpointOf.get(path);
    const fault = faultFor(path);
    switch (fault?.kind) {
      case undefined:
        return send(req, res, endpoint);
      case 'delay': {
        const timer = setTimeout(() => send(req, res, endpoint), fault.ms);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      case 'hang':
        return;
      case 'reset':
        req.socket.resetAndDestroy();
        return;
      case 'status': {
        const text =
          fault.body ??
          JSON.stringify({
            error: { type: 'stand_in_fault', reason: `injected HTTP ${fault.status}` },
            status: fault.status,
          });
        res.writeHead(fault.status, {
          'content-type': fault.contentType ?? 'application/json; charset=UTF-8',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
        return;
      }
      case 'html': {
        const status = fault.status ?? 502;
        const page = `<html><head><title>${status} Bad Gateway</title></head><body><center><h1>${status} Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n`;
        res.writeHead(status, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(page) });
        res.end(page);
        return;
      }
      case 'invalid_json': {
        const text = '{"cluster_name": "stand-in", "status": green}';
        res.writeHead(200, {
          'content-type': 'application/json; charset=UTF-8',
          'content-length': text.length,
        });
        res.end(text);
        return;
      }
      case 'truncate': {
        const json =
          (endpoint ? bodies.get(endpoint)?.json : undefined) ??
          Buffer.from('{"truncated": true, "padding": "xxxxxxxx"}');
        res.writeHead(200, {
          'content-type': 'application/json; charset=UTF-8',
          'content-length': json.length,
        });
        res.write(json.subarray(0, Math.floor(json.length / 2)), () => req.socket.destroy());
        return;
      }
    }
  };
  const tls = options.tls;
  const server: Server = tls
    ? createTlsServer(
        {
          key: tls.key,
          cert: tls.cert,
          ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
        },
        handler,
      )
    : createServer(handler);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    urls,
    lastHeaders,
    requestCount: (path) => requests.get(path) ?? 0,
    fault(target, fault) {
      if (fault) faults.set(target, fault);
      else faults.delete(target);
    },
    setBody,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * `GET /_alias` where no recording goes with the served index stats (only 7.17.3's cluster has one):
 * every index of the `_stats` answer without an alias, `{"<index>": {"aliases": {}}}`, as ES answers
 * for indices that have none. elasticsearch_exporter 1.5.0 asks it on every scrape with
 * `--es.indices` (its `--es.aliases` defaults to on) and drops all its per-index series when it fails.
 */
function synthesizeAliases(indicesStats: unknown): { json: Buffer; gzip?: Buffer } | undefined {
  const indices = (indicesStats as { indices?: Record<string, unknown> } | undefined)?.indices;
  if (!indices) return undefined;
  const body = Object.fromEntries(Object.keys(indices).map((index) => [index, { aliases: {} }]));
  return { json: Buffer.from(JSON.stringify(body)) };
}

/** A port on 127.0.0.1 nothing listens on (bound, then released): connections are refused. */
export async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ---- a recording that moves ------------------------------------------------------------------

/** The part of a `_nodes/stats` body that moving it forward touches. */
export type NodesStatsBody = { nodes: Record<string, Record<string, any>> };

/** A counter of a node's stats (dotted path, e.g. `indices.indexing.index_total`) and its rate. */
export type NodeCounter = readonly [path: string, perSecond: number];

/**
 * `recorded` as a live cluster would answer `elapsedMs` later: each node's timestamp and the
 * counters `countersOf(node)` names moved forward. A recording never changes, and es-collector
 * derives rates from the change between two answers (by the node's own timestamp), so without this a
 * stand-in is a cluster where nothing happens.
 */
export function advanceNodesStats<Body extends NodesStatsBody>(
  recorded: Body,
  elapsedMs: number,
  countersOf: (node: Record<string, any>) => readonly NodeCounter[],
): Body {
  const body = structuredClone(recorded);
  for (const node of Object.values(body.nodes)) {
    node.timestamp += elapsedMs;
    for (const [path, perSecond] of countersOf(node)) {
      const keys = path.split('.');
      const parent = keys.slice(0, -1).reduce<any>((at, key) => at?.[key], node);
      const leaf = keys.at(-1)!;
      if (typeof parent?.[leaf] === 'number') parent[leaf] += Math.floor((perSecond * elapsedMs) / 1000);
    }
  }
  return body;
}

// ---- big clusters for benchmarks -------------------------------------------------------------

/**
 * A `_nodes/stats` body of `count` nodes made by replicating a real node entry under new ids and
 * names (`<name>-0001`...). Values are the recorded ones; the shape is what matters for load.
 */
export function synthesizeNodesStats(recorded: unknown, count: number): unknown {
  const body = recorded as { nodes?: Record<string, Record<string, unknown>> } & Record<string, unknown>;
  const template = Object.values(body.nodes ?? {})[0];
  if (!template) throw new Error('synthesizeNodesStats: the recorded body has no node to replicate');
  const nodes: Record<string, unknown> = {};
  const width = String(count).length;
  for (let i = 1; i <= count; i++) {
    const suffix = String(i).padStart(width, '0');
    const id = `synth${suffix}`.padEnd(22, 'x');
    nodes[id] = { ...template, name: `${String(template.name ?? 'node')}-${suffix}` };
  }
  return { ...body, _nodes: { total: count, successful: count, failed: 0 }, nodes };
}

/** An `_all/_stats` body of `count` indices replicating a real index entry (`bench-0001`...). */
export function synthesizeIndicesStats(recorded: unknown, count: number): unknown {
  const body = recorded as { indices?: Record<string, unknown> } & Record<string, unknown>;
  const template = Object.values(body.indices ?? {})[0];
  if (!template) throw new Error('synthesizeIndicesStats: the recorded body has no index to replicate');
  const indices: Record<string, unknown> = {};
  const width = String(count).length;
  for (let i = 1; i <= count; i++) indices[`bench-${String(i).padStart(width, '0')}`] = template;
  return { ...body, indices };
}
