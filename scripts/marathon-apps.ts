/**
 * One Marathon app per Elasticsearch cluster for es-collector, from a list of clusters.
 *
 *   node --conditions=stoker-source --import tsx scripts/marathon-apps.ts clusters.yaml [options]
 *
 * Prints a Marathon group (`{"id": "/monitoring/es-collector", "apps": [...]}`) for
 * `PUT /v2/groups/...`, or with `--out DIR` writes one app per file (`DIR/<cluster>.json`) for
 * `POST /v2/apps`. The input (YAML or JSON) is either a list of clusters or a mapping with `clusters`
 * and defaults for every app; see docker/marathon/clusters.example.yaml and docker/marathon/README.md.
 *
 * Exit codes: 0 done; 2 bad input or flags (every problem is printed on its own line, starting with
 * the key it is about, e.g. `clusters[1].seeds[0]: ...`).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { esOptions, type NamingSchemeName } from '@stoker/es-collector';
import { type CommonConfig, commonOptions, InvalidValue, type Parser, parsers } from '@stoker/shared';
import { parse as parseYaml } from 'yaml';

// ---- what the generated apps look like ------------------------------------------------------------

/** The parts of Marathon's AppDefinition this generator writes. */
export interface MarathonApp {
  id: string;
  instances: number;
  cpus: number;
  mem: number;
  container: { type: 'DOCKER'; docker: { image: string; forcePullImage: boolean } };
  networks: Array<{ mode: 'host' }>;
  portDefinitions: Array<{ port: number; name: string; protocol: 'tcp' }>;
  env: Record<string, string>;
  healthChecks: Array<{
    protocol: 'MESOS_HTTP';
    path: string;
    portIndex: number;
    gracePeriodSeconds: number;
    intervalSeconds: number;
    timeoutSeconds: number;
    maxConsecutiveFailures: number;
    delaySeconds: number;
  }>;
  upgradeStrategy: { minimumHealthCapacity: number; maximumOverCapacity: number };
  unreachableStrategy: { inactiveAfterSeconds: number; expungeAfterSeconds: number };
  taskKillGracePeriodSeconds: number;
  labels: Record<string, string>;
}

export interface MarathonGroup {
  id: string;
  apps: MarathonApp[];
}

/** Defaults shared by every app; the input file's top level and the flags override them. */
export interface AppDefaults {
  group: string;
  image: string;
  carbon: string[];
  carbonMode?: CommonConfig['carbonMode'];
  interval: string;
  prefix?: string;
  naming?: NamingSchemeName;
  cpus: number;
  memMib: number;
}

export interface ClusterSpec {
  name: string;
  seeds: string[];
  username?: string;
  passwordEnv?: string;
  apiKeyEnv?: string;
  bearerTokenEnv?: string;
  naming?: NamingSchemeName;
  interval?: string;
  cpus?: number;
  memMib?: number;
}

export const DEFAULTS: Omit<AppDefaults, 'carbon'> = {
  group: '/monitoring/es-collector',
  image: 'stoker/es-collector:0.1.0',
  interval: String(commonOptions.interval.default),
  // Measured polling a 200-node, 1000-index cluster every 10 s (docker/marathon/README.md).
  cpus: 0.25,
  memMib: 512,
};

/** Share of the container's memory given to V8's old space; the rest is code, buffers and sockets. */
const HEAP_SHARE = 0.75;
/** Mesos-DNS turns app ids into DNS labels, which end at 63 characters. */
const MAX_SEGMENT_LENGTH = 63;

// ---- names ------------------------------------------------------------------------------------

const SEGMENT = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/**
 * A Marathon id segment for any cluster name: lower case, accents dropped (`Café` → `cafe`), every
 * run of other characters one `-`, no dash at either end. A name with nothing usable left (`日志`)
 * becomes `cluster-<hash>`; a name too long for a DNS label is cut and keeps a hash of the whole.
 */
