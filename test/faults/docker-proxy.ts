/**
 * A recording proxy on a unix socket in front of a Docker daemon's socket: bytes are piped both ways
 * unchanged, and the HTTP requests the client sends (method and path, including the long-lived
 * `GET /events` stream) are parsed from the client side and recorded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RecordedRequest {
  method: string;
  path: string;
}

export interface DockerProxy {
  /** `unix://<socket>`: what the agent's --docker takes. */
  address: string;
  requests: RecordedRequest[];
  /** Client bytes that could not be parsed as HTTP/1.x requests (should stay empty). */
  unparsed: string[];
  /** Cuts the client off, as a daemon gone away would: open connections closed, new ones refused. */
  cut(): void;
  /** Lets connections through again after `cut`. */
  restore(): void;
  close(): Promise<void>;
}

/**
 * Parses a stream of HTTP/1.x requests (keep-alive: several per connection) with their bodies
 * (content-length or chunked), calling `onRequest` for each request line.
 */
class RequestParser {
  private buffer = Buffer.alloc(0);
  private bodyLeft = 0;
  private chunked = false;

  constructor(
    private readonly onRequest: (request: RecordedRequest) => void,
    private readonly onGarbage: (text: string) => void,
  ) {}

  push(data: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, data]);
    for (;;) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, this.buffer.length);
        this.buffer = this.buffer.subarray(take);
        this.bodyLeft -= take;
        if (this.bodyLeft > 0) return;
        continue;
      }
      if (this.chunked) {
        const lineEnd = this.buffer.indexOf('\r\n');
        if (lineEnd < 0) return;
        const size = Number.parseInt(this.buffer.subarray(0, lineEnd).toString('latin1'), 16);
        if (!Number.isFinite(size)) {
          this.onGarbage(this.buffer.toString('latin1', 0, 200));
          this.buffer = Buffer.alloc(0);
          this.chunked = false;
          return;
        }
        if (this.buffer.length < lineEnd + 2 + size + 2) return;
        this.buffer = this.buffer.subarray(lineEnd + 2 + size + 2);
        if (size === 0) this.chunked = false;
        continue;
      }
      const headEnd = this.buffer.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const head = this.buffer.toString('latin1', 0, headEnd);
      this.buffer = this.buffer.subarray(headEnd + 4);
      const [requestLine, ...headerLines] = head.split('\r\n');
      const match = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(requestLine ?? '');
      if (!match) {
        this.onGarbage(head.slice(0, 200));
        continue;
      }
      this.onRequest({ method: match[1]!, path: match[2]! });
      for (const line of headerLines) {
        const [name, ...rest] = line.split(':');
        const value = rest.join(':').trim();
        if (name?.toLowerCase() === 'content-length') this.bodyLeft = Number(value) || 0;
        if (name?.toLowerCase() === 'transfer-encoding' && /chunked/i.test(value)) this.chunked = true;
      }
    }
  }
}

export async function startDockerProxy(daemonAddress: string): Promise<DockerProxy> {
  const upstreamPath = daemonAddress.replace(/^unix:\/\//, '');
  const dir = mkdtempSync(join(tmpdir(), 'stoker-docker-proxy-'));
  const socketPath = join(dir, 'docker.sock');
  const requests: RecordedRequest[] = [];
  const unparsed: string[] = [];
  const sockets = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = createConnection(upstreamPath);
    sockets.add(client);
    sockets.add(upstream);
    const parser = new RequestParser(
      (request) => requests.push(request),
      (text) => unparsed.push(text),
    );
    client.on('data', (data: Buffer) => parser.push(data));
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    address: `unix://${socketPath}`,
    requests,
    unparsed,
    cut: () => {
      cut = true;
      for (const socket of sockets) socket.destroy();
    },
    restore: () => {
      cut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
