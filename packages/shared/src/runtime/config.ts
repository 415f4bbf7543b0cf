import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import yargs from 'yargs';
import { isSecretName, redactCredentials } from './log.js';

/**
 * Configuration from flags, environment variables and an optional YAML/JSON file (in that order of
 * precedence), validated once at start-up. Every problem is a ConfigError naming the key, the value
 * given and what was expected; the CLI turns it into exit code 2.
 */
export class ConfigError extends Error {
  /**
   * The one place a config error's text is made, so the one place secrets are kept out of it: the
   * value of a key named like a secret (and of such keys inside a structured value) is not shown, and
   * `user:password@` of URLs and secret query parameters are removed from the whole message.
   */
  constructor(
    readonly key: string,
    given: unknown,
    readonly expected: string,
  ) {
    super(
      redactCredentials(
        `${key}: got ${isSecretName(key) ? '(secret)' : describeValue(given)}, expected ${expected}`,
      ),
    );
    this.name = 'ConfigError';
  }
}

/**
 * Thrown by a parser; the loader adds which key and source the value came from. A parser of a
 * structured value gives `at`: the path inside it (`[2].es-timeout`) and the value found there, so the
 * error names that one key, not the whole structure.
 */
export class InvalidValue extends Error {
  constructor(
    readonly expected: string,
    readonly at?: { path: string; given: unknown },
  ) {
    super(expected);
  }
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = redactCredentials(
    JSON.stringify(value, (key, inner: unknown) => (key !== '' && isSecretName(key) ? '(secret)' : inner)) ??
      String(value),
  );
  // Cut after redacting, so a cut never leaves half a password that redaction no longer recognises.
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Parses one raw value; `warn` reports what is accepted but deprecated (an old key spelling). */
export type Parser<T> = (raw: unknown, context?: { warn(message: string): void }) => T;

/**
 * The one declaration of an option: its flag, `STOKER_` variable, file key, `clusters:` entry key,
 * `--help` line and README table row all come from it.
 */
export interface OptionSpec<T> {
  /** What it does, in Markdown: the README's text; --help shows it without backticks. */
  describe: string;
  parse: Parser<T>;
  /**
   * Value when no source sets the option, written as a user would (`10s`, `64MiB`) and given to
   * `parse`, so it is shown as written; a function is called at load time (e.g. hostname).
   */
  default?: unknown;
  /** Repeatable flag (`--carbon a --carbon b`); file value is a list; env value is comma separated. */
  array?: boolean;
  /** Extra environment variables read after `STOKER_<KEY>` (e.g. Marathon's `PORT0`). */
  env?: readonly string[];
  /** Only settable in the config file (structured values such as a list of clusters). */
  fileOnly?: boolean;
  /** Never shown in errors, logs or /status. */
  secret?: boolean;
  alias?: string;
  /** Flag without a value (`--once`). */
  boolean?: boolean;
  /** How --help and the README show the default when it is not a plain value (Markdown). */
  defaultText?: string;
  /**
   * May be set per cluster in es-collector's `clusters:` entries, under the flag's name (a string: under
   * that key instead, as `name` for `--cluster`).
   */
  perCluster?: boolean | string;
  /** An older spelling of the key in `clusters:` entries, still accepted with a deprecation warning. */
  oldClusterKey?: string;
}

export type OptionSpecs = Record<string, OptionSpec<unknown>>;

/** Declares one option; the identity function is there so TypeScript infers the value type. */
export function option<T>(spec: OptionSpec<T>): OptionSpec<T> {
  return spec;
}

/** The default as --help and the README tables show it (Markdown), or undefined when there is none. */
export function shownDefault(spec: OptionSpec<unknown>): string | undefined {
  const value = spec.default;
  if (spec.defaultText !== undefined) return spec.defaultText;
  if (value === undefined || typeof value === 'function' || spec.secret) return undefined;
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (Array.isArray(value) ? value.length === 0 : typeof value === 'object') return 'none';
  return `\`${Array.isArray(value) ? value.join(',') : String(value)}\``;
}

export type ConfigOf<S extends OptionSpecs> = {
  [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never;
};

export const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const envName = (key: string): string => `STOKER_${kebab(key).replace(/-/g, '_').toUpperCase()}`;

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000 };

// ---- parsers ---------------------------------------------------------------------------------

export const parsers = {
  string(options: { nonEmpty?: boolean } = {}): Parser<string> {
    return (raw) => {
      if (typeof raw !== 'string' && typeof raw !== 'number') throw new InvalidValue('a string');
      const value = String(raw);
      if (options.nonEmpty && value.trim() === '') throw new InvalidValue('a non-empty string');
      return value;
    };
  },
  integer(options: { min?: number; max?: number } = {}): Parser<number> {
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
    return (raw) => {
      const value =
        typeof raw === 'number'
          ? raw
          : typeof raw === 'string' && /^-?\d+$/.test(raw.trim())
            ? Number(raw)
            : Number.NaN;
      if (!Number.isInteger(value) || value < min || value > max) {
        throw new InvalidValue(`an integer from ${min} to ${max}`);
      }
      return value;
    };
  },
  boolean(): Parser<boolean> {
    return (raw) => {
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string' && /^(true|1|yes|on)$/i.test(raw)) return true;
      if (typeof raw === 'string' && /^(false|0|no|off)$/i.test(raw)) return false;
      throw new InvalidValue('true or false');
    };
  },
  /** `10s`, `500ms`, `2m`, `1h`, or a bare number of seconds; returns milliseconds. */
  duration(options: { minMs?: number; maxMs?: number } = {}): Parser<number> {
    const { minMs = 1, maxMs = 24 * 3600_000 } = options;
    return (raw) => {
      const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(String(raw));
      const ms = match ? Number(match[1]) * DURATION_UNITS_MS[match[2] ?? 's']! : Number.NaN;
      if (
        !Number.isFinite(ms) ||
        ms < minMs ||
        ms > maxMs ||
        (typeof raw !== 'string' && typeof raw !== 'number')
      ) {
        throw new InvalidValue(
          `a duration like 10s, 500ms or 1m, from ${formatDuration(minMs)} to ${formatDuration(maxMs)}`,
        );
      }
      return Math.round(ms);
    };
  },
  /** `64MiB`, `512KiB`, `1GiB`, `1000` (bytes); returns bytes. */
  bytes(options: { min?: number } = {}): Parser<number> {
    const { min = 1 } = options;
    const units: Record<string, number> = {
      b: 1,
      kib: 1024,
      mib: 1024 ** 2,
      gib: 1024 ** 3,
      kb: 1e3,
      mb: 1e6,
      gb: 1e9,
    };
    return (raw) => {
      const match = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*$/i.exec(String(raw));
      const bytes = match ? Number(match[1]) * units[(match[2] ?? 'b').toLowerCase()]! : Number.NaN;
      if (!Number.isFinite(bytes) || bytes < min || (typeof raw !== 'string' && typeof raw !== 'number')) {
        throw new InvalidValue(`a size like 64MiB, 512KiB or a number of bytes, at least ${min}`);
      }
      return Math.floor(bytes);
    };
  },
  /** One of the keys of `record` (a table of naming schemes, say): the one list of the choices. */
  keyOf<R extends Record<string, unknown>>(record: R): Parser<keyof R & string> {
    return parsers.oneOf(Object.keys(record) as (keyof R & string)[]);
  },
  oneOf<T extends string>(choices: readonly T[]): Parser<T> {
    return (raw) => {
      if (typeof raw !== 'string' || !choices.includes(raw as T))
        throw new InvalidValue(`one of ${choices.join(', ')}`);
      return raw as T;
    };
  },
  /** `host:port`, `[v6]:port`; a missing port takes `defaultPort`. */
  hostPort(defaultPort?: number): Parser<{ host: string; port: number }> {
    return (raw) => {
      const match =
        typeof raw === 'string' ? /^(?:\[([^\]]+)\]|([^:\s]+))(?::(\d{1,5}))?$/.exec(raw.trim()) : null;
      const port = match?.[3] !== undefined ? Number(match[3]) : defaultPort;
      if (!match || port === undefined || port < 1 || port > 65535) {
        throw new InvalidValue(defaultPort ? 'host or host:port' : 'host:port');
      }
      return { host: (match[1] ?? match[2])!, port };
    };
  },
  url(): Parser<URL> {
    return (raw) => {
      try {
        const url = new URL(String(raw));
        if (url.protocol === 'http:' || url.protocol === 'https:') return url;
      } catch {}
      throw new InvalidValue('an http:// or https:// URL');
    };
  },
  /** The name of an environment variable (where a secret is read from). */
  envVarName(): Parser<string> {
    return (raw) => {
      if (typeof raw !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(raw))
        throw new InvalidValue('the name of an environment variable');
      return raw;
    };
  },
  /** A list of values; each element parsed by `item`. */
  list<T>(item: Parser<T>): Parser<T[]> {
    return (raw) => {
      const values = Array.isArray(raw)
        ? raw
        : typeof raw === 'string'
          ? raw
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : [raw];
      return values.map((value, index) => {
        try {
          return item(value);
        } catch (error) {
          if (error instanceof InvalidValue)
            throw new InvalidValue(`a list whose item ${index} is ${error.expected}`);
          throw error;
        }
      });
    };
  },
  /** `k=v` pairs (flag repeated, env comma separated, file a mapping). */
  keyValues(): Parser<Record<string, string>> {
    return (raw) => {
      if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
        return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]));
      }
      const pairs = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [];
      const result: Record<string, string> = {};
      for (const pair of pairs) {
        const match = /^([^=]+)=(.*)$/.exec(String(pair).trim());
        if (!match) throw new InvalidValue('key=value pairs');
        result[match[1]!] = match[2]!;
      }
      return result;
    };
  },
};

