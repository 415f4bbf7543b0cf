import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { abortedForShutdown } from '@stoker/shared';
import type { Logger } from 'pino';
import { Agent, type Dispatcher } from 'undici';

/**
 * The only place that talks HTTP. One undici Agent per cluster (keep-alive connections per seed,
 * TLS options shared), gzip asked for and undone here, seeds tried in order: a request that fails on
 * one seed for a reason another seed may not share (refused, hung, 5xx, 429, a proxy's HTML page)
 * goes to the next one within the same cycle; the seed that answered is tried first next time.
 */
export type EsAuth =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'api_key'; apiKey: string }
  | { kind: 'bearer'; token: string };

export interface EsTls {
  /** PEM contents, not paths: files are read once at start-up by targets.ts. */
  ca?: string;
  cert?: string;
  key?: string;
  /** Skips certificate verification (`--insecure`). */
  insecure?: boolean;
}

export interface EsClientOptions {
  /** Seed URLs without credentials (targets.ts moves `user:pass@` into `auth`). */
  seeds: readonly URL[];
  auth?: EsAuth;
  tls?: EsTls;
  /** Deadline of one attempt on one seed (the cycle's signal may end it sooner). */
  requestTimeoutMs: number;
  /** Refuse bodies larger than this (decompressed), so one huge answer cannot exhaust memory. */
  maxResponseBytes?: number;
  userAgent?: string;
  /** At `trace`, every request with its duration. */
  log?: Logger;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

export interface Attempt {
  /** Seed origin and path, never credentials. */
  url: string;
  reason: string;
}

/** A request that failed on every seed tried; `message` is one readable line. */
export class EsRequestError extends Error {
  constructor(
    readonly path: string,
    readonly attempts: readonly Attempt[],
    /** Whether any seed answered at all (an HTTP status), as opposed to none being reachable. */
    readonly answered: boolean,
  ) {
    super(attempts.map((attempt) => `${attempt.url}: ${attempt.reason}`).join('; '));
    this.name = 'EsRequestError';
  }
}

export interface EsResponse<T = unknown> {
  body: T;
  url: string;
  durationMs: number;
}

/**
 * Takes a successful answer's JSON as it arrives (decompressed, in chunks) and makes the body of
 * it; a fresh one per attempt. Throws for a malformed document.
 */
export interface BodyReader<T> {
  write(chunk: Uint8Array): void;
  end(): T;
}

/** The default reader: the whole text, then `JSON.parse`. */
function wholeJson(): BodyReader<unknown> {
  const chunks: Uint8Array[] = [];
  return {
    write: (chunk) => chunks.push(chunk),
    end: () => JSON.parse(Buffer.concat(chunks).toString('utf8')),
  };
}

/** Bytes of a body kept for an error's hint of what came back. */
const HINT_BYTES = 4096;

/** Why one attempt failed, and whether the next seed is worth trying. */
class AttemptFailure extends Error {
  constructor(
    reason: string,
    readonly tryNextSeed: boolean,
    readonly answered: boolean,
  ) {
    super(reason);
  }
}

export class EsClient {
  private readonly agent: Agent;
  private readonly headers: Record<string, string>;
  /** Every form of this cluster's credentials, longest first (see `redact`). */
  private readonly secrets: string[];
  private preferred = 0;

  constructor(private readonly options: EsClientOptions) {
    if (options.seeds.length === 0) throw new Error('EsClient needs at least one seed URL');
    this.agent = new Agent({
      keepAliveTimeout: 60_000,
      connect: {
        ...(options.tls?.ca ? { ca: options.tls.ca } : {}),
        ...(options.tls?.cert ? { cert: options.tls.cert } : {}),
        ...(options.tls?.key ? { key: options.tls.key } : {}),
        rejectUnauthorized: !options.tls?.insecure,
      },
    });
    this.headers = {
      accept: 'application/json',
      'accept-encoding': 'gzip',
      'user-agent': options.userAgent ?? 'stoker-es-collector',
    };
    const auth = authorization(options.auth);
    if (auth) this.headers.authorization = auth;
    this.secrets = secretForms(options.auth);
  }

  /**
   * Removes this cluster's credentials from text about to leave the client (every error it throws,
   * and a response body before a hint of it is cut out): servers and proxies may echo the
   * Authorization header or the password they were given.
   */
  private redact(text: string): string {
    let result = text;
    for (const secret of this.secrets) result = result.split(secret).join('[redacted]');
    return result;
  }

  /** Origins of the seeds, for logs and /status. */
  get seedOrigins(): string[] {
    return this.options.seeds.map((seed) => seed.origin);
  }

