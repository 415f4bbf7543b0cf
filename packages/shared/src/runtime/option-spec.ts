import { closestName } from './did-you-mean.js';
import type { OptionGroup } from './help.js';
import { InvalidValue, type Parser } from './parsers.js';

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
  /** The --help section it is listed in; none: among the agent's own options, first. */
  group?: OptionGroup;
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
/** `specs`, each settable per cluster too (under its flag's name unless it names a key of its own). */
export function perCluster<S extends OptionSpecs>(specs: S): S {
  const marked = Object.entries(specs).map(([name, spec]) => [
    name,
    { ...spec, perCluster: spec.perCluster ?? true },
  ]);
  return Object.fromEntries(marked) as S;
}

/** The key of option `name` in a `clusters:` entry, or undefined when it cannot be set per cluster. */
export function clusterEntryKey(name: string, spec: OptionSpec<unknown>): string | undefined {
  return typeof spec.perCluster === 'string' ? spec.perCluster : spec.perCluster ? kebab(name) : undefined;
}

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
    const entryKey = clusterEntryKey(name, spec);
    if (entryKey) byEntryKey.set(entryKey, name);
    if (entryKey && spec.oldClusterKey) oldKeys.set(spec.oldClusterKey, entryKey);
  }
  const allKeys = [...byEntryKey.keys()].sort();
  const unknownKey = (written: string): string => {
    const closest = closestName(written, [...byEntryKey.keys(), ...oldKeys.keys()]);
    return closest
      ? `did you mean ${oldKeys.get(closest) ?? closest}?`
      : `the keys of an entry are ${allKeys.join(', ')}`;
  };
  return (raw, context) => {
    if (!Array.isArray(raw) || raw.length === 0)
      throw new InvalidValue(
        `a non-empty list of clusters, each a mapping like {${kebab(required)}: ..., ...}`,
      );
    return raw.map((entry: unknown, index) => {
      if (!entry || typeof entry !== 'object' || Array.isArray(entry))
        throw new InvalidValue('a mapping', { path: `[${index}]`, given: entry });
      for (const [oldKey, entryKey] of oldKeys) {
        if (oldKey in entry && entryKey in entry)
          throw new InvalidValue(`${entryKey} only`, {
            path: `[${index}]`,
            given: entry,
            problem: `${oldKey} and ${entryKey} are one setting (${oldKey} is its old spelling): keep ${entryKey} only`,
          });
      }
      const parsed: Record<string, unknown> = {};
      for (const [written, value] of Object.entries(entry)) {
        const at = { path: `[${index}].${written}`, given: value };
        const entryKey = oldKeys.get(written) ?? written;
        if (entryKey !== written)
          context?.warn(`${at.path}: deprecated spelling; write ${entryKey}, like the flag`);
        const name = byEntryKey.get(entryKey);
        if (name === undefined) {
          const hint = unknownKey(written);
          throw new InvalidValue(hint, { ...at, problem: `unknown key; ${hint}` });
        }
        try {
          parsed[name] = specs[name]!.parse(value, context);
        } catch (error) {
          const given = specs[name]!.secret ? '(secret)' : value;
          throw error instanceof InvalidValue ? new InvalidValue(error.expected, { ...at, given }) : error;
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