/**
 * Parser of a list of per-cluster settings (es-collector's `clusters:`): each entry a mapping whose
 * keys are the `perCluster` options of `specs`, spelled like their flags and parsed by their own
 * parsers, into the same (camelCase) names as the top-level config. An error names the one key and
 * its path in the list (`[2].es-timout`).
 */
export function perClusterEntries<S extends OptionSpecs>(
  specs: S,
  required: keyof S & string,
): Parser<Partial<ConfigOf<S>>[]> {
  const byEntryKey = new Map<string, string>();
  const oldKeys = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) {
    const entryKey = typeof spec.perCluster === 'string' ? spec.perCluster : kebab(name);
    if (spec.perCluster) byEntryKey.set(entryKey, name);
    if (spec.perCluster && spec.oldClusterKey) oldKeys.set(spec.oldClusterKey, entryKey);
  }
  const known = `one of the keys of an entry: ${[...byEntryKey.keys()].sort().join(', ')}`;
  return (raw, context) => {
    if (!Array.isArray(raw) || raw.length === 0)
      throw new InvalidValue(
        `a non-empty list of clusters, each a mapping like {name, ${kebab(required)}: ...}`,
      );
    return raw.map((entry: unknown, index) => {
      if (!entry || typeof entry !== 'object' || Array.isArray(entry))
        throw new InvalidValue('a mapping', { path: `[${index}]`, given: entry });
      const parsed: Record<string, unknown> = {};
      for (const [written, value] of Object.entries(entry)) {
        const at = { path: `[${index}].${written}`, given: value };
        const entryKey = oldKeys.get(written) ?? written;
        if (entryKey !== written)
          context?.warn(`${at.path}: deprecated spelling; write ${entryKey}, like the flag`);
        const name = byEntryKey.get(entryKey);
        if (name === undefined) throw new InvalidValue(known, at);
        try {
          parsed[name] = specs[name]!.parse(value, context);
        } catch (error) {
          throw error instanceof InvalidValue ? new InvalidValue(error.expected, at) : error;
        }
      }
      const value = parsed[required];
      if (value === undefined || (Array.isArray(value) && value.length === 0))
        throw new InvalidValue('a value (every entry needs one)', {
          path: `[${index}].${kebab(required)}`,
          given: value,
        });
      return parsed as Partial<ConfigOf<S>>;
    });
  };
}

