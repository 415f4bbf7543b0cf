/**
 * The spool's end-to-end scenario, shared by the CI test (test/faults/spool-outage.test.ts, about two
 * minutes) and the benchmark (bench/spool-outage.ts, 30 minutes): an agent with a spool sends to a
 * real carbon-cache and, in replicate mode, to a recording sink that never goes away. Carbon is
 * stopped (between two cycles, once what it was sent is in whisper: what the kernel has accepted when
 * carbon dies is lost by the plaintext protocol itself), the agent is `kill -9`ed and restarted
 * during the outage, carbon is started again, and every point of the sampled series the sink
 * received must then be in whisper, with its value. /healthz is read all along: it must stay 200.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AgentProcess, startAgent } from './agent.js';
import { type CarbonCache, freePort, startCarbonCache } from './graphite.js';

export interface SpoolOutageOptions {
  /** The agent's CLI (from the repo root) and its own arguments (its source: --es, --docker, ...). */
  cli: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Series kept by carbon and compared: an anchored regular expression on the full name. */
  sample: string;
  intervalMs: number;
  /** How long carbon is down, and when (from the start of the outage) the agent is killed. */
  outageMs: number;
  killAtMs: number;
  log: (message: string) => void;
}

export interface SpoolOutageResult {
  /** Distinct sampled series, and their points, received by the sink (= sent by the agent). */
  series: number;
  points: number;
  /** Points the sink received that whisper does not hold (or holds with another value), a few shown. */
  missing: number;
  missingShown: string[];
  /** The outage's points alone: timestamps from carbon's stop to its start. */
  outagePoints: number;
  /** Largest spool seen during the outage, and the spool counters at the end (restarted agent). */
  spoolPeakBytes: number;
  spool: { replayed_lines: number; dropped_bytes: number; corrupt_records: number };
  /** Every /healthz status code seen while carbon was down (must be 200 only). */
  healthCodes: number[];
  /** How long after carbon came back the spool was empty again. */
  drainMs: number;
}