  async get<T = unknown>(
    path: string,
    signal: AbortSignal,
    read?: () => BodyReader<T>,
  ): Promise<EsResponse<T>> {
    const attempts: Attempt[] = [];
    let answered = false;
    const count = this.options.seeds.length;
    const start = this.preferred;
    for (let i = 0; i < count; i++) {
      const index = (start + i) % count;
      const seed = this.options.seeds[index]!;
      const url = displayUrl(seed, path);
      if (signal.aborted) {
        attempts.push({ url, reason: `not tried: ${abortReason(signal)}` });
        break;
      }
      const began = performance.now();
      try {
        const reader = (read ?? wholeJson)() as BodyReader<T>;
        const body = await this.attempt(seed, path, signal, reader);
        this.preferred = index;
        const durationMs = performance.now() - began;
        this.options.log?.trace(
          { url, duration_ms: Math.round(durationMs) },
          `GET ${url}: ${durationMs.toFixed(1)} ms`,
        );
        return { body, url, durationMs };
      } catch (error) {
        const failure =
          error instanceof AttemptFailure ? error : new AttemptFailure(describeError(error), true, false);
        const reason = this.redact(failure.message);
        const durationMs = performance.now() - began;
        this.options.log?.trace(
          { url, duration_ms: Math.round(durationMs), reason },
          `GET ${url}: failed after ${durationMs.toFixed(1)} ms: ${reason}`,
        );
        attempts.push({ url, reason });
        answered ||= failure.answered;
        if (!failure.tryNextSeed) break;
        // The next cycle starts with the seed after the one that failed.
        if (this.preferred === index) this.preferred = (index + 1) % count;
      }
    }
    throw new EsRequestError(path, attempts, answered);
  }

  /** One request, aborted by the cycle's signal or its own timeout, whichever fires first. */
  private attempt<T>(seed: URL, path: string, cycleSignal: AbortSignal, reader: BodyReader<T>): Promise<T> {
    const signal = AbortSignal.any([cycleSignal, AbortSignal.timeout(this.options.requestTimeoutMs)]);
    return this.exchange(seed, path, signal, reader, () => {
      if (cycleSignal.aborted) return new AttemptFailure(abortReason(cycleSignal), false, false);
      if (signal.aborted)
        return new AttemptFailure(`timed out after ${this.options.requestTimeoutMs} ms`, true, false);
      return undefined;
    });
  }

