import pino, { type DestinationStream, type Logger } from 'pino';
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

/** JSON lines for machines; coloured single lines when a person watches a terminal. */
export function createLogger(options: {
  name: string;
  level: string;
  pretty?: boolean;
  /** Where lines go instead of stderr (tests). */
  destination?: DestinationStream;
}): Logger {
  const base = {
    name: options.name,
    level: options.level,
    redact: { paths: redactPaths, censor: '[redacted]' },
  };
  const usePretty = options.pretty ?? (process.stderr.isTTY === true && process.env.NO_COLOR === undefined);
  // Logs go to stderr so that `--output stdout` prints nothing but carbon lines.
  const destination = options.destination
    ? options.destination
    : usePretty
      ? pretty({
          destination: 2,
          colorize: true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname',
          sync: true,
        })
      : pino.destination({ dest: 2, sync: true });
  return pino(base, destination);
}

/** Removes user:password@ from a URL before it is logged or shown in /status. */
export function redactUrl(url: string | URL): string {
  try {
    const parsed = new URL(String(url));
    if (parsed.username || parsed.password) {
      parsed.username = '';
      parsed.password = '';
    }
    for (const name of [...parsed.searchParams.keys()]) {
      if (/pass|token|key|secret/i.test(name)) parsed.searchParams.set(name, 'redacted');
    }
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
