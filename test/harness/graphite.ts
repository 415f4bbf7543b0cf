/**
 * Test harness that runs REAL Graphite components (carbon-cache, graphite-web, carbon-c-relay from the
 * Debian packages) on 127.0.0.1 with free ports and private temp directories. Real daemons are used
 * because the behaviour our collectors must survive (silently dropped NaN, connection closed on an
 * over-long line, consistent-hash placement, outages) only shows up against the real thing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, openSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 20_000;
/** Generous: carbon-cache drains its whole cache to whisper before exiting, which can take seconds. */
const STOP_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------------------------------------------------
// Process bookkeeping: a failed or crashed test must never leave a daemon behind holding ports and files.

const liveChildren = new Set<ChildProcess>();
const tempRoots = new Set<string>();

process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
  // Keeping the directories helps post-mortems of a failing run; removing them keeps /tmp from filling up.
  if (process.env.GRAPHITE_HARNESS_KEEP) return;
  for (const dir of tempRoots) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
});
// 'exit' does not fire on a fatal signal (e.g. the test runner's timeout kill), so turn those into exits.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => process.exit(128 + os.constants.signals[signal]));
}

async function makeTempRoot(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  tempRoots.add(dir);
  return dir;
}

interface Daemon {
  child: ChildProcess;
  exited: Promise<void>;
  spawnError?: Error;
}

/** Output goes straight to a file (not through Node) so it survives us and can be quoted in errors. */
function spawnDaemon(cmd: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv): Daemon {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env: env ?? process.env });
    liveChildren.add(child);
    const daemon: Daemon = { child, exited: Promise.resolve() };
    daemon.exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      // Spawn failures (ENOENT) emit 'error' and may never emit 'exit'.
      child.once('error', (err) => {
        daemon.spawnError = err;
        resolve();
      });
    }).then(() => {
      liveChildren.delete(child);
    });
    return daemon;
  } finally {
    closeSync(fd);
  }
}

function hasExited(d: Daemon): boolean {
  return d.child.exitCode !== null || d.child.signalCode !== null || !liveChildren.has(d.child);
}

async function stopDaemon(d: Daemon | undefined): Promise<void> {
  if (!d || hasExited(d)) return;
  d.child.kill('SIGTERM');
  const timedOut = await Promise.race([
    d.exited.then(() => false),
    sleep(STOP_TIMEOUT_MS, undefined, { ref: false }).then(() => true),
  ]);
  if (timedOut) {
    d.child.kill('SIGKILL');
    await d.exited;
  }
}

async function logTail(logFile: string, maxChars = 3000): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text.length > maxChars ? `...${text.slice(-maxChars)}` : text;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Readiness is judged by real TCP connects because none of these daemons signals readiness otherwise. */
async function waitForPorts(name: string, d: Daemon, ports: number[], logFile: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (const port of ports) {
    while (!(await canConnect(port))) {
      if (hasExited(d) || Date.now() > deadline) {
        const why = hasExited(d)
          ? `exited early (${d.spawnError ?? `code ${d.child.exitCode}, signal ${d.child.signalCode}`})`
          : `did not accept TCP connections on ${HOST}:${port} within ${START_TIMEOUT_MS} ms`;
        await stopDaemon(d);
        throw new Error(`${name} ${why}; log ${logFile}:\n${await logTail(logFile)}`);
      }
      await sleep(50);
    }
  }
}