export function clusterSegment(name: string): string {
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  const slug = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug === '') return `cluster-${hash}`;
  if (slug.length <= MAX_SEGMENT_LENGTH) return slug;
  return `${slug.slice(0, MAX_SEGMENT_LENGTH - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/** An absolute Marathon group id: `/a/b-c`, segments as in SEGMENT. */
export function isGroupId(value: string): boolean {
  return (
    value.startsWith('/') &&
    value
      .slice(1)
      .split('/')
      .every((segment) => SEGMENT.test(segment))
  );
}

// ---- building apps ----------------------------------------------------------------------------

export function esCollectorApp(cluster: ClusterSpec, defaults: AppDefaults): MarathonApp {
  const memMib = cluster.memMib ?? defaults.memMib;
  const segment = clusterSegment(cluster.name);
  const env: Record<string, string> = {
    STOKER_CLUSTER: cluster.name,
    // Self-metrics go to <prefix>.es-collector.<instance>.self; the default instance is $HOST, which
    // two collectors placed on one agent would share. The cluster follows the task from host to host.
    STOKER_INSTANCE: segment,
    // Repeatable options are comma separated in the environment.
    STOKER_ES: cluster.seeds.join(','),
    STOKER_CARBON: defaults.carbon.join(','),
  };
  if (defaults.carbonMode) env.STOKER_CARBON_MODE = defaults.carbonMode;
  env.STOKER_INTERVAL = cluster.interval ?? defaults.interval;
  // In the container's own file system: it keeps what carbon misses through an outage of any length
  // (up to --spool-size, 1 GiB), but a relaunch, on this host or another, starts a new container
  // without it. A host path would pin nothing either: the task may land anywhere.
  env.STOKER_SPOOL_DIR = '/tmp/stoker-spool';
  if (defaults.prefix !== undefined) env.STOKER_PREFIX = defaults.prefix;
  const naming = cluster.naming ?? defaults.naming;
  if (naming) env.STOKER_NAMING = naming;
  // Secrets never appear here: only the NAME of the variable the platform injects the secret into.
  if (cluster.username) env.STOKER_USERNAME = cluster.username;
  if (cluster.passwordEnv) env.STOKER_PASSWORD_ENV = cluster.passwordEnv;
  if (cluster.apiKeyEnv) env.STOKER_API_KEY_ENV = cluster.apiKeyEnv;
  if (cluster.bearerTokenEnv) env.STOKER_BEARER_TOKEN_ENV = cluster.bearerTokenEnv;
  // V8 would size its heap from the host's memory and let the kernel OOM-kill the task first.
  env.NODE_OPTIONS = `--max-old-space-size=${Math.floor(memMib * HEAP_SHARE)}`;
  // STOKER_HTTP_PORT is deliberately unset: the endpoint listens on $PORT0, the health check's port.

  return {
    id: `${defaults.group}/${segment}`,
    // One collector per cluster: two would poll ES twice and write every series twice.
    instances: 1,
    cpus: cluster.cpus ?? defaults.cpus,
    mem: memMib,
    container: { type: 'DOCKER', docker: { image: defaults.image, forcePullImage: false } },
    // Host networking: the collector only dials out; $PORT0 is a port of the agent, so the endpoint,
    // Marathon's health check and `curl $HOST:$PORT0/status` all agree without port mapping.
    networks: [{ mode: 'host' }],
    portDefinitions: [{ port: 0, name: 'http', protocol: 'tcp' }],
    env,
    healthChecks: [
      {
        protocol: 'MESOS_HTTP',
        path: '/healthz',
        portIndex: 0,
        gracePeriodSeconds: 60,
        intervalSeconds: 30,
        timeoutSeconds: 5,
        maxConsecutiveFailures: 3,
        delaySeconds: 15,
      },
    ],
    // Kill the old task before starting the new one: never two collectors of one cluster.
    upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 },
    // A short network partition of the agent does not start a second collector beside the first.
    unreachableStrategy: { inactiveAfterSeconds: 300, expungeAfterSeconds: 600 },
    // The agent flushes its queue for up to 10 s (--shutdown-grace) after SIGTERM.
    taskKillGracePeriodSeconds: 15,
    labels: { 'stoker.agent': 'es-collector', 'stoker.cluster': cluster.name },
  };
}

export function esCollectorGroup(clusters: ClusterSpec[], defaults: AppDefaults): MarathonGroup {
  return { id: defaults.group, apps: clusters.map((cluster) => esCollectorApp(cluster, defaults)) };
}

// ---- reading and checking the input -----------------------------------------------------------

/** Every problem with the input, each naming its key. */
export class InputError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'InputError';
  }
}

const TOP_KEYS = [
  'clusters',
  'group',
  'image',
  'carbon',
  'carbon-mode',
  'interval',
  'prefix',
  'naming',
  'cpus',
  'mem',
] as const;
const CLUSTER_KEYS = [
  'name',
  'seeds',
  'es',
  'username',
  'password-env',
  'api-key-env',
  'bearer-token-env',
  'naming',
  'interval',
  'cpus',
  'mem',
] as const;
const NON_EMPTY = parsers.string({ nonEmpty: true });
const SEED = parsers.url();
const CARBON = parsers.hostPort(2003);

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks values one key at a time and keeps every problem, so one run shows them all. */
class Checker {
  readonly problems: string[] = [];

  fail(key: string, given: unknown, expected: string): undefined {
    this.problems.push(
      given === undefined
        ? `${key}: missing, expected ${expected}`
        : `${key}: got ${show(given)}, expected ${expected}`,
    );
    return undefined;
  }

  unknownKeys(key: string, value: Record<string, unknown>, known: readonly string[]): void {
    for (const name of Object.keys(value)) {
      if (!known.includes(name)) {
        this.problems.push(`${key ? `${key}.` : ''}${name}: unknown key (known keys: ${known.join(', ')})`);
      }
    }
  }

  /** `value` as the agent's own parser for it takes it, or undefined and a problem showing `shown`. */
  parse<T>(key: string, value: unknown, parse: Parser<T>, expected?: string, shown = value): T | undefined {
    try {
      return parse(value);
    } catch (error) {
      if (!(error instanceof InvalidValue)) throw error;
      return this.fail(key, shown, expected ?? error.expected);
    }
  }

  text(key: string, value: unknown): string | undefined {
    const text = this.parse(key, value, NON_EMPTY);
    // Names land in env values and labels; a newline there is a mistake, not a name.
    if (text !== undefined && /\p{Cc}/u.test(text))
      return this.fail(key, value, 'a non-empty string without control characters');
    return text;
  }

  envName(key: string, value: unknown): string | undefined {
    return this.parse(
      key,
      value,
      esOptions.passwordEnv.parse,
      'the NAME of an environment variable, not a secret',
    );
  }

  /** A collection interval the agents accept, as written (it goes into STOKER_INTERVAL). */
  duration(key: string, value: unknown): string | undefined {
    return this.parse(key, value, commonOptions.interval.parse) === undefined
      ? undefined
      : String(value).trim();
  }

  positive(key: string, value: unknown, min: number, what: string): number | undefined {
    if (typeof value === 'number' && Number.isFinite(value) && value >= min) return value;
    return this.fail(key, value, what);
  }

  list(key: string, value: unknown): unknown[] | undefined {
    if (typeof value === 'string') return [value];
    if (Array.isArray(value) && value.length > 0) return value;
    return this.fail(key, value, 'a non-empty list');
  }

  seed(key: string, value: unknown): string | undefined {
    // Whatever is wrong with it, a seed is never echoed with what looks like a password in it.
    const shown = typeof value === 'string' ? value.replace(/^([^@/]*\/\/)?[^@/]*@/, '$1***@') : value;
    const url = this.parse(key, value, SEED, undefined, shown);
    if (url === undefined) return undefined;
    if (url.username || url.password)
      return this.fail(
        key,
        shown,
        'a URL without credentials (they would be stored in the Marathon app; use username and password-env)',
      );
    // STOKER_ES is comma separated.
    if (/[,\s]/.test(String(value))) return this.fail(key, shown, 'a URL without commas or spaces');
    return String(value);
  }

  carbon(key: string, value: unknown): string | undefined {
    return this.parse(key, value, CARBON) && String(value).trim();
  }
}

export interface GeneratorInput {
  defaults: AppDefaults;
  clusters: ClusterSpec[];
}

/** Flag values, by the top-level key each overrides (`carbon-mode`); they win over the input file. */
export type Overrides = {
  [key in 'group' | 'image' | 'carbon' | 'carbon-mode' | 'interval' | 'prefix']?: string | string[];
};

/** Validates the parsed input file (and flags). Throws InputError listing every problem. */
export function parseGeneratorInput(data: unknown, overrides: Overrides = {}): GeneratorInput {
  const check = new Checker();
  let top: Record<string, unknown>;
  if (Array.isArray(data)) top = { clusters: data };
  else if (isMapping(data)) top = data;
  else {
    throw new InputError([
      `(input): got ${show(data)}, expected a list of clusters or a mapping with a "clusters" list`,
    ]);
  }
  check.unknownKeys('', top, TOP_KEYS);

  const pick = (key: keyof Overrides): [string, unknown] =>
    overrides[key] !== undefined ? [`--${key}`, overrides[key]] : [key, top[key]];

  const [groupKey, groupValue] = pick('group');
  let group = DEFAULTS.group;
  if (groupValue !== undefined) {
    if (typeof groupValue === 'string' && isGroupId(groupValue.replace(/\/+$/, ''))) {
      group = groupValue.replace(/\/+$/, '');
    } else {
      check.fail(
        groupKey,
        groupValue,
        'an absolute Marathon group id like /monitoring/es-collector (segments of a-z, 0-9 and -, no dash at either end)',
      );
    }
  }
  const [imageKey, imageValue] = pick('image');
  let image = DEFAULTS.image;
  if (imageValue !== undefined) {
    if (typeof imageValue === 'string' && /^\S+$/.test(imageValue)) image = imageValue;
    else check.fail(imageKey, imageValue, 'a Docker image reference like stoker/es-collector:0.1.0');
  }
  const [carbonKey, carbonValue] = pick('carbon');
  const carbon: string[] = [];
  if (carbonValue === undefined) {
    check.problems.push('carbon: missing: give --carbon host:port (repeatable) or a top-level "carbon" list');
  } else {
    const items = check.list(carbonKey, carbonValue) ?? [];
    items.forEach((item, index) => {
      const parsed = check.carbon(`${carbonKey}[${index}]`, item);
      if (parsed) carbon.push(parsed);
    });
  }
  const defaults: AppDefaults = { ...DEFAULTS, group, image, carbon };
  const [modeKey, modeValue] = pick('carbon-mode');
  if (modeValue !== undefined)
    defaults.carbonMode = check.parse(modeKey, modeValue, commonOptions.carbonMode.parse);
  const [intervalKey, intervalValue] = pick('interval');
  if (intervalValue !== undefined) defaults.interval = check.duration(intervalKey, intervalValue) ?? '';
  const [prefixKey, prefixValue] = pick('prefix');
  if (prefixValue !== undefined) {
    if (typeof prefixValue === 'string' && /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(prefixValue))
      defaults.prefix = prefixValue;
    else check.fail(prefixKey, prefixValue, 'metric name segments like es or metrics.es');
  }
  if (top.naming !== undefined) defaults.naming = check.parse('naming', top.naming, esOptions.naming.parse);
  if (top.cpus !== undefined)
    defaults.cpus = check.positive('cpus', top.cpus, 0.01, 'a number of CPUs, at least 0.01') ?? 0;
  if (top.mem !== undefined)
    defaults.memMib = check.positive('mem', top.mem, 128, 'MiB of memory, at least 128') ?? 0;

  const clusters: ClusterSpec[] = [];
  if (!Array.isArray(top.clusters) || top.clusters.length === 0) {
    check.fail('clusters', top.clusters, 'a non-empty list of clusters ({name, seeds, ...})');
  } else {
    // Two names that give one app id would make Marathon replace one collector with the other.
    const idsTaken = new Map<string, string>();
    top.clusters.forEach((entry, index) => {
      const cluster = parseCluster(check, `clusters[${index}]`, entry);
      if (!cluster) return;
      const segment = clusterSegment(cluster.name);
      const earlier = idsTaken.get(segment);
      if (earlier !== undefined) {
        check.problems.push(
          `clusters[${index}].name: ${show(cluster.name)} gives the app id ${group}/${segment}, already used by ${show(earlier)}; rename one of them`,
        );
      }
      idsTaken.set(segment, cluster.name);
      clusters.push(cluster);
    });
  }

  if (check.problems.length > 0) throw new InputError(check.problems);
  return { defaults, clusters };
}

function parseCluster(check: Checker, key: string, entry: unknown): ClusterSpec | undefined {
  if (!isMapping(entry)) return check.fail(key, entry, 'a mapping like {name: logs, seeds: [http://...]}');
  check.unknownKeys(key, entry, CLUSTER_KEYS);
  const name =
    entry.name === undefined
      ? check.fail(`${key}.name`, undefined, 'the cluster name')
      : check.text(`${key}.name`, entry.name);

  if (entry.seeds !== undefined && entry.es !== undefined)
    check.problems.push(`${key}.es: give the seed URLs once, as seeds (es is the same key)`);
  const seedsKey = entry.seeds === undefined && entry.es !== undefined ? `${key}.es` : `${key}.seeds`;
  const seedsValue = entry.seeds ?? entry.es;
  const seeds: string[] = [];
  if (seedsValue === undefined)
    check.fail(seedsKey, undefined, "a list of the cluster's HTTP URLs (masters, HAProxy)");
  else {
    (check.list(seedsKey, seedsValue) ?? []).forEach((item, index) => {
      const seed = check.seed(`${seedsKey}[${index}]`, item);
      if (seed) seeds.push(seed);
    });
  }
  if (name === undefined || seeds.length === 0) return undefined;

  const cluster: ClusterSpec = { name, seeds };
  if (entry.username !== undefined) cluster.username = check.text(`${key}.username`, entry.username);
  const secrets = [
    ['password-env', 'passwordEnv'],
    ['api-key-env', 'apiKeyEnv'],
    ['bearer-token-env', 'bearerTokenEnv'],
  ] as const;
  for (const [option, field] of secrets) {
    if (entry[option] !== undefined) cluster[field] = check.envName(`${key}.${option}`, entry[option]);
  }
  if (cluster.passwordEnv && !cluster.username)
    check.problems.push(`${key}.password-env: needs ${key}.username (basic auth is user + password)`);
  if (cluster.username && !cluster.passwordEnv)
    check.problems.push(
      `${key}.username: needs ${key}.password-env naming the variable that holds the password`,
    );
  if (entry.naming !== undefined)
    cluster.naming = check.parse(`${key}.naming`, entry.naming, esOptions.naming.parse);
  if (entry.interval !== undefined) cluster.interval = check.duration(`${key}.interval`, entry.interval);
  if (entry.cpus !== undefined)
    cluster.cpus = check.positive(`${key}.cpus`, entry.cpus, 0.01, 'a number of CPUs, at least 0.01');
  if (entry.mem !== undefined)
    cluster.memMib = check.positive(`${key}.mem`, entry.mem, 128, 'MiB of memory, at least 128');
  return cluster;
}

// ---- command line -----------------------------------------------------------------------------

const USAGE = `Usage: node --conditions=stoker-source --import tsx scripts/marathon-apps.ts CLUSTERS.yaml [options]