/** `1 s`, `24 h`, `100 ms`: the largest unit that divides `ms`. */
function formatDuration(ms: number): string {
  const unit = (['h', 'm', 's'] as const).find((name) => ms > 0 && ms % DURATION_UNITS_MS[name]! === 0);
  return unit ? `${ms / DURATION_UNITS_MS[unit]!} ${unit}` : `${ms} ms`;
}

// ---- loading ---------------------------------------------------------------------------------

export interface LoadOptions {
  name: string;
  version: string;
  description: string;
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Where `--help`/`--version` output goes; tests pass a collector. */
  print?: (text: string) => void;
}

export type LoadResult<C> =
  | {
      kind: 'config';
      config: C;
      /** `STOKER_*` variables of the environment that name no option (ignored; the caller warns). */
      unknownEnv: string[];
      /** What was accepted but deprecated (an old key spelling); the caller logs each. */
      warnings: string[];
    }
  | { kind: 'exit'; code: number };

/** `--config` is the loader's own option, not an agent's; the README table shows it from here. */
export const CONFIG_FLAG_DOC = 'YAML or JSON file; flags and environment variables override it';

/** Reads, merges and validates the configuration. Throws ConfigError on any invalid or unknown key. */
export function loadConfig<S extends OptionSpecs>(specs: S, options: LoadOptions): LoadResult<ConfigOf<S>> {
  const print = options.print ?? ((text: string) => process.stdout.write(`${text}\n`));
  const parser = yargs()
    .scriptName(options.name)
    .usage(`$0 [options]\n\n${options.description}`)
    .version(options.version)
    .help()
    .strict()
    .exitProcess(false)
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .parserConfiguration({
      'camel-case-expansion': false,
      'dot-notation': false,
      'duplicate-arguments-array': true,
    })
    .fail((message, error) => {
      // yargs' own errors (a YError) become config errors like any other: exit 2, one line.
      const text = error?.message ?? message ?? 'a valid command line';
      const missing = /^Not enough arguments following: (.+)$/.exec(text);
      if (missing) throw new ConfigError(`--${missing[1]}`, undefined, 'a value after it');
      throw new ConfigError(
        'command line',
        describeArgv(options.argv),
        text.replace(/^Unknown arguments?: /, 'known options only; unknown: '),
      );
    })
    .option('config', { type: 'string', describe: CONFIG_FLAG_DOC, requiresArg: true });
  for (const [key, spec] of Object.entries(specs)) {
    if (spec.fileOnly) continue;
    const envs = [envName(key), ...(spec.env ?? [])].join(', ');
    const shown = shownDefault(spec);
    parser.option(kebab(key), {
      type: spec.boolean ? 'boolean' : 'string',
      array: spec.array && !spec.boolean,
      requiresArg: !spec.boolean,
      alias: spec.alias,
      describe: `${spec.describe} [env: ${envs}]${shown ? ` [default: ${shown}]` : ''}`.replace(/`/g, ''),
    });
  }
  let helpShown = false;
  parser.showHelpOnFail(false);
  const argv = parser.parseSync(normaliseBooleanFlags(options.argv, specs), {}, (_error, _argv, output) => {
    if (output) {
      helpShown = true;
      print(output);
    }
  }) as Record<string, unknown>;
  if (helpShown || argv.help || argv.version) return { kind: 'exit', code: 0 };

  const file = loadFile(typeof argv.config === 'string' ? argv.config : options.env.STOKER_CONFIG);
  const knownFileKeys = new Set(Object.keys(specs).map(kebab));
  for (const key of Object.keys(file)) {
    if (!knownFileKeys.has(key)) {
      throw new ConfigError(
        `config file key "${key}"`,
        file[key],
        `one of the known keys: ${[...knownFileKeys].join(', ')}`,
      );
    }
  }

  const config: Record<string, unknown> = {};
  const warnings: string[] = [];
  for (const [key, spec] of Object.entries(specs)) {
    const flag = kebab(key);
    const fromFlag = spec.fileOnly ? undefined : argv[flag];
    const envKey = [envName(key), ...(spec.env ?? [])].find(
      (name) => options.env[name] !== undefined && options.env[name] !== '',
    );
    let raw: unknown;
    let label: string;
    if (fromFlag !== undefined) {
      raw = Array.isArray(fromFlag) && !spec.array ? fromFlag[fromFlag.length - 1] : fromFlag;
      label = `--${flag}`;
    } else if (envKey) {
      raw = options.env[envKey];
      label = `environment variable ${envKey}`;
    } else if (flag in file) {
      raw = file[flag];
      // A key inside the value is named by its path from the file's top (`clusters[2].es-timeout`).
      label = flag;
    } else {
      raw = typeof spec.default === 'function' ? (spec.default as () => unknown)() : spec.default;
      if (raw === undefined) continue;
      label = `the default of --${flag}`;
    }
    try {
      config[key] = spec.parse(raw, { warn: (message) => warnings.push(`${label}${message}`) });
    } catch (error) {
      if (!(error instanceof InvalidValue)) throw error;
      if (error.at) throw new ConfigError(`${label}${error.at.path}`, error.at.given, error.expected);
      const where = label === flag ? `config file key "${flag}"` : label;
      throw new ConfigError(where, spec.secret ? '(secret)' : raw, error.expected);
    }
  }
  const knownEnv = new Set(['STOKER_CONFIG', ...Object.keys(specs).map(envName)]);
  const unknownEnv = Object.keys(options.env)
    .filter((name) => name.startsWith('STOKER_') && !knownEnv.has(name))
    .sort();
  return { kind: 'config', config: config as ConfigOf<S>, unknownEnv, warnings };
}

/**
 * yargs reads `--flag=<anything but true>` of a boolean option as false, and takes only `true` or
 * `false` as a separate value. So a boolean flag's value (`--once=yes`, `--local false`, `--insecure
 * maybe`) is parsed here by the option's own parser, as the same value from the environment or the
 * file would be, and handed on spelt `true` or `false`.
 */
function normaliseBooleanFlags(argv: readonly string[], specs: OptionSpecs): string[] {
  const booleans = new Map<string, OptionSpec<unknown>>();
  for (const [key, spec] of Object.entries(specs)) {
    if (!spec.boolean || spec.fileOnly) continue;
    booleans.set(kebab(key), spec);
    if (spec.alias) booleans.set(spec.alias, spec);
  }
  const result: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      result.push(...argv.slice(i));
      break;
    }
    const match = /^--([^=]+)(?:=([\s\S]*))?$/.exec(arg);
    const spec = match ? booleans.get(match[1]!) : undefined;
    let value = match?.[2];
    if (match && spec && value === undefined) {
      // The agents take no positional arguments: a bare word after a boolean flag is its value.
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('-')) {
        value = next;
        i++;
      }
    }
    if (!match || !spec || value === undefined) {
      result.push(arg);
      continue;
    }
    try {
      result.push(`--${match[1]}=${String(spec.parse(value))}`);
    } catch (error) {
      if (error instanceof InvalidValue) throw new ConfigError(`--${match[1]}`, value, error.expected);
      throw error;
    }
  }
  return result;
}

/** The command line for an error message, without the values of flags named like secrets. */
function describeArgv(argv: readonly string[]): string {
  return argv
    .map((arg, i) => {
      const withValue = /^(-[^=]*)=/.exec(arg);
      if (withValue) return isSecretName(withValue[1]!) ? `${withValue[1]}=(secret)` : arg;
      const previous = argv[i - 1];
      const isValueOfSecret =
        previous !== undefined && /^-[^=]*$/.test(previous) && isSecretName(previous) && !arg.startsWith('-');
      return isValueOfSecret ? '(secret)' : arg;
    })
    .join(' ');
}

function loadFile(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      '--config',
      path,
      `a readable file (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  let data: unknown;
  try {
    data = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(
      '--config',
      path,
      `valid ${path.endsWith('.json') ? 'JSON' : 'YAML'} (${(error as Error).message.split('\n')[0]})`,
    );
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data))
    throw new ConfigError('--config', path, 'a file holding a mapping of option names to values');
  return data as Record<string, unknown>;
}
