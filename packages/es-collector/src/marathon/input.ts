/** Reads and checks the generator's input (a list of clusters, defaults) one key at a time. */

import { closestName, commonOptions, InvalidValue, type Parser, parsers } from '@stoker/shared';
import { esOptions } from '../options.js';
import {
  type AppDefaults,
  type ClusterSpec,
  clusterSegment,
  DEFAULTS,
  isGroupId,
  type MarathonVersion,
} from './app.js';

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
  'marathon-version',
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
/** `1.4`, or `1.5` and any later version (they take the same app JSON), as the shape to write. */
const MARATHON_VERSION: Parser<MarathonVersion> = (raw) => {
  const minor = /^1\.(\d+)(\.\d+)*$/.exec(String(raw).trim())?.[1];
  if (minor === '4') return '1.4';
  if (minor !== undefined && Number(minor) >= 5) return '1.5';
  throw new InvalidValue('a Marathon version from 1.4 on (1.4, 1.5, 1.10, ...)');
};

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
        const closest = closestName(name, known);
        this.problems.push(
          `${key ? `${key}.` : ''}${name}: unknown key; ${closest ? `did you mean ${closest}?` : `the known keys are ${known.join(', ')}`}`,
        );
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
  [key in 'group' | 'image' | 'carbon' | 'carbon-mode' | 'interval' | 'prefix' | 'marathon-version']?:
    | string
    | string[];
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
  const [versionKey, versionValue] = pick('marathon-version');
  if (versionValue !== undefined)
    // YAML reads `marathon-version: 1.4` as a number.
    defaults.marathonVersion =
      check.parse(
        versionKey,
        typeof versionValue === 'number' ? String(versionValue) : versionValue,
        MARATHON_VERSION,
        undefined,
        versionValue,
      ) ?? DEFAULTS.marathonVersion;
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
