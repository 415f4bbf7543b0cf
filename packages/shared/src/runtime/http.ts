import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

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
}

/**
 * GET /healthz and GET /status, nothing else: Marathon's MESOS_HTTP health check and a person with
 * curl are its only clients. Other paths are 404, other methods 405.
 */
export async function startHttpEndpoint(
  options: HttpEndpointOptions,
): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const routes: Record<string, () => [number, unknown]> = {
      '/healthz': () => {
        const health = options.health();
        return [health.status === 'unhealthy' ? 503 : 200, health];
      },
      '/status': () => [200, options.status()],
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
