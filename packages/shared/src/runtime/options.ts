import { hostname } from 'node:os';
import { tagProblem } from '../carbon/tags.js';
import { type ConfigOf, InvalidValue, option as opt, parsers } from './config.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const tags = parsers.keyValues();

/** Options every agent has; an agent adds its own beside them. */
export const commonOptions = {
  carbon: opt({
    describe: 'Carbon destination host:port (repeatable)',
    parse: parsers.list(parsers.hostPort(2003)),
    default: [{ host: '127.0.0.1', port: 2003 }],
    defaultText: '127.0.0.1:2003',
    array: true,
  }),
  carbonMode: opt({
    describe: 'With several destinations: replicate (every line to each) or failover (first healthy one)',
    parse: parsers.oneOf(['replicate', 'failover'] as const),
    default: 'replicate' as const,
  }),
  carbonProtocol: opt({
    describe: 'tcp (persistent connection, nothing lost while queued) or udp (fire and forget)',
    parse: parsers.oneOf(['tcp', 'udp'] as const),
    default: 'tcp' as const,
  }),
  output: opt({
    describe: 'carbon sends the lines; stdout prints them instead',
    parse: parsers.oneOf(['carbon', 'stdout'] as const),
    default: 'carbon' as const,
  }),
  prefix: opt({
    describe: 'First segments of every metric name (default depends on the agent)',
    parse: parsers.string(),
  }),
  tag: opt({
    describe: 'Graphite 1.1 tag k=v added to every series (repeatable); switches to tagged names',
    parse: (raw) => {
      const parsed = tags(raw);
      for (const [name, value] of Object.entries(parsed)) {
        const problem = tagProblem(name, value);
        if (problem) throw new InvalidValue(`valid tags: ${problem}`);
      }
      return parsed;
    },
    default: {} as Record<string, string>,
    defaultText: 'none',
    array: true,
  }),
  interval: opt({
    describe: 'Collection interval',
    parse: parsers.duration({ minMs: 1000 }),
    default: 10_000,
  }),
  once: opt({
    describe: 'Collect once, flush, and exit (0 when the cycle succeeded)',
    parse: parsers.boolean(),
    default: false,
    boolean: true,
  }),
  instance: opt({
    describe: "This agent's name in its self-metrics",
    parse: parsers.string({ nonEmpty: true }),
    default: () => hostname(),
    defaultText: 'the hostname',
    env: ['HOST'],
  }),
  httpPort: opt({
    describe: 'Port of the /healthz and /status endpoint (0: any free port; unset: no endpoint)',
    parse: parsers.integer({ min: 0, max: 65535 }),
    env: ['PORT0'],
  }),
  httpHost: opt({
    describe: 'Address the HTTP endpoint listens on',
    parse: parsers.string({ nonEmpty: true }),
    default: '0.0.0.0',
  }),
  queueSize: opt({
    describe: 'Bound of the send queue per destination; when full the oldest lines are dropped',
    parse: parsers.bytes({ min: 1024 }),
    default: 64 * 1024 * 1024,
  }),
  spoolDir: opt({
    describe:
      'Directory of the disk spool behind each send queue (carbon away or queue full: lines go to disk, sent oldest first when carbon is back, replayed after a restart); unset: memory only',
    parse: parsers.string({ nonEmpty: true }),
  }),
  spoolSize: opt({
    describe: 'Bound of the spool per destination; past it the oldest segments are dropped and counted',
    parse: parsers.bytes({ min: 64 * 1024 }),
    default: 1024 * 1024 * 1024,
  }),
  spoolFsync: opt({
    describe: 'How often spooled lines are made durable (fdatasync): the most a crash or kill -9 can lose',
    parse: parsers.duration({ minMs: 10 }),
    default: 1000,
  }),
  connectTimeout: opt({
    describe: 'Carbon connect timeout',
    parse: parsers.duration({ minMs: 100 }),
    default: 5000,
  }),
  shutdownGrace: opt({
    describe: 'How long SIGTERM/SIGINT (and --once) wait for the queue to flush',
    parse: parsers.duration({ minMs: 0 }),
    default: 10_000,
  }),
  selfMetrics: opt({
    describe:
      "Send the agent's own metrics (cycle durations, queue, drops) under <prefix>.<agent>.<instance>.self",
    parse: parsers.boolean(),
    default: true,
  }),
  logLevel: opt({ describe: 'Log level', parse: parsers.oneOf(LOG_LEVELS), default: 'info' as const }),
};

/** The common options as the agent sees them; `prefix` is filled in from the agent's default when unset. */
export type CommonConfig = ConfigOf<typeof commonOptions>;
