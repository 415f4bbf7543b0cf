import Docker from 'dockerode';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { type ContainerIdentity, identityFromInspect } from './identity.js';

/**
 * Keeps the set of running containers current: one list at start, then Docker's event stream; after the
 * stream breaks (daemon restart, socket gone) it reconnects with backoff and lists again, so nothing that
 * happened meanwhile is missed. Only GET requests are ever sent: the agent must be safe to point at a
 * production daemon, even through a read-only socket proxy.
 */
export interface DiscoveryOptions {
  /** `unix:///var/run/docker.sock`, a bare socket path, or `tcp://host:port`. */
  docker: string;
  /** Per-request timeout of list/inspect/stats (the event stream has none: it is idle by nature). */
  requestTimeoutMs: number;
  groupLabelKeys: readonly string[];
  log: Logger;
  /** Backoff bounds for reconnecting (tests shorten them). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface DiscoveryStatus {
  docker: string;
  connected: boolean;
  containers: number;
  /** Times the event stream was (re)opened after the first. */
  reconnects: number;
  lastListAt?: string;
  lastError?: string;
}

const EVENTS = ['start', 'die', 'destroy', 'rename', 'pause', 'unpause'];

/** Turns `--docker` into dockerode options. */
export function dockerConnection(address: string): Docker.DockerOptions {
  if (address.startsWith('unix://')) return { socketPath: address.slice('unix://'.length) };
  if (address.startsWith('/')) return { socketPath: address };
  const url = new URL(address.replace(/^tcp:\/\//, 'http://'));
  return {
    host: url.hostname,
    port: Number(url.port || 2375),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
  };
}

export class ContainerDiscovery {
  readonly containers = new Map<string, ContainerIdentity>();
  private readonly api: Docker;
  private readonly eventsApi: Docker;
  private readonly inspectLimit = pLimit(8);
  /** Bumped by every event about an id, so a slow inspect never resurrects a container that died meanwhile. */
  private readonly versions = new Map<string, number>();
  private stream: NodeJS.ReadableStream | undefined;
  private abort = new AbortController();
  private retryTimer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  private closed = false;
  private listedOnce = false;
  private readonly state: DiscoveryStatus;

  constructor(private readonly options: DiscoveryOptions) {
    const connection = dockerConnection(options.docker);
    this.api = new Docker({ ...connection, timeout: options.requestTimeoutMs });
    this.eventsApi = new Docker(connection);
    this.backoffMs = options.minBackoffMs ?? 1000;
    this.state = { docker: options.docker, connected: false, containers: 0, reconnects: 0 };
  }

  /** True once a list succeeded: before that, "no containers" would be a lie. */
  get ready(): boolean {
    return this.listedOnce;
  }

  /** Connects and lists; on failure keeps retrying in the background and resolves anyway. */
  async start(): Promise<void> {
    await this.connect();
  }

  status(): DiscoveryStatus {
    return { ...this.state, containers: this.containers.size };
  }

  /** Docker's own one-shot stats, for the rare container whose cgroup files cannot be read. */
  async oneShotStats(id: string, signal: AbortSignal): Promise<Docker.ContainerStats> {
    const container = this.api.getContainer(id);
    return (await container.stats({ stream: false, 'one-shot': true, abortSignal: signal } as {
      stream: false;
      'one-shot': boolean;
    })) as Docker.ContainerStats;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.abort.abort();
    this.stopStream();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    try {
      // Events first, list second: an event racing the list is handled twice, never lost.
      await this.openEvents();
      await this.list();
      this.state.connected = true;
      this.backoffMs = this.options.minBackoffMs ?? 1000;
    } catch (error) {
      this.onBroken(error);
    }
  }

  private async openEvents(): Promise<void> {
    this.stopStream();
    const stream = await this.eventsApi.getEvents({
      filters: { type: ['container'], event: EVENTS },
      abortSignal: this.abort.signal,
    } as Docker.GetEventsOptions);
    this.stream = stream;
    let pending = '';
    stream.on('data', (chunk: Buffer | string) => {
      pending += chunk.toString();
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line) this.onEvent(line);
        newline = pending.indexOf('\n');
      }
    });
    const broken = (error?: unknown) => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      this.onBroken(error ?? new Error('Docker event stream ended'));
    };
    stream.on('error', broken);
    stream.on('end', () => broken());
    stream.on('close', () => broken());
  }

  private stopStream(): void {
    const stream = this.stream;
    this.stream = undefined;
    if (stream && 'destroy' in stream) (stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
  }

  private onBroken(error: unknown): void {
    if (this.closed) return;
    const message = error instanceof Error ? error.message : String(error);
    if (this.state.connected || this.state.lastError !== message) {
      this.options.log.warn(
        { err: message, retryInMs: this.backoffMs },
        'Docker unreachable; containers already known keep being measured',
      );
    }
    this.state.connected = false;
    this.state.lastError = message;
    this.stopStream();
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.state.reconnects++;
      void this.connect();
    }, this.backoffMs);
    this.retryTimer.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs ?? 30_000);
  }

  private async list(): Promise<void> {
    const running = await this.api.listContainers({
      abortSignal: this.abort.signal,
    } as Docker.ContainerListOptions);
    const ids = new Set(running.map((container) => container.Id));
    for (const id of this.containers.keys()) {
      if (!ids.has(id)) this.forget(id);
    }
    // Versions of long-gone containers only need to outlive inspects in flight, not the process.
    if (this.versions.size > 4 * ids.size + 1000) {
      for (const id of this.versions.keys()) if (!ids.has(id)) this.versions.delete(id);
    }
    // Re-inspect everything after a reconnect: a rename or pause may have been missed.
    await Promise.all([...ids].map((id) => this.refresh(id)));
    this.listedOnce = true;
    this.state.lastListAt = new Date().toISOString();
  }

  private onEvent(line: string): void {
    let event: { Action?: string; status?: string; id?: string; Actor?: { ID?: string } };
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    const id = event.Actor?.ID ?? event.id;
    const action = event.Action ?? event.status;
    if (!id || !action) return;
    this.versions.set(id, (this.versions.get(id) ?? 0) + 1);
    if (action === 'die' || action === 'destroy') this.forget(id);
    else void this.refresh(id);
  }

  private forget(id: string): void {
    this.containers.delete(id);
    // Bumped, not deleted: an inspect already in flight must see that the container changed.
    this.versions.set(id, (this.versions.get(id) ?? 0) + 1);
  }

  /** Inspects one container and records it if it is still running. */
  private refresh(id: string): Promise<void> {
    const version = this.versions.get(id) ?? 0;
    return this.inspectLimit(async () => {
      try {
        const info = await this.api.getContainer(id).inspect({ abortSignal: this.abort.signal } as object);
        if ((this.versions.get(id) ?? 0) !== version) return;
        if (!info.State?.Running) {
          this.containers.delete(id);
          return;
        }
        this.containers.set(id, identityFromInspect(info, this.options.groupLabelKeys));
      } catch (error) {
        // 404: removed between the event and the inspect. Anything else: the next list catches up.
        if ((error as { statusCode?: number }).statusCode !== 404 && !this.closed) {
          this.options.log.debug({ id, err: (error as Error).message }, 'inspect failed');
        }
      }
    });
  }
}