async function runToCompletion(
  name: string,
  cmd: string,
  args: string[],
  logFile: string,
  env: NodeJS.ProcessEnv,
) {
  const d = spawnDaemon(cmd, args, logFile, env);
  await d.exited;
  if (d.child.exitCode !== 0) {
    throw new Error(
      `${name} failed (${d.spawnError ?? `exit ${d.child.exitCode}`}); log ${logFile}:\n${await logTail(logFile)}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------

const handedOutPorts = new Set<number>();

/**
 * Asks the kernel for an unused port. Ports already handed out in this process are skipped, because the
 * kernel may offer the same one again before the daemon we allocated it for has bound it.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, HOST, () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    if (!handedOutPorts.has(port)) {
      handedOutPorts.add(port);
      return port;
    }
  }
}

/**
 * Developers without the Debian packages should still get a green run of everything else, but CI must
 * never silently skip the integration tests, so under CI=true a missing program is an error.
 */
export function requireProgram(program: string, debianPackage: string): string | undefined {
  const dirs = program.includes('/') ? [''] : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    try {
      accessSync(path.join(dir, program), fsConstants.X_OK);
      return undefined;
    } catch {
      // keep looking
    }
  }
  const msg = `${program} not found on PATH; install it with: apt-get install ${debianPackage}`;
  if (process.env.CI === 'true') throw new Error(msg);
  return msg;
}

// ---------------------------------------------------------------------------------------------------------
// carbon-cache

export interface CarbonCache {
  host: string;
  /** Plaintext line receiver: what our collectors talk to. */
  linePort: number;
  /** Plaintext lines over UDP (`--carbon-protocol udp`). */
  udpPort: number;
  picklePort: number;
  /** CARBONLINK port: lets graphite-web see points still in the cache, not yet written to whisper. */
  cacheQueryPort: number;
  /** Private STORAGE_DIR, so tests never see each other's (or a system carbon's) metrics. */
  storageDir: string;
  whisperDir: string;
  /**
   * SIGTERM and wait for exit. Idempotent so that both an outage test and its t.after() cleanup can call it.
   * Beware: points received less than about a second before stop() may never reach whisper (carbon's
   * idle writer quits without a final flush); waitForPoints() first if the test needs them persisted.
   */
  stop(): Promise<void>;
  /**
   * Restarts on the SAME ports and dirs, to simulate an outage of the backend our collectors reconnect to.
   * Resolves once all receivers accept TCP connections.
   */
  start(): Promise<void>;
  /**
   * Reads one metric's points straight from its whisper file, so assertions see exactly what carbon
   * persisted (no graphite-web in between). Non-null points only, [timestampSeconds, value], within
   * [fromSec, untilSec]. Like whisper itself, the archive used is the finest one covering `fromSec`; the
   * default `fromSec` selects the finest archive. A metric without a file yields [].
   */
  fetch(metric: string, fromSec?: number, untilSec?: number): Promise<Array<[number, number]>>;
  /** Every stored metric name (whisper files, slashes turned into dots), sorted. */
  listMetrics(): Promise<string[]>;
  /**
   * Carbon writes asynchronously (receiver -> cache -> whisper), so tests must poll. Default minPoints 1,
   * timeoutMs 15000. The timeout error names the metric and lists what is stored, which is usually enough
   * to spot a mangled metric name.
   */
  waitForPoints(metric: string, minPoints?: number, timeoutMs?: number): Promise<Array<[number, number]>>;
}

/**
 * Starts a private carbon-cache. Default retentions '1s:1h,10s:1d': per-second resolution lets tests send
 * several points a second apart without them being averaged into one slot.
 */
export async function startCarbonCache(
  opts: {
    retentions?: string;
    /**
     * Regular expressions: only metrics matching one are stored (carbon's own whitelist). A test that
     * sends a big cluster's 100,000 series a cycle keeps a sample of them, so whisper keeps up.
     */
    whitelist?: readonly string[];
  } = {},
): Promise<CarbonCache> {
  const root = await makeTempRoot('graphite-carbon-');
  const confDir = path.join(root, 'conf');
  const storageDir = path.join(root, 'storage');
  const whisperDir = path.join(storageDir, 'whisper');
  const logDir = path.join(root, 'log');
  const pidDir = path.join(root, 'run');
  const listsDir = path.join(root, 'lists');
  for (const dir of [confDir, whisperDir, logDir, pidDir, listsDir]) await mkdir(dir, { recursive: true });
  const [linePort, picklePort, cacheQueryPort, udpPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];

  const confFile = path.join(confDir, 'carbon.conf');
  // Deviations from Debian's defaults that matter for tests:
  // - USER empty: run as the invoking user; Debian's `_graphite` would setuid away from our temp dirs.
  // - MAX_CREATES_PER_MINUTE inf: Debian's 50 silently drops the first points of new metrics.
  // - MAX_UPDATES_PER_SECOND inf: flush to whisper as fast as possible, so tests do not wait.
  await writeFile(
    confFile,
    [
      '[cache]',
      `STORAGE_DIR = ${storageDir}/`,
      `LOCAL_DATA_DIR = ${whisperDir}/`,
      `WHITELISTS_DIR = ${listsDir}/`,
      `CONF_DIR = ${confDir}/`,
      `LOG_DIR = ${logDir}/`,
      `PID_DIR = ${pidDir}/`,
      'USER =',
      'DATABASE = whisper',
      'ENABLE_LOGROTATION = False',
      'MAX_CACHE_SIZE = inf',
      'MAX_UPDATES_PER_SECOND = inf',
      'MAX_CREATES_PER_MINUTE = inf',
      'CACHE_WRITE_STRATEGY = sorted',
      'WHISPER_FALLOCATE_CREATE = True',
      `LINE_RECEIVER_INTERFACE = ${HOST}`,
      `LINE_RECEIVER_PORT = ${linePort}`,
      'ENABLE_UDP_LISTENER = True',
      `UDP_RECEIVER_INTERFACE = ${HOST}`,
      `UDP_RECEIVER_PORT = ${udpPort}`,
      `PICKLE_RECEIVER_INTERFACE = ${HOST}`,
      `PICKLE_RECEIVER_PORT = ${picklePort}`,
      `CACHE_QUERY_INTERFACE = ${HOST}`,
      `CACHE_QUERY_PORT = ${cacheQueryPort}`,
      `USE_WHITELIST = ${opts.whitelist ? 'True' : 'False'}`,
      '',
    ].join('\n'),
  );
  // Carbon reads its whitelist from CONF_DIR (WHITELISTS_DIR only holds the aggregator's lists).
  if (opts.whitelist) await writeFile(path.join(confDir, 'whitelist.conf'), `${opts.whitelist.join('\n')}\n`);
  const retentions = opts.retentions ?? '1s:1h,10s:1d';
  await writeFile(
    path.join(confDir, 'storage-schemas.conf'),
    `[all]\npattern = .*\nretentions = ${retentions}\n`,
  );
  await writeFile(
    path.join(confDir, 'storage-aggregation.conf'),
    '[all]\npattern = .*\nxFilesFactor = 0\naggregationMethod = average\n',
  );

  const logFile = path.join(logDir, 'console.log');
  let daemon: Daemon | undefined;

  const metricFile = (metric: string) => path.join(whisperDir, ...metric.split('.')) + '.wsp';

  const cache: CarbonCache = {
    host: HOST,
    linePort,
    udpPort,
    picklePort,
    cacheQueryPort,
    storageDir,
    whisperDir,
    async start() {
      if (daemon && !hasExited(daemon)) return;
      // A pidfile left by a SIGKILLed carbon makes `start` refuse if its pid has been reused.
      await rm(path.join(pidDir, 'carbon-cache-a.pid'), { force: true });
      const d = spawnDaemon('carbon-cache', [`--config=${confFile}`, '--nodaemon', 'start'], logFile);
      daemon = d;
      await waitForPorts('carbon-cache', d, [linePort, picklePort, cacheQueryPort], logFile);
    },
    async stop() {
      await stopDaemon(daemon);
    },
    async fetch(metric, fromSec, untilSec) {
      const buf = await readFile(metricFile(metric)).catch(() => undefined);
      return buf ? readWhisper(buf, fromSec, untilSec) : [];
    },
    async listMetrics() {
      const entries = await readdir(whisperDir, { recursive: true });
      return entries
        .filter((e) => e.endsWith('.wsp'))
        .map((e) => e.slice(0, -'.wsp'.length).split(path.sep).join('.'))
        .sort();
    },
    async waitForPoints(metric, minPoints = 1, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const points = await cache.fetch(metric);
        if (points.length >= minPoints) return points;
        if (Date.now() > deadline) {
          const stored = await cache.listMetrics();
          const shown =
            stored.length > 50
              ? `${stored.slice(0, 50).join(', ')}, ... (${stored.length})`
              : stored.join(', ');
          throw new Error(
            `carbon-cache: metric "${metric}" has ${points.length} point(s) ${JSON.stringify(points)} after ` +
              `${timeoutMs} ms, wanted ${minPoints}; stored metrics: [${shown}]; ` +
              `carbon running: ${daemon !== undefined && !hasExited(daemon)}; log tail:\n${await logTail(logFile, 1500)}`,
          );
        }
        await sleep(100);
      }
    },
  };
  await cache.start();
  return cache;
}

/**
 * Parses whisper directly (big-endian header, archive table, then ring buffers of u32 timestamp + f64 value)
 * instead of spawning `whisper-fetch`: polling hundreds of metrics would otherwise start hundreds of Pythons.
 */
function readWhisper(buf: Buffer, fromSec?: number, untilSec?: number): Array<[number, number]> {
  // A file carbon is still creating may be shorter than its header; treat it as empty for now.
  if (buf.length < 16) return [];
  const archiveCount = buf.readUInt32BE(12);
  const archives: Array<{ offset: number; step: number; points: number }> = [];
  for (let i = 0; i < archiveCount; i++) {
    const at = 16 + i * 12;
    if (buf.length < at + 12) return [];
    archives.push({
      offset: buf.readUInt32BE(at),
      step: buf.readUInt32BE(at + 4),
      points: buf.readUInt32BE(at + 8),
    });
  }
  if (archives.length === 0) return [];
  const now = Math.floor(Date.now() / 1000);
  const until = Math.min(untilSec ?? now, now);
  const finest = archives[0]!;
  const from = fromSec ?? now - finest.step * finest.points;
  const archive = archives.find((a) => a.step * a.points >= now - from) ?? archives[archives.length - 1]!;
  // Slots older than the archive's window are leftovers from a previous lap of the ring, not live data.
  const oldest = Math.max(from, now - archive.step * archive.points);
  const out: Array<[number, number]> = [];
  for (let i = 0; i < archive.points; i++) {
    const at = archive.offset + i * 12;
    if (buf.length < at + 12) break;
    const ts = buf.readUInt32BE(at);
    const value = buf.readDoubleBE(at + 4);
    if (ts !== 0 && ts >= oldest && ts <= until && Number.isFinite(value)) out.push([ts, value]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

// ---------------------------------------------------------------------------------------------------------
// graphite-web

export interface GraphiteWeb {
  url: string;
  stop(): Promise<void>;
  /**
   * GET /render?format=json. Default `from` is '-10min' rather than Graphite's '-24h', so that the finest
   * (1 s) archive is read instead of 10 s averages. Note that graphite-web answers `200 []` both for a
   * missing metric and for a malformed target, and only finds metrics whose whisper file already exists.
   */
  render(
    target: string,
    from?: string,
  ): Promise<Array<{ target: string; datapoints: Array<[number | null, number]> }>>;
}

/** Starts graphite-web (Django dev server) reading the given cache's whisper files plus its CARBONLINK. */
export async function startGraphiteWeb(carbon: CarbonCache): Promise<GraphiteWeb> {
  const root = await makeTempRoot('graphite-web-');
  const pyDir = path.join(root, 'py');
  const logDir = path.join(root, 'log');
  await mkdir(pyDir, { recursive: true });
  await mkdir(logDir, { recursive: true });
  const port = await freePort();
  const moduleName = 'harness_local_settings';
  const py = (s: string) => JSON.stringify(s); // JSON strings are valid Python string literals
  await writeFile(
    path.join(pyDir, `${moduleName}.py`),
    [
      `SECRET_KEY = ${py(`harness-${process.pid}-${port}`)}`,
      `STORAGE_DIR = ${py(`${carbon.storageDir}/`)}`,
      `WHISPER_DIR = ${py(`${carbon.whisperDir}/`)}`,
      `LOG_DIR = ${py(`${logDir}/`)}`,
      `INDEX_FILE = ${py(path.join(root, 'index'))}`,
      `CARBONLINK_HOSTS = [${py(`${carbon.host}:${carbon.cacheQueryPort}:a`)}]`,
      `DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': ${py(path.join(root, 'graphite.db'))}}}`,
      '',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PYTHONPATH: `${pyDir}:/usr/lib/python3/dist-packages`,
    GRAPHITE_SETTINGS_MODULE: moduleName,
    DJANGO_SETTINGS_MODULE: 'graphite.settings',
    PYTHONDONTWRITEBYTECODE: '1',
  };
  const logFile = path.join(logDir, 'console.log');
  await runToCompletion(
    'graphite-manage migrate',
    'graphite-manage',
    ['migrate', '--run-syncdb'],
    logFile,
    env,
  );
  const daemon = spawnDaemon('graphite-manage', ['runserver', '--noreload', `${HOST}:${port}`], logFile, env);
  await waitForPorts('graphite-web', daemon, [port], logFile);
  const url = `http://${HOST}:${port}`;

  return {
    url,
    stop: () => stopDaemon(daemon),
    async render(target, from = '-10min') {
      const query = new URLSearchParams({ format: 'json', target, from });
      const res = await fetch(`${url}/render?${query}`);
      const body = await res.text();
      if (!res.ok)
        throw new Error(`graphite-web render ${target}: HTTP ${res.status}: ${body.slice(0, 500)}`);
      return JSON.parse(body);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// carbon-c-relay

export interface CarbonRelay {
  host: string;
  /** Plaintext (line) TCP port. */
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts carbon-c-relay consistently hashing every metric over `caches` (plaintext line ports).
 * Default 'fnv1a_ch', which hashes ip:port. For 'carbon_ch' each cache gets an instance name (`c0`, `c1`, ...)
 * because carbon_ch hashes the IP without the port: with every cache on 127.0.0.1 it would otherwise send
 * everything to a single cache. The relay's own statistics go to a blackhole so caches only hold test data.
 */
export async function startCarbonCRelay(
  caches: CarbonCache[],
  hashing: 'carbon_ch' | 'fnv1a_ch' = 'fnv1a_ch',
): Promise<CarbonRelay> {
  if (caches.length === 0) throw new Error('startCarbonCRelay: need at least one carbon cache');
  const root = await makeTempRoot('graphite-relay-');
  const port = await freePort();
  const servers = caches.map(
    (c, i) => `    ${c.host}:${c.linePort}${hashing === 'carbon_ch' ? `=c${i}` : ''}`,
  );
  const confFile = path.join(root, 'relay.conf');
  // An explicit listen block binds 127.0.0.1/TCP only; `-p` would bind all interfaces, UDP and a /tmp socket.
  await writeFile(
    confFile,
    [
      'listen',
      '  type linemode',
      `    ${HOST}:${port} proto tcp`,
      '  ;',
      'statistics',
      '  submit every 60 seconds',
      '  send to blackhole',
      '  stop',
      '  ;',
      'cluster caches',
      `  ${hashing}`,
      ...servers,
      '  ;',
      'match *',
      '  send to caches',
      '  stop',
      '  ;',
      '',
    ].join('\n'),
  );
  const logFile = path.join(root, 'relay.log');
  const daemon = spawnDaemon('carbon-c-relay', ['-f', confFile, '-l', logFile], logFile);
  await waitForPorts('carbon-c-relay', daemon, [port], logFile);
  return { host: HOST, port, stop: () => stopDaemon(daemon) };
}
