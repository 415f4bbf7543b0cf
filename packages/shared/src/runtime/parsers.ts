/** Parsers of option values: each takes a raw value (flag, environment or file) or throws InvalidValue. */

/**
 * Thrown by a parser; the loader adds which key and source the value came from. A parser of a
 * structured value gives `at`: the path inside it (`[2].es-timeout`) and the value found there, so the
 * error names that one key, not the whole structure.
 */
export class InvalidValue extends Error {
  constructor(
    readonly expected: string,
    /** `problem`, when given, is said instead of `got <given>, expected <expected>` (an unknown key). */
    readonly at?: { path: string; given: unknown; problem?: string },
  ) {
    super(expected);
  }
}

/**
 * Parses one raw value; `warn` reports what is accepted but deprecated (an old key spelling).
 * `valueType` is what --help shows as the value's type (`number`, `duration`, `size`, a list of
 * choices); `listOf` marks a parser of a list of such values.
 */
export type Parser<T> = ((raw: unknown, context?: { warn(message: string): void }) => T) & {
  readonly valueType?: string;
  readonly listOf?: boolean;
};

/** `parse`, telling --help its value type. */
export function typed<T>(valueType: string, parse: Parser<T>, listOf = false): Parser<T> {
  return Object.assign(parse, { valueType, listOf });
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000 };
/** Size suffixes, lower case: `k/M/G` and `KiB/MiB/GiB` are powers of 1024, `KB/MB/GB` of 1000. */
const BYTE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  ki: 1024,
  mi: 1024 ** 2,
  gi: 1024 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
};

export const parsers = {
  string(options: { nonEmpty?: boolean } = {}): Parser<string> {
    return typed('string', (raw) => {
      if (typeof raw !== 'string' && typeof raw !== 'number') throw new InvalidValue('a string');
      const value = String(raw);
      if (options.nonEmpty && value.trim() === '') throw new InvalidValue('a non-empty string');
      return value;
    });
  },
  integer(options: { min?: number; max?: number } = {}): Parser<number> {
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
    return typed('number', (raw) => {
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
    });
  },
  boolean(): Parser<boolean> {
    return typed('boolean', (raw) => {
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string' && /^(true|1|yes|on)$/i.test(raw)) return true;
      if (typeof raw === 'string' && /^(false|0|no|off)$/i.test(raw)) return false;
      throw new InvalidValue('true or false');
    });
  },
  /** `10s`, `500ms`, `2m`, `1h`, or a bare number of seconds; returns milliseconds. */
  duration(options: { minMs?: number; maxMs?: number } = {}): Parser<number> {
    const { minMs = 1, maxMs = 24 * 3600_000 } = options;
    return typed('duration', (raw) => {
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
    });
  },
  /**
   * `64MiB`, `512k`, `1G` (powers of 1024, as `ulimit`, Docker and the JVM read `k/M/G`), `500MB`
   * (powers of 1000), `1000` (bytes); any case. Returns bytes.
   */
  bytes(options: { min?: number } = {}): Parser<number> {
    const { min = 1 } = options;
    return typed('size', (raw) => {
      const match = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$/i.exec(String(raw));
      const bytes = match ? Number(match[1]) * BYTE_UNITS[(match[2] ?? 'b').toLowerCase()]! : Number.NaN;
      if (!Number.isFinite(bytes) || bytes < min || (typeof raw !== 'string' && typeof raw !== 'number')) {
        throw new InvalidValue(
          `a size like 64MiB or 64M (powers of 1024), 500MB (powers of 1000), or a number of bytes, at least ${formatBytes(min)}`,
        );
      }
      return Math.floor(bytes);
    });
  },
  /** One of the keys of `record` (a table of naming schemes, say): the one list of the choices. */
  keyOf<R extends Record<string, unknown>>(record: R): Parser<keyof R & string> {
    return parsers.oneOf(Object.keys(record) as (keyof R & string)[]);
  },
  oneOf<T extends string>(choices: readonly T[]): Parser<T> {
    return typed(choices.join('|'), (raw) => {
      if (typeof raw !== 'string' || !choices.includes(raw as T))
        throw new InvalidValue(`one of ${choices.join(', ')}`);
      return raw as T;
    });
  },
  /** `host:port`, `[v6]:port`; a missing port takes `defaultPort`. */
  hostPort(defaultPort?: number): Parser<{ host: string; port: number }> {
    return typed(defaultPort ? 'host[:port]' : 'host:port', (raw) => {
      const match =
        typeof raw === 'string' ? /^(?:\[([^\]]+)\]|([^:\s]+))(?::(\d{1,5}))?$/.exec(raw.trim()) : null;
      const port = match?.[3] !== undefined ? Number(match[3]) : defaultPort;
      if (!match || port === undefined || port < 1 || port > 65535) {
        throw new InvalidValue(defaultPort ? 'host or host:port' : 'host:port');
      }
      return { host: (match[1] ?? match[2])!, port };
    });
  },
  url(): Parser<URL> {
    return typed('url', (raw) => {
      try {
        const url = new URL(String(raw));
        if (url.protocol === 'http:' || url.protocol === 'https:') return url;
      } catch {}
      throw new InvalidValue('an http:// or https:// URL');
    });
  },
  /** The name of an environment variable (where a secret is read from). */
  envVarName(): Parser<string> {
    return typed('variable name', (raw) => {
      if (typeof raw !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(raw))
        throw new InvalidValue('the name of an environment variable');
      return raw;
    });
  },
  /** A list of values; each element parsed by `item`. */
  list<T>(item: Parser<T>): Parser<T[]> {
    return typed(
      item.valueType ?? 'string',
      (raw) => {
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
      },
      true,
    );
  },
  /** `k=v` pairs (flag repeated, env comma separated, file a mapping). */
  keyValues(): Parser<Record<string, string>> {
    return typed('key=value', (raw) => {
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
    });
  },
};

/** `1 s`, `24 h`, `100 ms`: the largest unit that divides `ms`. */
function formatDuration(ms: number): string {
  const unit = (['h', 'm', 's'] as const).find((name) => ms > 0 && ms % DURATION_UNITS_MS[name]! === 0);
  return unit ? `${ms / DURATION_UNITS_MS[unit]!} ${unit}` : `${ms} ms`;
}

/** `64MiB`, `1KiB`, `1000B`: the largest binary unit that divides `bytes`, as --help shows sizes. */
export function formatBytes(bytes: number): string {
  const unit = (['GiB', 'MiB', 'KiB'] as const).find(
    (name) => bytes > 0 && bytes % BYTE_UNITS[name.toLowerCase()]! === 0,
  );
  return unit ? `${bytes / BYTE_UNITS[unit.toLowerCase()]!}${unit}` : `${bytes}B`;
}
