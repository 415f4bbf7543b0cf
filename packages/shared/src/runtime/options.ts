import { hostname } from 'node:os';
import { splitGlobs } from '../carbon/name-filter.js';
import { tagProblem } from '../carbon/tags.js';
import { type ConfigOf, option as opt } from './option-spec.js';
import { InvalidValue, parsers, typed } from './parsers.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const tags = parsers.keyValues();

const globs = typed(
  'glob',
  (raw: unknown): string[] => {
    const parsed = splitGlobs(raw);
    if (!Array.isArray(parsed)) throw new InvalidValue(parsed.problem);
    return parsed;
  },
  true,
);

/** The series budgets every agent offers: `full` sends everything, `essential` what the dashboards read. */
export const SERIES_PROFILES = ['full', 'essential'] as const;
export type SeriesProfile = (typeof SERIES_PROFILES)[number];

/** Options every agent has; an agent adds its own beside them. */
export const commonOptions = {
  carbon: opt({
    group: 'sending',
    describe: 'carbon line receiver `host:port`; repeatable for several destinations',
    parse: parsers.list(parsers.hostPort(2003)),
    default: '127.0.0.1:2003',
    array: true,
  }),
  carbonMode: opt({
    group: 'sending',
    describe:
      '`replicate`: every line to each destination (a queue each); `failover`: the first connected destination in the order given',
    parse: parsers.oneOf(['replicate', 'failover'] as const),
    default: 'replicate',
  }),
  carbonProtocol: opt({
    group: 'sending',
    describe:
      '`tcp` (queued, nothing lost within the bound) or `udp` (fire and forget, datagrams ≤ 1400 bytes)',
    parse: parsers.oneOf(['tcp', 'udp'] as const),
    default: 'tcp',
  }),
  output: opt({
    group: 'sending',
    describe:
      "`stdout` prints the lines instead of sending them (es2graphite's `--stdout`); `none` sends nothing: a pure Prometheus exporter (with `--metrics`)",
    parse: parsers.oneOf(['carbon', 'stdout', 'none'] as const),
    default: 'carbon',
  }),
  prefix: opt({
    group: 'sending',
    describe: 'first segments of every name',
    parse: parsers.string(),
    defaultText: 'per agent (`es`, `containers`)',
  }),
  tag: opt({
    group: 'sending',
    describe: 'Graphite 1.1 tagged series: `name;k=v` on every line (`k=v`, repeatable)',
    parse: typed('key=value', (raw) => {
      const parsed = tags(raw);
      for (const [name, value] of Object.entries(parsed)) {
        const problem = tagProblem(name, value);
        if (problem) throw new InvalidValue(`valid tags: ${problem}`);
      }
      return parsed;
    }),
    default: {},
    array: true,
  }),
  include: opt({
    group: 'sending',
    describe:
      'send only series whose final name (prefix included, tags not) matches one of these globs, besides those of the profile (repeatable; Graphite globs: `*` within a segment, `{a,b}`, `[0-9]`, and `**` any number of segments). Decided before a line is written, so a left-out series costs no line.',
    parse: globs,
    default: [],
    array: true,
    perCluster: true,
  }),
  exclude: opt({
    group: 'sending',
    describe:
      'never send series whose final name matches one of these globs, whatever includes them (repeatable)',
    parse: globs,
    default: [],
    array: true,
    perCluster: true,
  }),
  profile: opt({
    group: 'sending',
    describe:
      '`full`: every series; `essential`: only those the shipped Grafana dashboards read (see "Series budget" below), plus `--include`',
    parse: parsers.oneOf(SERIES_PROFILES),
    default: 'full',
    perCluster: true,
  }),
  interval: opt({
    describe: 'collection interval; timestamps are aligned down to it',
    parse: parsers.duration({ minMs: 1000 }),
    default: '10s',
    perCluster: true,
  }),
  once: opt({
    describe: 'one cycle, flush, exit 0 (1 if the cycle failed or carbon could not take the lines)',
    parse: parsers.boolean(),
    default: false,
    boolean: true,
  }),
  instance: opt({
    group: 'sending',
    describe: "this agent's name in its self-metrics",
    parse: parsers.string({ nonEmpty: true }),
    default: () => hostname(),
    defaultText: 'the hostname',
    env: ['HOST'],
  }),
  httpPort: opt({
    group: 'endpoint',
    describe: 'port of `/healthz`, `/status` and `/metrics`; 0 picks a free port; unset: no endpoint',
    parse: parsers.integer({ min: 0, max: 65535 }),
    env: ['PORT0'],
  }),
  metrics: opt({
    group: 'endpoint',
    describe:
      "serve the last cycle's series at `/metrics` for Prometheus (needs `--http-port`); off: the cycle's samples are let go once sent, as Graphite alone needs",
    parse: parsers.boolean(),
    default: false,
    boolean: true,
  }),
  httpHost: opt({
    group: 'endpoint',
    describe: 'address of the endpoint',
    parse: parsers.string({ nonEmpty: true }),
    default: '0.0.0.0',
  }),
  queueSize: opt({
    group: 'sending',
    describe:
      'bound of each send queue in memory; when full (and without a spool) the oldest lines are dropped and counted',
    parse: parsers.bytes({ min: 1024 }),
    default: '64MiB',
  }),
  spoolDir: opt({
    group: 'sending',
    describe: 'directory of the disk spool behind the queues (see "The spool" below); unset: memory only',
    defaultText: 'none',
    parse: typed('path', parsers.string({ nonEmpty: true })),
  }),
  spoolSize: opt({
    group: 'sending',
    describe: "bound of each destination's spool; past it the oldest segments are dropped and counted",
    parse: parsers.bytes({ min: 64 * 1024 }),
    default: '1GiB',
  }),
  spoolFsync: opt({
    group: 'sending',
    describe: 'how often spooled lines are made durable (`fdatasync`): what a host crash can lose',
    parse: parsers.duration({ minMs: 10 }),
    default: '1s',
  }),
  connectTimeout: opt({
    group: 'sending',
    describe: 'carbon connect timeout',
    parse: parsers.duration({ minMs: 100 }),
    default: '5s',
  }),
  shutdownGrace: opt({
    group: 'sending',
    describe: 'how long SIGTERM/SIGINT (and `--once`) wait for the queue to drain',
    parse: parsers.duration({ minMs: 0 }),
    default: '10s',
  }),
  selfMetrics: opt({
    group: 'sending',
    describe:
      "send the agent's own metrics (under `<prefix>.<agent>.<instance>.self`; container-collector `--naming pyadvisor`: `containers.<agent>.<instance>.self`)",
    parse: parsers.boolean(),
    default: true,
  }),
  logLevel: opt({
    group: 'logging',
    describe: '`fatal` … `trace` (`trace`: every HTTP request with its duration), `silent`',
    parse: parsers.oneOf(LOG_LEVELS),
    default: 'info',
  }),
  logFormat: opt({
    group: 'logging',
    describe:
      '`text`: one readable line per event with an ISO time; `json`: one JSON object per line (`time` in ISO 8601), for log shippers',
    parse: parsers.oneOf(['text', 'json'] as const),
    defaultText: '`text` on a terminal, else `json`',
  }),
};

/** The common options as the agent sees them; `prefix` is filled in from the agent's default when unset. */
export type CommonConfig = ConfigOf<typeof commonOptions>;
