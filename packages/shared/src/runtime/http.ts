import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONTENT_TYPES, negotiateFormat } from '../prometheus/exposition.js';
import type { ScrapeSource } from '../prometheus/scrape.js';

/**
 * Liveness for an orchestrator that restarts what fails it: `unhealthy` (503) only when a restart
 * would help (the agent's own work is stuck); `degraded` (200) for trouble a restart cannot fix and
 * would only make worse (carbon away, a queue dropping, a cluster down), so Marathon never throws
 * away what the agent is keeping for carbon.
 */
export interface Health {
  status: 'ok' | 'degraded' | 'unhealthy';
  /** Why the agent is unhealthy or degraded, what makes it unhealthy first. */
  reasons: string[];
}

export interface HttpEndpointOptions {
  host: string;
  port: number;
  health(): Health;
  status(): unknown;
  /** GET /metrics: the last completed cycles in Prometheus' text format or OpenMetrics (`--metrics`). */
  metrics?: ScrapeSource;
}

/**
 * GET /healthz, /status and /metrics, nothing else: Marathon's MESOS_HTTP health check, a person with
 * curl and Prometheus are its only clients. Other paths are 404, other methods 405.
 */
export async function startHttpEndpoint(
  options: HttpEndpointOptions,
): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const { metrics } = options;
    if (metrics && path === '/metrics' && (request.method === 'GET' || request.method === 'HEAD')) {
      const format = negotiateFormat(request.headers.accept);
      metrics.scrape(format).then(
        (chunks) => {
          let length = 0;
          for (const chunk of chunks) length += chunk.length;
          response.writeHead(200, { 'content-type': CONTENT_TYPES[format], 'content-length': length });
          if (request.method !== 'HEAD') for (const chunk of chunks) response.write(chunk);
          response.end();
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end(`${(error as Error).message}\n`);
        },
      );
      return;
    }
    const routes: Record<string, () => [number, unknown]> = {
      '/healthz': () => {
        const health = options.health();
        return [health.status === 'unhealthy' ? 503 : 200, health];
      },
      '/status': () => [200, options.status()],
      // Answered above; listed for the 404's list and the 405.
      ...(metrics ? { '/metrics': (): [number, unknown] => [200, undefined] } : {}),
    };
    const route = path ? routes[path] : undefined;
    let status: number;
    let body: unknown;
    if (!route) {
      [status, body] = [404, { error: 'not found', routes: Object.keys(routes) }];
    } else if (request.method !== 'GET' && request.method !== 'HEAD') {
      [status, body] = [405, { error: 'method not allowed', allowed: ['GET', 'HEAD'] }];
      response.setHeader('allow', 'GET, HEAD');
    } else {
      try {
        [status, body] = route();
      } catch (error) {
        [status, body] = [500, { error: (error as Error).message }];
      }
    }
    const text = `${JSON.stringify(body, null, 2)}\n`;
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    response.end(request.method === 'HEAD' ? undefined : text);
  });
  server.keepAliveTimeout = 5000;
  // Prometheus keeps its scrape connection open between scrapes: an open connection must not keep a
  // stopping agent alive.
  server.on('connection', (socket) => socket.unref());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  return { server, port: (server.address() as AddressInfo).port };
}