  /** Sends the request and reads the answer; `reasonIfAborted` says why, once `signal` fired. */
  private async exchange<T>(
    seed: URL,
    path: string,
    signal: AbortSignal,
    reader: BodyReader<T>,
    reasonIfAborted: () => AttemptFailure | undefined,
  ): Promise<T> {
    let response: Dispatcher.ResponseData;
    try {
      response = await this.agent.request({
        origin: seed.origin,
        path: joinPath(seed.pathname, path),
        method: 'GET',
        headers: this.headers,
        signal,
      });
    } catch (error) {
      throw reasonIfAborted() ?? new AttemptFailure(describeError(error), true, false);
    }
    const limit = this.options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      response.body.destroy();
      throw new AttemptFailure(`response of ${declared} bytes exceeds the ${limit}-byte limit`, false, true);
    }
    const ok = response.statusCode >= 200 && response.statusCode < 300;
    const contentType = String(response.headers['content-type'] ?? '');
    const hint = (): string => bodyHint(head, contentType, (text) => this.redact(text));
    const invalid = (error: unknown): AttemptFailure =>
      new AttemptFailure(`invalid JSON (${(error as Error).message}; ${size} bytes)`, true, true);
    // The start of the body (for hints), its size so far, and whether it is an HTML page (a proxy's).
    let head = Buffer.alloc(0);
    let size = 0;
    let html: boolean | undefined;
    try {
      for await (const chunk of bodyBytes(response)) {
        size += chunk.length;
        if (size > limit) throw new AttemptFailure(`response exceeds the ${limit}-byte limit`, false, true);
        if (head.length < HINT_BYTES)
          head = Buffer.concat([head, chunk.subarray(0, HINT_BYTES - head.length)]);
        if (!ok) continue;
        if (html === undefined) {
          const first = firstNonSpace(chunk);
          if (first !== undefined) html = first === 0x3c;
        }
        if (html) {
          if (head.length >= HINT_BYTES) break;
          continue;
        }
        try {
          reader.write(chunk);
        } catch (error) {
          throw invalid(error);
        }
      }
    } catch (error) {
      if (error instanceof AttemptFailure) throw error;
      throw (
        reasonIfAborted() ??
        new AttemptFailure(`reading the response failed: ${describeError(error)}`, true, true)
      );
    }
    if (!ok) {
      // 429 and 5xx are about this node or proxy; 4xx (401, 403, 404...) would be the same on every seed.
      const retriable = response.statusCode === 429 || response.statusCode >= 500;
      throw new AttemptFailure(
        `HTTP ${response.statusCode}${hint()}${authHint(response.statusCode, this.options.auth)}`,
        retriable,
        true,
      );
    }
    if (html) throw new AttemptFailure(`HTTP ${response.statusCode} but not JSON${hint()}`, true, true);
    try {
      return reader.end();
    } catch (error) {
      throw invalid(error);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** What to do about a 401 or 403, by whether credentials were sent: the flags that give them. */
function authHint(status: number, auth: EsAuth | undefined): string {
  if (status !== 401 && status !== 403) return '';
  if (!auth)
    return ' (the cluster wants credentials: --username with --password-env or --password-file, --api-key-env/--api-key-file, or --bearer-token-env/--bearer-token-file)';
  if (status === 401) {
    const given = { basic: 'user and password', api_key: 'API key', bearer: 'bearer token' }[auth.kind];
    return ` (the cluster refused the ${given})`;
  }
  const holder = { basic: 'user', api_key: 'API key', bearer: 'token' }[auth.kind];
  return ` (the ${holder} has too few privileges: es-collector needs the monitor cluster privilege, and monitor on the indices for index stats)`;
}

function authorization(auth: EsAuth | undefined): string | undefined {
  if (!auth) return undefined;
  switch (auth.kind) {
    case 'basic':
      return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    case 'api_key':
      return `ApiKey ${auth.apiKey}`;
    case 'bearer':
      return `Bearer ${auth.token}`;
  }
}

/**
 * The credentials as given and as they travel (`user:password`, its base64, an API key's decoded
 * `id:key`), each also JSON-escaped and URL-encoded as an echo may carry it; longest first, so a
 * longer form is replaced before a shorter one inside it.
 */
function secretForms(auth: EsAuth | undefined): string[] {
  const raw: string[] = [];
  if (auth?.kind === 'basic') {
    const pair = `${auth.username}:${auth.password}`;
    raw.push(auth.password, pair, Buffer.from(pair).toString('base64'));
  } else if (auth?.kind === 'api_key') {
    raw.push(auth.apiKey);
    const decoded = Buffer.from(auth.apiKey, 'base64').toString('utf8');
    const key = /^[^:]+:(.+)$/.exec(decoded)?.[1];
    if (key !== undefined && Buffer.from(decoded).toString('base64') === auth.apiKey) raw.push(decoded, key);
  } else if (auth?.kind === 'bearer') {
    raw.push(auth.token);
  }
  const forms = raw.flatMap((secret) => [
    secret,
    JSON.stringify(secret).slice(1, -1),
    encodeURIComponent(secret),
  ]);
  return [...new Set(forms)].filter((form) => form !== '').sort((a, b) => b.length - a.length);
}

/** What ended a request on the cycle's signal: the agent stopping, or the cycle's deadline. */
function abortReason(cycleSignal: AbortSignal): string {
  return abortedForShutdown(cycleSignal) ? 'agent stopping' : 'cycle deadline reached';
}

function joinPath(base: string, path: string): string {
  return base === '/' || base === '' ? path : `${base.replace(/\/+$/, '')}${path}`;
}

/** A URL fit for logs: origin and path only (the seed's credentials were removed already). */
export function displayUrl(seed: URL, path: string): string {
  return `${seed.origin}${joinPath(seed.pathname, path)}`;
}

/** The body's bytes as they arrive, gunzipped when the server compressed them. */
function bodyBytes(response: Dispatcher.ResponseData): AsyncIterable<Buffer> {
  if (!String(response.headers['content-encoding'] ?? '').includes('gzip')) return response.body;
  // An error on either side (a cut connection, a corrupt stream) ends the iteration with it.
  return pipeline(response.body as unknown as Readable, createGunzip({ chunkSize: 64 * 1024 }), () => {});
}

function firstNonSpace(chunk: Uint8Array): number | undefined {
  for (const byte of chunk) if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return byte;
  return undefined;
}

/**
 * A short, single-line hint of what came back: the HTML title or the start of an ES error. `redact`
 * runs before the hint is cut, so a cut never leaves part of a secret it would have recognised.
 */
function bodyHint(raw: Buffer, contentType: string, redact: (text: string) => string): string {
  const text = redact(raw.subarray(0, 4096).toString('utf8'));
  const title = /<title>([^<]{1,120})<\/title>/i.exec(text)?.[1];
  const type = contentType.split(';')[0]?.trim();
  const snippet = (title ?? text).replace(/\s+/g, ' ').trim().slice(0, 160);
  const parts = [type, snippet].filter(Boolean);
  return parts.length > 0 ? ` (${parts.join(': ')})` : '';
}

function describeError(error: unknown): string {
  const err = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code =
    err?.code?.startsWith('UND_ERR') && err.cause?.code ? err.cause.code : (err?.code ?? err?.cause?.code);
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host name lookup failed',
    EHOSTUNREACH: 'host unreachable',
    ETIMEDOUT: 'connect timed out',
    UND_ERR_SOCKET: 'connection closed by the server',
    UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
    UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
    UND_ERR_BODY_TIMEOUT: 'response body stalled',
    UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'truncated response (content-length mismatch)',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate (give --ca, or --insecure)',
    SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in chain (give --ca, or --insecure)',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate not verifiable (give --ca)',
    ERR_TLS_CERT_ALTNAME_INVALID: 'certificate does not match the host name',
    // What OpenSSL reports when the answer to its hello is not TLS at all.
    ERR_SSL_WRONG_VERSION_NUMBER: 'the server speaks plain HTTP; use http:// in --es',
    Z_BUF_ERROR: 'truncated gzip body',
    Z_DATA_ERROR: 'corrupt gzip body',
  };
  const text = code ? (known[code] ?? code) : undefined;
  const message = err?.message ?? String(error);
  return text ? `${text} (${code})` : message;
}