Prints one es-collector Marathon app per cluster, as a Marathon group (PUT /v2/groups/<group>).

Options (override the input file's top level):
  --carbon HOST:PORT     carbon destination, repeatable (required here or in the file)
  --carbon-mode MODE     replicate or failover
  --image IMAGE          default ${DEFAULTS.image}
  --group ID             default ${DEFAULTS.group}
  --interval DURATION    default ${DEFAULTS.interval}
  --prefix PREFIX        metric prefix (es-collector's default: es)
  --out DIR              write DIR/<cluster>.json, one app per file (POST /v2/apps), instead
  -h, --help             this text
Exit codes: 0 done, 2 bad input (each problem names its key).`;

/** Where main() writes; tests pass collectors. */
export interface GeneratorIo {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
}

export function main(argv: string[], io: GeneratorIo = { out: process.stdout, err: process.stderr }): number {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    io.err.write(`marathon-apps: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.values.help) {
    io.out.write(`${USAGE}\n`);
    return 0;
  }
  const [file, ...extra] = parsed.positionals;
  if (!file || extra.length > 0) {
    io.err.write(`marathon-apps: give exactly one input file\n\n${USAGE}\n`);
    return 2;
  }

  let data: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    data = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    io.err.write(`marathon-apps: ${file}: ${(error as Error).message.split('\n')[0]}\n`);
    return 2;
  }

  let input: GeneratorInput;
  try {
    input = parseGeneratorInput(data, parsed.values);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    io.err.write(`marathon-apps: ${file} is not valid:\n${error.problems.map((p) => `  ${p}\n`).join('')}`);
    return 2;
  }

  const group = esCollectorGroup(input.clusters, input.defaults);
  const outDir = parsed.values.out;
  if (outDir === undefined) {
    io.out.write(`${JSON.stringify(group, null, 2)}\n`);
    return 0;
  }
  mkdirSync(outDir, { recursive: true });
  for (const app of group.apps) {
    const path = join(outDir, `${app.id.split('/').pop()}.json`);
    writeFileSync(path, `${JSON.stringify(app, null, 2)}\n`);
    io.out.write(`${path}\t${app.id}\n`);
  }
  return 0;
}

function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      carbon: { type: 'string', multiple: true },
      'carbon-mode': { type: 'string' },
      image: { type: 'string' },
      group: { type: 'string' },
      interval: { type: 'string' },
      prefix: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