/** Records every line of the sampled series: name -> timestamp -> value. */
async function startRecordingSink(
  sample: RegExp,
): Promise<{ port: number; points: Map<string, Map<number, number>>; close(): Promise<void> }> {
  const points = new Map<string, Map<number, number>>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    let carry = '';
    socket.on('data', (chunk: Buffer) => {
      const text = carry + chunk.toString('latin1');
      const end = text.lastIndexOf('\n');
      carry = text.slice(end + 1);
      for (const line of text.slice(0, end).split('\n')) {
        const space = line.indexOf(' ');
        const name = line.slice(0, space);
        if (!sample.test(name)) continue;
        const [value, ts] = line.slice(space + 1).split(' ');
        const series = points.get(name) ?? new Map<number, number>();
        points.set(name, series);
        series.set(Number(ts), Number(value));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    points,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Points the sink holds that whisper lacks (or holds with another value), from `fromSec`. */
async function missingPoints(
  carbon: CarbonCache,
  points: Map<string, Map<number, number>>,
  fromSec = 0,
): Promise<{ missing: string[]; total: number }> {
  const missing: string[] = [];
  let total = 0;
  for (const [name, series] of points) {
    const stored = new Map(await carbon.fetch(name, Math.min(...series.keys()) - 1));
    for (const [ts, value] of series) {
      if (ts < fromSec) continue;
      total++;
      if (stored.get(ts) !== value) missing.push(`${name}@${ts}=${value} (whisper: ${stored.get(ts)})`);
    }
  }
  return { missing, total };
}

export async function runSpoolOutage(options: SpoolOutageOptions): Promise<SpoolOutageResult> {
  const { log, intervalMs } = options;
  const sample = new RegExp(options.sample);
  const carbon = await startCarbonCache({
    retentions: `${intervalMs / 1000}s:6h`,
    whitelist: [options.sample],
  });
  const sink = await startRecordingSink(sample);
  const spoolDir = mkdtempSync(join(tmpdir(), 'stoker-spool-outage-'));
  const httpPort = await freePort();
  const start = () =>
    startAgent(
      options.cli,
      [
        ...options.args,
        '--interval',
        `${intervalMs}ms`,
        '--carbon',
        `127.0.0.1:${carbon.linePort}`,
        '--carbon',
        `127.0.0.1:${sink.port}`,
        '--spool-dir',
        spoolDir,
      ],
      { httpPort, env: options.env },
    );
  let agent: AgentProcess = start();
  try {
    const runs = (status: any) => Object.values(status.jobs as Record<string, { runs: number }>)[0]!.runs;
    await agent.waitForStatus((s) => runs(s) >= 2, 120_000);
    log(`agent up, ${sink.points.size} sampled series; stopping carbon between two cycles`);

    // Carbon stops once every point it was sent is in whisper, before the next cycle.
    for (let attempt = 0; ; attempt++) {
      const before = await agent.waitForStatus((s) => s.sender.queued_lines === 0, 60_000);
      const { missing } = await missingPoints(carbon, sink.points);
      const now = (await agent.get('/status')).body;
      if (missing.length === 0 && runs(now) === runs(before) && now.sender.queued_lines === 0) break;
      if (attempt > 60)
        throw new Error(`whisper never caught up with the sink: ${missing.slice(0, 5).join(', ')}`);
      await sleep(500);
    }
    await carbon.stop();
    const outageStartSec = Math.floor(Date.now() / 1000);
    const outageStartMs = Date.now();
    log('carbon stopped');

    const healthCodes: number[] = [];
    let spoolPeakBytes = 0;
    let killed = false;
    while (Date.now() - outageStartMs < options.outageMs) {
      const health = await agent.get('/healthz').catch(() => undefined);
      if (health) healthCodes.push(health.status);
      const status = (await agent.get('/status').catch(() => undefined))?.body;
      spoolPeakBytes = Math.max(spoolPeakBytes, status?.sender?.spool?.bytes ?? 0);
      if (!killed && Date.now() - outageStartMs >= options.killAtMs) {
        // Right after a cycle has been queued (it is in the spool then), not in the middle of one:
        // a cycle cut short by kill -9 was never complete, its lines are not expected anywhere.
        const done = runs(status);
        await agent.waitForStatus((s) => runs(s) > done && s.sender.queued_lines === 0, 3 * intervalMs);
        agent.child.kill('SIGKILL');
        await agent.exited;
        log(`agent killed with SIGKILL (spool ${spoolPeakBytes} bytes); restarting it`);
        agent = start();
        await agent.waitForStatus(() => true, 60_000);
        killed = true;
      }
      await sleep(2000);
    }
    await carbon.start();
    const carbonBackMs = Date.now();
    log('carbon started again; waiting for the spool to drain');
    const drained = await agent.waitForStatus(
      (s) => s.sender.reachable && s.sender.spool.bytes === 0 && s.sender.queued_lines === 0,
      Math.max(300_000, options.outageMs * 2),
    );
    const drainMs = Date.now() - carbonBackMs;
    await agent.waitForStatus((s) => runs(s) > runs(drained), 3 * intervalMs);
    const end = (await agent.get('/status')).body;
    const exit = await agent.stop();
    if (exit !== 0) throw new Error(`agent exited ${exit}: ${agent.stderr().slice(-2000)}`);
    log(`spool drained in ${drainMs} ms; comparing the sink's points with whisper`);

    let result = await missingPoints(carbon, sink.points);
    for (let wait = 0; result.missing.length > 0 && wait < 120; wait++) {
      // Carbon writes asynchronously: give it time to write what it received.
      await sleep(1000);
      result = await missingPoints(carbon, sink.points);
    }
    const outage = await missingPoints(carbon, sink.points, outageStartSec);
    return {
      series: sink.points.size,
      points: result.total,
      missing: result.missing.length,
      missingShown: result.missing.slice(0, 10),
      outagePoints: outage.total,
      spoolPeakBytes,
      spool: {
        replayed_lines: end.sender.spool.replayed_lines,
        dropped_bytes: end.sender.spool.dropped_bytes,
        corrupt_records: end.sender.spool.corrupt_records,
      },
      healthCodes,
      drainMs,
    };
  } finally {
    if (agent.child.exitCode === null) await agent.stop('SIGKILL');
    await sink.close();
    await carbon.stop();
  }
}
