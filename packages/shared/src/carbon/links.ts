import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6, Socket } from 'node:net';
import type { Logger } from 'pino';
import { Backoff } from './backoff.js';

/**
 * A link carries chunks of lines to one destination. `write` takes one chunk at a time and calls
 * back once it has been handed to the kernel (or failed); the sender sends the next chunk only then,
 * which is how write()'s backpressure is honoured without ever buffering more than one chunk.
 */
export interface Link {
  readonly name: string;
  /** True when a chunk may be written now. */
  readonly ready: boolean;
  readonly connected: boolean;
  readonly reconnects: number;
  readonly lastError: string | undefined;
  write(chunk: Buffer, done: (error?: Error) => void): void;
  /** Skips the remaining backoff and connects now (shutdown flush: no time to wait 30 s). */
  reconnectNow(): void;
  /** Called by the link when it becomes ready (connected, or a write finished). */
  onReady: () => void;
  /** Called when a connection is made, and when one fails or is lost (each retry, too). */
  onConnection: (error?: string) => void;
  close(): Promise<void>;
}

export interface TcpLinkOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  log: Logger;
  backoff?: Backoff;
}

/** One persistent TCP connection with keepalive, a connect timeout and reconnects with backoff. */
export class TcpLink implements Link {
  readonly name: string;
  onReady: () => void = () => {};
  onConnection: (error?: string) => void = () => {};
  reconnects = 0;
  lastError: string | undefined;
  private socket: Socket | undefined;
  private isConnected = false;
  private writing = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private everConnected = false;

  constructor(private readonly options: TcpLinkOptions) {
    this.name = `${isIPv6(options.host) ? `[${options.host}]` : options.host}:${options.port}`;
    this.backoff = options.backoff ?? new Backoff(1000, 30_000);
    this.connect();
  }

  get connected(): boolean {
    return this.isConnected;
  }

  get ready(): boolean {
    return this.isConnected && !this.writing;
  }

  write(chunk: Buffer, done: (error?: Error) => void): void {
    const socket = this.socket;
    if (!socket || !this.isConnected) {
      done(new Error('not connected'));
      return;
    }
    this.writing = true;
    socket.write(chunk, (error) => {
      this.writing = false;
      done(error ?? undefined);
      if (!error && this.isConnected) this.onReady();
    });
  }

  reconnectNow(): void {
    if (this.closed || this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.connect();
  }

  private connect(): void {
    if (this.closed) return;
    this.timer = undefined;
    const socket = new Socket();
    this.socket = socket;
    const { host, port, connectTimeoutMs, log } = this.options;
    socket.setNoDelay(false);
    socket.setTimeout(connectTimeoutMs);
    socket.once('timeout', () => socket.destroy(new Error(`connect timeout after ${connectTimeoutMs} ms`)));
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.setKeepAlive(true, 30_000);
      this.isConnected = true;
      this.backoff.reset();
      if (this.everConnected) this.reconnects++;
      this.everConnected = true;
      this.lastError = undefined;
      this.onConnection();
      this.onReady();
    });
    // Carbon never sends anything; reading keeps the socket flowing and shows a remote close at once.
    socket.on('data', () => {});
    socket.once('end', () => socket.destroy());
    socket.once('error', (error) => {
      this.lastError = error.message;
    });
    socket.once('close', () => {
      const wasConnected = this.isConnected;
      this.isConnected = false;
      this.writing = false;
      if (this.closed) return;
      const delay = this.backoff.next();
      const reason = this.lastError ?? 'closed by peer';
      log.debug(
        { carbon: this.name, reason, retryInMs: delay },
        wasConnected ? 'carbon connection lost' : 'carbon connect failed',
      );
      this.lastError = reason;
      this.onConnection(reason);
      this.timer = setTimeout(() => this.connect(), delay);
      this.timer.unref();
    });
    socket.connect({ host, port });
  }

  close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => socket.destroy(), 2000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
  }
}

/** Datagrams of whole lines below a typical MTU; nothing is acknowledged, so nothing is retried. */
export class UdpLink implements Link {
  static readonly MAX_DATAGRAM_BYTES = 1400;
  readonly name: string;
  readonly connected = true;
  readonly reconnects = 0;
  lastError: string | undefined;
  onReady: () => void = () => {};
  onConnection: (error?: string) => void = () => {};
  private readonly socket: UdpSocket;
  private writing = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {
    this.name = `udp://${host}:${port}`;
    this.socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    this.socket.on('error', (error) => {
      this.lastError = error.message;
    });
    this.socket.unref();
  }

  get ready(): boolean {
    return !this.writing;
  }

  reconnectNow(): void {}

  write(chunk: Buffer, done: (error?: Error) => void): void {
    this.writing = true;
    const datagrams = splitLines(chunk, UdpLink.MAX_DATAGRAM_BYTES);
    let pending = datagrams.length;
    for (const datagram of datagrams) {
      this.socket.send(datagram, this.port, this.host, (error) => {
        if (error) this.lastError = error.message;
        if (--pending === 0) {
          this.writing = false;
          // A lost datagram is not retried: UDP was chosen knowing that.
          done();
          this.onReady();
        }
      });
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** `--output stdout`: the lines as they would be sent, honouring stdout's backpressure. */
export class StdoutLink implements Link {
  readonly name = 'stdout';
  readonly connected = true;
  readonly reconnects = 0;
  readonly lastError = undefined;
  onReady: () => void = () => {};
  onConnection: (error?: string) => void = () => {};
  private writing = false;

  get ready(): boolean {
    return !this.writing;
  }

  reconnectNow(): void {}

  write(chunk: Buffer, done: (error?: Error) => void): void {
    this.writing = true;
    process.stdout.write(chunk, (error) => {
      this.writing = false;
      done(error ?? undefined);
      this.onReady();
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Cuts a chunk into parts of at most `maxBytes`, at line ends (a longer line is a part of its own). */
function splitLines(chunk: Buffer, maxBytes: number): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  while (start < chunk.length) {
    let end = Math.min(chunk.length, start + maxBytes);
    if (end < chunk.length) {
      const lastNewline = chunk.lastIndexOf(0x0a, end - 1);
      end = lastNewline >= start ? lastNewline + 1 : chunk.indexOf(0x0a, end) + 1 || chunk.length;
    }
    parts.push(chunk.subarray(start, end));
    start = end;
  }
  return parts;
}
