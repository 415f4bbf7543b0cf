import { hostname } from 'node:os';
import { InvalidValue, option as opt, parsers, typed } from '@stoker/shared';
import { NAMING_SCHEMES } from './naming/index.js';

const dockerAddress = typed('address', (raw: unknown): string => {
  const value = parsers.string({ nonEmpty: true })(raw).trim();
  if (/^(unix:\/\/)?\//.test(value) || /^(tcp|http|https):\/\/[^/]+/.test(value)) return value;
  throw new InvalidValue('unix:///path/docker.sock, /path/docker.sock or tcp://host:port');
});

const absolutePath = typed('path', (raw: unknown): string => {
  const value = parsers.string({ nonEmpty: true })(raw);
  if (!value.startsWith('/')) throw new InvalidValue('an absolute path');
  return value.replace(/\/+$/, '') || '/';
});

/** Container-specific options; the common ones (carbon, prefix, interval, once, ...) come from shared. */
export const containerOptions = {
  docker: opt({
    describe: 'Docker API: `unix:///path`, `/path` or `tcp://host:port` (only GET requests are made)',
    parse: dockerAddress,
    default: 'unix:///var/run/docker.sock',
    env: ['DOCKER_HOST'],
  }),
  hostName: opt({
    describe: '`<host>` segment of every name (Marathon sets `$HOST`)',
    parse: parsers.string({ nonEmpty: true }),
    default: () => hostname(),
    defaultText: 'the hostname',
    env: ['HOST'],
  }),
  naming: opt({
    describe: `naming scheme (see below): \`${Object.keys(NAMING_SCHEMES).join('`, `')}\`; \`pyadvisor\` writes pyadvisor's paths under the prefix \`pycadvisor\` (self-metrics then under \`containers\`)`,
    parse: parsers.keyOf(NAMING_SCHEMES),
    default: 'default',
  }),
  cgroupRoot: opt({
    describe:
      "where the host's cgroup hierarchies are mounted (`/host/sys/fs/cgroup` in the image); a directory that does not exist stops the start (exit 2)",
    parse: absolutePath,
    default: '/sys/fs/cgroup',
  }),
  procRoot: opt({
    describe:
      "where the host's `/proc` is mounted (`/host/proc` in the image); a directory that does not exist stops the start (exit 2)",
    parse: absolutePath,
    default: '/proc',
  }),
  groupLabel: opt({
    describe:
      'Docker label, env variable or `MARATHON_APP_LABEL_<KEY>` whose value groups containers in names (repeatable). Nothing else from labels or env ever becomes a series.',
    parse: parsers.list(typed('name', parsers.string({ nonEmpty: true }))),
    default: [] as string[],
    array: true,
  }),
  hostMetrics: opt({
    describe: 'also send the host itself (CPU, memory, swap, load, disks, network)',
    parse: parsers.boolean(),
    default: true,
    boolean: true,
  }),
  readConcurrency: opt({
    describe:
      "containers read at once through Docker's stats API when their cgroup files are unreadable (the cgroup and proc files themselves are read synchronously: kernel memory, microseconds each)",
    parse: parsers.integer({ min: 1, max: 256 }),
    default: 16,
  }),
  dockerTimeout: opt({
    describe: 'timeout of one Docker API request (list, inspect, fallback stats)',
    parse: parsers.duration({ minMs: 100 }),
    default: '5s',
  }),
};
