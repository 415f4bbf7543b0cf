import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

/** Keys whose values never reach a log line, wherever they appear in the logged object. */
export const REDACTED_KEYS = [
  'password',
  'apiKey',
  'api_key',
  'token',
  'bearerToken',
  'authorization',
  'Authorization',
  'secret',
  'key',
  'passphrase',
];

const redactPaths = REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `headers.${key}`]);

export type LogFormat = 'text' | 'json';

/**
 * JSON lines for machines (a Mesos sandbox, a log shipper), one readable line per event for a person
 * (`--log-format`; by default text when stderr is a terminal). Both carry ISO 8601 times.
 */
export function createLogger(options: {
  name: string;
  level: string;
  format?: LogFormat | undefined;
  /** Where lines go instead of stderr (tests). */
  destination?: DestinationStream;
}): Logger {
  const terminal = process.stderr.isTTY === true;
  const format = options.format ?? (terminal ? 'text' : 'json');
  const base: LoggerOptions = {
    name: options.name,
    level: options.level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    ...(format === 'json' ? { timestamp: pino.stdTimeFunctions.isoTime } : {}),
  };
  // Logs go to stderr so that `--output stdout` prints nothing but carbon lines.
  const text = () =>
    pretty({
      destination: options.destination ?? 2,
      colorize: terminal && options.destination === undefined && process.env.NO_COLOR === undefined,
      translateTime: "SYS:yyyy-mm-dd'T'HH:MM:ss.lo",
      ignore: 'pid,hostname,name',
      singleLine: true,
      sync: true,
    });
  const destination =
    format === 'text' ? text() : (options.destination ?? pino.destination({ dest: 2, sync: true }));
  return pino(base, destination);
}

/**
 * Whether a name (an option, a config key, an environment variable, a query parameter) is that of a
 * secret value: passwords, tokens, API keys, credentials. A name ending in `env` or `file`
 * (`--password-env`, `bearerTokenFile`) says where a secret is, not what it is, and is not one.
 */
export function isSecretName(name: string): boolean {
  const last = /[A-Za-z0-9_-]*$/.exec(name.replace(/[^A-Za-z0-9_-]+$/, ''))?.[0] ?? '';
  if (/(env|file)$/i.test(last)) return false;
  return /pass|secret|token|credential|authori[sz]ation|key$/i.test(last);
}

/**
 * Removes credentials from free text before it is shown (an error message, a command line): the
 * `user:password@` of every URL in it, parseable or not, and the values of query parameters with a
 * secret's name.
 */
export function redactCredentials(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#"'<>]*@/gi, '$1')
    .replace(/([?&])([^=&\s"'#]+)=([^&\s"'#]*)/g, (whole, separator: string, name: string) =>
      isSecretName(name) ? `${separator}${name}=redacted` : whole,
    );
}

/** A URL fit for logs and /status: without user:password@ and secret query parameters. */
export function redactUrl(url: string | URL): string {
  try {
    return redactCredentials(new URL(String(url)).toString());
  } catch {
    return '(unparseable URL)';
  }
}
