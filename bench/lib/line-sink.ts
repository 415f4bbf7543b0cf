/**
 * A carbon stand-in for benchmarks: a TCP server on 127.0.0.1 that reads and counts lines without
 * parsing or storing them, so what it costs stays out of the agent's numbers. It remembers when the
 * last byte arrived, which is when a cycle's lines had all been delivered.
 */
import { createServer, type Server, type Socket } from 'node:net';

export interface LineSink {
  readonly port: number;
  /** Lines (newlines) received since start. */
  readonly lines: number;
  readonly bytes: number;
  /** performance.timeOrigin-based ms of the last byte received (0 before any). */
  readonly lastDataAtMs: number;
  /** Last value seen per watched name suffix (see `watch`). */
  readonly watched: ReadonlyMap<string, number>;
  /** Resolves once no byte has arrived for `quietMs` (bounded by `timeoutMs`). */
  quiet(quietMs: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * `watch`: metric names ending with one of these (e.g. `self.memory.heap_used_bytes`) have their
 * latest value kept; only then are lines decoded at all.
 */
export async function startLineSink(options: { watch?: readonly string[] } = {}): Promise<LineSink> {
  const watch = options.watch ?? [];
  const watched = new Map<string, number>();
  let lines = 0;
  let bytes = 0;
  let lastDataAtMs = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    let carry = '';
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (watch.length > 0) {
        const text = carry + chunk.toString('latin1');
        const end = text.lastIndexOf('\n');
        carry = text.slice(end + 1);
        for (const line of text.slice(0, end).split('\n')) {
          const [name, value] = line.split(' ');
          const suffix = name ? watch.find((candidate) => name.endsWith(candidate)) : undefined;
          if (suffix) watched.set(suffix, Number(value));
        }
      }
      let at = chunk.indexOf(10);
      while (at !== -1) {
        lines++;
        at = chunk.indexOf(10, at + 1);
      }
      lastDataAtMs = performance.timeOrigin + performance.now();
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('line sink: no port');
  return {
    port: address.port,
    get lines() {
      return lines;
    },
    get bytes() {
      return bytes;
    },
    get lastDataAtMs() {
      return lastDataAtMs;
    },
    watched,
    async quiet(quietMs, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      const startedAt = performance.timeOrigin + performance.now();
      for (;;) {
        const now = performance.timeOrigin + performance.now();
        if (now - Math.max(lastDataAtMs, startedAt) >= quietMs || Date.now() > deadline) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
