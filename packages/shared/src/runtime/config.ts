import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import yargs from 'yargs';
import { closestName } from './did-you-mean.js';
import { type HelpExample, helpText, optionEnvName, versionText } from './help.js';
import { isSecretName, redactCredentials } from './log.js';
import { type ConfigOf, kebab, type OptionSpec, type OptionSpecs } from './option-spec.js';
import { commonOptions } from './options.js';
import { InvalidValue } from './parsers.js';

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
    /** The whole message instead of `<key>: got <given>, expected <expected>`. */
    text?: string,
  ) {
    super(
      redactCredentials(
        text ?? `${key}: got ${isSecretName(key) ? '(secret)' : describeValue(given)}, expected ${expected}`,
      ),
    );
    this.name = 'ConfigError';
  }

  /**
   * `key` names nothing: the error suggests the closest of `known` (`did you mean --interval?`), or
   * says where the known names are. `shown` spells a known name as the user would write it.
   */
  static unknown(
    key: string,
    what: string,
    known: Iterable<string>,
    options: { written?: string; shown?: (name: string) => string; elsewhere: string },
  ): ConfigError {
    const closest = closestName(options.written ?? key, known);
    const hint = closest ? `did you mean ${(options.shown ?? String)(closest)}?` : options.elsewhere;
    return new ConfigError(key, undefined, hint, `${key}: unknown ${what}; ${hint}`);
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

export interface LoadOptions {
  name: string;
  version: string;
  description: string;
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Worked examples for --help (command, what it does). */
  examples?: readonly HelpExample[];
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
  // Every flag as yargs names it (`interval`, `h`) and as a user writes it (`--interval`, `-h`).
  const flags = new Map([
    ['config', '--config'],
    ['help', '--help'],
    ['version', '--version'],
  ]);
  for (const [key, spec] of Object.entries(specs)) {
    if (spec.fileOnly) continue;
    flags.set(kebab(key), `--${kebab(key)}`);
    if (spec.alias) flags.set(spec.alias, `-${spec.alias}`);
  }
  const parser = yargs()
    .help(false)
    .version(false)
    .strict()
    .exitProcess(false)
    .parserConfiguration({
      'camel-case-expansion': false,
      'dot-notation': false,
      'duplicate-arguments-array': true,
    })
    .fail((message, error) => {
      // yargs' own errors (a YError) become config errors like any other: exit 2, one line, naming
      // the one flag, never the whole command line (it may hold secrets and says nothing more).
      const text = error?.message ?? message ?? 'a valid command line';
      const missing = /^Not enough arguments following: (.+)$/.exec(text);
      if (missing) throw new ConfigError(`--${missing[1]}`, undefined, 'a value after it');
      const unknown = /^Unknown arguments?: (.+)$/.exec(text);
      if (!unknown) throw new ConfigError('command line', undefined, text, `command line: ${text}`);
      const written = unknown[1]!.split(', ')[0]!;
      if (options.argv.includes(written))
        throw new ConfigError(
          written,
          written,
          'options only',
          `${written}: unexpected argument; ${options.name} takes options only (--name value)`,
        );
      throw ConfigError.unknown(
        written.length === 1 ? `-${written}` : `--${written}`,
        'option',
        flags.keys(),
        {
          written,
          shown: (name) => flags.get(name) ?? name,
          elsewhere: `${options.name} --help lists the options`,
        },
      );
    })
    .option('config', { type: 'string', requiresArg: true })
    .option('help', { type: 'boolean', alias: 'h' })
    .option('version', { type: 'boolean', alias: 'V' });
  for (const [key, spec] of Object.entries(specs)) {
    if (spec.fileOnly) continue;
    parser.option(kebab(key), {
      type: spec.boolean ? 'boolean' : 'string',
      array: spec.array && !spec.boolean,
      requiresArg: !spec.boolean,
      alias: spec.alias,
    });
  }
  const argv = parser.parseSync(normaliseBooleanFlags(options.argv, specs)) as Record<string, unknown>;
  if (argv.help) {
    print(
      helpText(specs, new Set(Object.keys(commonOptions)), {
        name: options.name,
        description: options.description,
        examples: options.examples ?? [],
        configDoc: CONFIG_FLAG_DOC,
      }),
    );
    return { kind: 'exit', code: 0 };
  }
  if (argv.version) {
    print(versionText(options.name, options.version, options.env));
    return { kind: 'exit', code: 0 };
  }

  const file = loadFile(typeof argv.config === 'string' ? argv.config : options.env.STOKER_CONFIG);
  const knownFileKeys = new Set(Object.keys(specs).map(kebab));
  for (const key of Object.keys(file)) {
    if (!knownFileKeys.has(key)) {
      throw ConfigError.unknown(`config file key "${key}"`, 'key', knownFileKeys, {
        written: key,
        shown: (name) => `"${name}"`,
        elsewhere: `the keys are the option names of ${options.name} --help, without the dashes`,
      });
    }
  }

  const config: Record<string, unknown> = {};
  const warnings: string[] = [];
  for (const [key, spec] of Object.entries(specs)) {
    const flag = kebab(key);
    const fromFlag = spec.fileOnly ? undefined : argv[flag];
    const envKey = [optionEnvName(key), ...(spec.env ?? [])].find(
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
      if (error.at) {
        const key = `${label}${error.at.path}`;
        const { problem } = error.at;
        throw new ConfigError(key, error.at.given, error.expected, problem && `${key}: ${problem}`);
      }
      const where = label === flag ? `config file key "${flag}"` : label;
      throw new ConfigError(where, spec.secret ? '(secret)' : raw, error.expected);
    }
  }
  // STOKER_COMMIT: the commit the image was built from, for --version (docker/Dockerfile sets it).
  const knownEnv = new Set(['STOKER_CONFIG', 'STOKER_COMMIT', ...Object.keys(specs).map(optionEnvName)]);
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
