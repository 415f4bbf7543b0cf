import Docker from 'dockerode';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { type ContainerIdentity, identityFromInspect } from './identity.js';
import type { ContainerEvent } from './lifecycle.js';

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
  /** Told every event, and Docker's state (running and exited containers) after every list. */
  lifecycle?: {
    event(event: ContainerEvent): void;
    resync(infos: readonly Docker.ContainerInspectInfo[]): void;
  };
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

const EVENTS = ['start', 'die', 'oom', 'destroy', 'rename', 'pause', 'unpause'];
/** Events after which the container is inspected again (`die`/`destroy` forget it, `oom` changes nothing here). */
const REFRESHING_EVENTS = new Set(['start', 'rename', 'pause', 'unpause']);

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
  /** When the connection was lost (for the line that says how long it was away). */
  private lostAtMs: number | undefined;
  private readonly state: DiscoveryStatus;

  constructor(private readonly options: DiscoveryOptions) {
    const connection = dockerConnection(options.docker);
    this.api = new Docker({ ...connection, timeout: options.requestTimeoutMs });
    this.eventsApi = new Docker(connection);
    if (options.log.isLevelEnabled('trace'))
      for (const api of [this.api, this.eventsApi]) traceRequests(api, options.log);
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

  /** Following Docker's events right now (false from a broken stream until the next list succeeds). */
  get connected(): boolean {
    return this.state.connected;
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

  /** GET /containers/{id}/json; undefined when Docker no longer has it. */
  async inspect(id: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await this.api.getContainer(id).inspect({ abortSignal: this.abort.signal } as object);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
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
      if (this.lostAtMs !== undefined) {
        const awayMs = Date.now() - this.lostAtMs;
        this.options.log.warn({ awaySeconds: Math.round(awayMs / 100) / 10 }, 'Docker reachable again');
        this.lostAtMs = undefined;
      }
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
    const message = withHint(error, this.options.docker);
    // One line when Docker goes away (or is not there at start), one when it is back: retries between
    // them go to debug.
    if (this.lostAtMs === undefined) {
      this.lostAtMs = Date.now();
      this.options.log.warn(
        { err: message, retryInMs: this.backoffMs },
        'Docker unreachable; containers already known keep being measured, instance counts are not sent',
      );
    } else {
      this.options.log.debug({ err: message, retryInMs: this.backoffMs }, 'Docker still unreachable');
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
    const infos = await Promise.all([...ids].map((id) => this.refresh(id)));
    this.listedOnce = true;
    this.state.lastListAt = new Date().toISOString();
    if (this.options.lifecycle) void this.resyncLifecycle(infos);
  }

  /**
   * Docker's state of every container, exited ones included, for the lifecycle counters to count
   * what the event stream missed (one inspect per exited container at each reconnect).
   */
  private async resyncLifecycle(running: readonly (Docker.ContainerInspectInfo | undefined)[]) {
    try {
      const stopped = await this.api.listContainers({
        all: true,
        filters: { status: ['exited', 'restarting', 'dead'] },
        abortSignal: this.abort.signal,
      } as Docker.ContainerListOptions);
      const infos = await Promise.all(
        stopped.map((container) =>
          this.inspectLimit(() => this.inspect(container.Id).catch(() => undefined)),
        ),
      );
      const known = [...running, ...infos].filter((info) => info !== undefined);
      this.options.lifecycle?.resync(known);
    } catch (error) {
      if (!this.closed) this.options.log.debug({ err: (error as Error).message }, 'lifecycle resync failed');
    }
  }

  private onEvent(line: string): void {
    let event: {
      Action?: string;
      status?: string;
      id?: string;
      time?: number;
      timeNano?: number;
      Actor?: { ID?: string; Attributes?: Record<string, string> };
    };
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    const id = event.Actor?.ID ?? event.id;
    const action = event.Action ?? event.status;
    if (!id || !action) return;
    const attributes = event.Actor?.Attributes ?? {};
    const exitCode = Number(attributes.exitCode);
    this.options.lifecycle?.event({
      id,
      action,
      atMs: event.timeNano ? event.timeNano / 1e6 : (event.time ?? Date.now() / 1000) * 1000,
      ...(attributes.name ? { name: attributes.name } : {}),
      ...(attributes.exitCode !== undefined && Number.isInteger(exitCode) ? { exitCode } : {}),
    });
    if (action === 'die' || action === 'destroy') this.forget(id);
    else if (REFRESHING_EVENTS.has(action)) {
      this.versions.set(id, (this.versions.get(id) ?? 0) + 1);
      void this.refresh(id);
    }
  }

  private forget(id: string): void {
    this.containers.delete(id);
    // Bumped, not deleted: an inspect already in flight must see that the container changed.
    this.versions.set(id, (this.versions.get(id) ?? 0) + 1);
  }

  /** Inspects one container and records it if it is still running; resolves with what Docker said. */
  private refresh(id: string): Promise<Docker.ContainerInspectInfo | undefined> {
    const version = this.versions.get(id) ?? 0;
    return this.inspectLimit(async () => {
      try {
        const info = await this.api.getContainer(id).inspect({ abortSignal: this.abort.signal } as object);
        if ((this.versions.get(id) ?? 0) !== version) return info;
        if (!info.State?.Running) {
          this.containers.delete(id);
          return info;
        }
        this.containers.set(id, identityFromInspect(info, this.options.groupLabelKeys));
        return info;
      } catch (error) {
        // 404: removed between the event and the inspect. Anything else: the next list catches up.
        if ((error as { statusCode?: number }).statusCode !== 404 && !this.closed) {
          this.options.log.debug({ id, err: (error as Error).message }, 'inspect failed');
        }
        return undefined;
      }
    });
  }
}

/** At `trace`: every Docker API request with its duration (to the answer's headers, for a stream). */
function traceRequests(api: Docker, log: Logger): void {
  type Dial = (
    options: { method?: string; path?: string },
    callback: (error: unknown, data: unknown) => void,
  ) => void;
  const modem = api.modem as { dial: Dial };
  const dial = modem.dial.bind(modem);
  modem.dial = (options, callback) => {
    const began = performance.now();
    dial(options, (error, data) => {
      const durationMs = performance.now() - began;
      const request = `${options.method ?? 'GET'} ${options.path ?? ''}`;
      const outcome = error
        ? `failed after ${durationMs.toFixed(1)} ms: ${(error as Error).message}`
        : `${durationMs.toFixed(1)} ms`;
      log.trace({ request, duration_ms: Math.round(durationMs) }, `Docker ${request}: ${outcome}`);
      callback(error, data);
    });
  };
}

/** The error's message, with what to do for the causes an operator meets when setting up. */
function withHint(error: unknown, docker: string): string {
  const message = error instanceof Error ? error.message : String(error);
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case 'EACCES':
      return `${message}: this user may not use the Docker socket; add it to the docker group (or run as root), or give --docker a socket it may use`;
    case 'ENOENT':
      return `${message}: no Docker socket at ${docker}; mount the host's socket there, or give --docker its address`;
    default:
      return message;
  }
}
