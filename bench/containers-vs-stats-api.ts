/**
 * container-collector vs Docker's stats API (what `docker stats` and Telegraf's docker input use) on
 * the same real containers of a private dockerd (test/harness/dockerd.ts), N = 50 and 200 busybox
 * `sleep` containers.
 *
 *   npm run bench -- containers-vs-stats-api [--rounds 5] [--sizes 50,200] [--rss-cycles 1000]
 *     [--head-interval 10] [--warmup-cycles 5] [--parts head,cpu,rss]
 *
 * One full collection:
 * - container-collector (built, long-running, sending to a counting TCP sink, at its default 10 s
 *   interval, after --warmup-cycles cycles that compile its code): one cycle. Wall is the
 *   cycle's duration from /status; CPU is utime+stime of the agent (and of any children it ran) from
 *   1 s before its tick to 2 s after it, with its lines all at the sink; /status is not polled
 *   meanwhile (answering it would count as the agent's CPU), so the figure includes the agent's idle
 *   work of those 3 s (timers, its self-metrics job when it falls in the window).
 * - the one-shot stats API: N concurrent `GET /containers/<id>/stats?stream=false&one-shot=true`
 *   (Telegraf's way, one request per container at once). CPU is that of dockerd + containerd + every
 *   containerd-shim of this daemon, from /proc, until 300 ms after the last answer.
 * - `docker stats --no-stream` for reference (it waits for a second sample per container).
 * Rounds alternate between the three. Then the agent alone at a 10 s interval (CPU share of a core
 * over a minute, nothing polling it), and at a 1 s interval for --rss-cycles cycles (RSS and the
 * cycle's duration every 10 cycles: a cycle 1 s after the last runs on warm caches and a busy CPU,
 * one 10 s after it does not). `--parts head,cpu,rss` picks which of the three parts run.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Agent, request } from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import { type Dockerd, dockerSkip, startDockerd, type TestContainer } from '../test/harness/dockerd.js';
import { buildAgents, type RunningAgent, startBuiltAgent, untilBeforeTick } from './lib/agents.js';
import { type LineSink, startLineSink } from './lib/line-sink.js';
import { commOf, cpuMs, cpuMsOf, pidsWithCmdline, reapedChildrenCpuMs, rssBytes } from './lib/proc.js';
import {
  formatMiB,
  formatNumber,
  loadNow,
  log,
  machine,
  maxOf,
  median,
  minOf,
  slopePer1000,
  table,
  type Verdict,
  verdictTable,
} from './lib/report.js';

const execFileAsync = promisify(execFile);

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    sizes: { type: 'string', default: '50,200' },
    /** Interval of the agent during the alternating rounds (its default); the API and docker stats fit between ticks. */
    'head-interval': { type: 'string', default: '10' },
    /** Cycles the agent runs before the rounds: its first ones compile its code, as once in a process's life. */
    'warmup-cycles': { type: 'string', default: '5' },
    'rss-cycles': { type: 'string', default: '1000' },
    'cpu-intervals': { type: 'string', default: '6' },
    /** Which parts run: head (one collection vs the API), cpu (share of a core), rss (RSS over cycles). */
    parts: { type: 'string', default: 'head,cpu,rss' },
  },
});
const ROUNDS = Math.max(1, Number(flags.rounds));
const SIZES = flags.sizes.split(',').map(Number);
const SETTLE_MS = 300;
const DOCKER_CLI = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

const skip = dockerSkip();
if (skip) {
  console.log(`skipped: ${skip}`);
  process.exit(0);
}

const verdicts: Verdict[] = [];
const sections: string[] = [];
const fmt = (values: number[], digits = 0) =>
  `${formatNumber(median(values), digits)} (${formatNumber(minOf(values), digits)}–${formatNumber(maxOf(values), digits)})`;

/** dockerd, containerd and the shims of this private daemon (found by its temp dir on their command lines). */
function daemonPids(dockerd: Dockerd): number[] {
  const root = path.dirname(dockerd.address.replace(/^unix:\/\//, ''));
  return pidsWithCmdline(root).filter((pid) => /^(dockerd|containerd)/.test(commOf(pid)));
}

function dockerGet(socketPath: string, agent: Agent, urlPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: urlPath, agent }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on('end', () =>
        res.statusCode === 200 ? resolve(bytes) : reject(new Error(`${urlPath}: HTTP ${res.statusCode}`)),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

interface Measured {
  wallMs: number;
  daemonCpuMs: number;
  clientCpuMs: number;
}

/** N concurrent one-shot stats requests, one per container. */
async function oneShotCollection(dockerd: Dockerd, ids: readonly string[]): Promise<Measured> {
  const socketPath = dockerd.address.replace(/^unix:\/\//, '');
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const pids = daemonPids(dockerd);
  const daemonBefore = cpuMsOf(pids);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    ids.map((id) => dockerGet(socketPath, agent, `/containers/${id}/stats?stream=false&one-shot=true`)),
  );
  const wallMs = performance.now() - started;
  const client = process.cpuUsage(clientBefore);
  await sleep(SETTLE_MS);
  agent.destroy();
  return {
    wallMs,
    daemonCpuMs: cpuMsOf(pids) - daemonBefore,
    clientCpuMs: (client.user + client.system) / 1000,
  };
}

/** `docker stats --no-stream`: the command operators run; the CLI's own CPU counts as client. */
async function dockerStatsCli(dockerd: Dockerd): Promise<Measured & { rows: number }> {
  const pids = daemonPids(dockerd);
  const daemonBefore = cpuMsOf(pids);
  const clientBefore = reapedChildrenCpuMs(process.pid);
  const started = performance.now();
  const { stdout } = await execFileAsync(DOCKER_CLI, ['-H', dockerd.address, 'stats', '--no-stream'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = performance.now() - started;
  await sleep(SETTLE_MS);
  return {
    wallMs,
    daemonCpuMs: cpuMsOf(pids) - daemonBefore,
    clientCpuMs: reapedChildrenCpuMs(process.pid) - clientBefore,
    rows: stdout.trim().split('\n').length - 1,
  };
}

async function startContainers(dockerd: Dockerd, running: TestContainer[], count: number): Promise<void> {
  const started = performance.now();
  const missing = count - running.length;
  let next = running.length;
  const workers = Array.from({ length: 8 }, async () => {
    while (next < count) {
      const index = ++next;
      running.push(
        await dockerd.run({ name: `bench-${String(index).padStart(3, '0')}`, cmd: 'exec sleep 3600' }),
      );
    }
  });
  await Promise.all(workers);
  if (missing > 0)
    log(
      `started ${missing} containers in ${formatNumber((performance.now() - started) / 1000, 1)} s (${running.length} running)`,
    );
}

async function startCollector(dockerd: Dockerd, sink: LineSink, intervalS: number, count: number) {
  const agent = await startBuiltAgent('container-collector', [
    '--docker',
    dockerd.address,
    '--carbon',
    `127.0.0.1:${sink.port}`,
    '--interval',
    `${intervalS}s`,
    '--host-name',
    'bench',
    '--instance',
    'bench',
    '--log-level',
    'warn',
  ]);
  // Discovery lists the containers, then inspects each once; the first cycle seeds the rates.
  await agent.waitForStatus(
    (s) =>
      (s['container-collector']?.containers?.length ?? 0) >= count && (s.jobs?.containers?.runs ?? 0) >= 1,
    120_000,
  );
  return agent;
}

async function waitForRun(agent: RunningAgent, afterRuns: number, timeoutMs: number) {
  return agent.waitForStatus((s) => (s.jobs?.containers?.runs ?? 0) > afterRuns, timeoutMs);
}

/** One agent cycle, from just before its tick to its last line at the sink. */
async function agentCycle(agent: RunningAgent, sink: LineSink, dockerd: Dockerd, intervalMs: number) {
  const runs = (await agent.status()).jobs.containers.runs as number;
  await untilBeforeTick(intervalMs, 1000);
  const pids = daemonPids(dockerd);
  const daemonBefore = cpuMsOf(pids);
  const before = cpuMs(agent.pid, { children: true });
  const linesBefore = sink.lines;
  // Not polling /status during the cycle (its answers would count as the agent's CPU): the tick is
  // 1 s away and a cycle takes well under 2 s; only then is /status asked, and polled if not done.
  await sleep(3000);
  await sink.quiet(SETTLE_MS);
  const status = await waitForRun(agent, runs, intervalMs * 3);
  return {
    wallMs: status.jobs.containers.last_duration_ms as number,
    cpuMs: cpuMs(agent.pid, { children: true }) - before,
    daemonCpuMs: cpuMsOf(pids) - daemonBefore,
    lines: sink.lines - linesBefore,
    result: status.jobs.containers.last_result as string,
  };
}

async function headToHead(dockerd: Dockerd, containers: TestContainer[], count: number): Promise<void> {
  const intervalMs = Number(flags['head-interval']) * 1000;
  const sink = await startLineSink();
  const agent = await startCollector(dockerd, sink, intervalMs / 1000, count);
  const warmup = Number(flags['warmup-cycles']);
  await waitForRun(agent, warmup, intervalMs * (warmup + 2));
  log(`N=${count}: agent warmed up (${warmup} cycles at ${intervalMs / 1000} s)`);
  const ids = containers.slice(0, count).map((container) => container.id);
  const ours: Awaited<ReturnType<typeof agentCycle>>[] = [];
  const api: Measured[] = [];
  const cli: (Measured & { rows: number })[] = [];
  try {
    // Warm-up of all three (first API calls open shim connections; first agent cycle seeds rates).
    await oneShotCollection(dockerd, ids);
    for (let round = 1; round <= ROUNDS; round++) {
      const cycle = await agentCycle(agent, sink, dockerd, intervalMs);
      ours.push(cycle);
      const oneShot = await oneShotCollection(dockerd, ids);
      api.push(oneShot);
      const stats = await dockerStatsCli(dockerd);
      cli.push(stats);
      log(
        `N=${count} round ${round}/${ROUNDS}: container-collector ${cycle.wallMs} ms wall, ${formatNumber(cycle.cpuMs)} ms CPU (${cycle.result}), ${formatNumber(cycle.lines)} lines | one-shot API ${formatNumber(oneShot.wallMs)} ms wall, daemon ${formatNumber(oneShot.daemonCpuMs)} ms CPU | docker stats ${formatNumber(stats.wallMs)} ms, ${stats.rows} rows | ${loadNow()}`,
      );
    }
  } finally {
    await agent.stop();
    await sink.close();
  }
  const ourWall = median(ours.map((row) => row.wallMs));
  const apiWall = median(api.map((row) => row.wallMs));
  sections.push(
    `### N = ${count} containers: one full collection (medians of ${ROUNDS} alternating rounds, min–max)\n\n` +
      table(
        [
          'measure',
          'container-collector (cycle)',
          'one-shot stats API, N concurrent',
          'docker stats --no-stream',
        ],
        [
          [
            'wall ms',
            fmt(ours.map((r) => r.wallMs)),
            fmt(api.map((r) => r.wallMs)),
            fmt(cli.map((r) => r.wallMs)),
          ],
          [
            'agent / client CPU ms',
            fmt(ours.map((r) => r.cpuMs)),
            `${fmt(api.map((r) => r.clientCpuMs))} (node http client)`,
            `${fmt(cli.map((r) => r.clientCpuMs))} (docker CLI)`,
          ],
          [
            'dockerd + containerd + shims CPU ms',
            fmt(ours.map((r) => r.daemonCpuMs)),
            fmt(api.map((r) => r.daemonCpuMs)),
            fmt(cli.map((r) => r.daemonCpuMs)),
          ],
          [
            'lines / containers',
            formatNumber(median(ours.map((r) => r.lines))),
            String(count),
            String(cli[0]?.rows ?? ''),
          ],
          [
            'wall vs container-collector',
            '1×',
            `${(apiWall / ourWall).toFixed(0)}×`,
            `${(median(cli.map((r) => r.wallMs)) / ourWall).toFixed(0)}×`,
          ],
        ],
      ),
  );
  if (count === 200)
    verdicts.push({
      target: '≥ 50× less wall time than the one-shot API at N = 200',
      measured: `${formatNumber(ourWall)} ms vs ${formatNumber(apiWall)} ms = ${(apiWall / ourWall).toFixed(0)}×`,
      met: apiWall / ourWall >= 50,
    });
}

/** The agent alone at a 10 s interval: its share of one core over whole intervals. */
async function cpuShare(dockerd: Dockerd, count: number): Promise<void> {
  const intervals = Number(flags['cpu-intervals']);
  const sink = await startLineSink();
  const agent = await startCollector(dockerd, sink, 10, count);
  try {
    // No /status polling while measuring: answering it every 50 ms would be counted as the agent's CPU.
    const runsBefore = (await agent.status()).jobs.containers.runs as number;
    await untilBeforeTick(10_000, 1000);
    const startedAt = performance.now();
    const before = cpuMs(agent.pid, { children: true });
    const rss: number[] = [];
    for (let i = 0; i < intervals; i++) {
      await sleep(10_000);
      rss.push(rssBytes(agent.pid));
    }
    const elapsedMs = performance.now() - startedAt;
    const used = cpuMs(agent.pid, { children: true }) - before;
    const status = await agent.status();
    const cycles = (status.jobs.containers.runs as number) - runsBefore;
    const durations = [status.jobs.containers.last_duration_ms as number];
    const share = (used / elapsedMs) * 100;
    sections.push(
      `### N = ${count}: container-collector alone, every 10 s, ${intervals} intervals\n\n` +
        table(
          ['measure', 'value'],
          [
            [
              'CPU',
              `${formatNumber(used)} ms in ${formatNumber(elapsedMs / 1000, 1)} s = ${share.toFixed(2)}% of one core`,
            ],
            ['cycles measured', String(cycles)],
            ['cycle ms (the last one)', fmt(durations)],
            ['RSS', `${formatMiB(minOf(rss))}–${formatMiB(maxOf(rss))}`],
          ],
        ),
    );
    if (count === 200)
      verdicts.push({
        target: 'agent CPU < 1% of one core at a 10 s interval, 200 containers',
        measured: `${share.toFixed(2)}%`,
        met: share < 1,
      });
  } finally {
    await agent.stop();
    await sink.close();
  }
}

/** RSS over many cycles at the agent's shortest interval (1 s). */
async function rssOverCycles(dockerd: Dockerd, count: number): Promise<void> {
  const cycles = Number(flags['rss-cycles']);
  const sink = await startLineSink({ watch: ['self.memory.heap_used_bytes'] });
  const agent = await startCollector(dockerd, sink, 1, count);
  const samples: { cycle: number; rss: number; heap: number; durationMs: number }[] = [];
  try {
    const base = (await agent.status()).jobs.containers;
    let runs = base.runs as number;
    const started = performance.now();
    while (runs - base.runs < cycles) {
      const status = await agent.waitForStatus((s) => s.jobs.containers.runs >= runs + 10, 60_000);
      runs = status.jobs.containers.runs;
      samples.push({
        cycle: runs - base.runs,
        rss: rssBytes(agent.pid),
        heap: sink.watched.get('self.memory.heap_used_bytes') ?? Number.NaN,
        durationMs: status.jobs.containers.last_duration_ms,
      });
      if (samples.length % 10 === 0)
        log(
          `rss: ${runs - base.runs}/${cycles} cycles, RSS ${formatMiB(samples.at(-1)!.rss)}, heap ${formatMiB(samples.at(-1)!.heap)}, ${loadNow()}`,
        );
    }
    const status = await agent.status();
    const elapsedS = (performance.now() - started) / 1000;
    const skipped = status.jobs.containers.skipped_ticks - base.skipped_ticks;
    const errors = status.jobs.containers.errors - base.errors;
    // The first 10% are warm-up (JIT, pools, the heap finding its size): compared, not judged.
    const warm = samples.filter((sample) => sample.cycle > cycles * 0.1);
    const slope = slopePer1000(warm.map((s) => [s.cycle, s.rss]));
    const heapSlope = slopePer1000(warm.map((s) => [s.cycle, s.heap]));
    const first = warm[0]!;
    const last = warm.at(-1)!;
    sections.push(
      `### N = ${count}: RSS over ${formatNumber(runs - base.runs)} cycles at a 1 s interval (${formatNumber(elapsedS)} s)\n\n` +
        table(
          ['measure', 'value'],
          [
            ['RSS after 10% of the cycles → at the end', `${formatMiB(first.rss)} → ${formatMiB(last.rss)}`],
            [
              'RSS min–max after warm-up',
              `${formatMiB(minOf(warm.map((s) => s.rss)))}–${formatMiB(maxOf(warm.map((s) => s.rss)))}`,
            ],
            ['RSS trend (least squares) per 1,000 cycles', formatMiB(slope)],
            ['heap used trend per 1,000 cycles', formatMiB(heapSlope)],
            ['skipped ticks / failed cycles', `${skipped} / ${errors}`],
            [
              'cycle ms, every 10th cycle after warm-up (a cycle 1 s after the last: hot)',
              fmt(warm.map((s) => s.durationMs)),
            ],
          ],
        ),
    );
    verdicts.push({
      target: `RSS flat over ${formatNumber(runs - base.runs)} cycles (no growth: trend < 5 MiB per 1,000 cycles)`,
      measured: `${formatMiB(first.rss)} → ${formatMiB(last.rss)}, trend ${formatMiB(slope)} per 1,000 cycles`,
      // Memory that falls is no leak: only growth fails.
      met: slope < 5 * 1024 * 1024,
    });
  } finally {
    await agent.stop();
    await sink.close();
  }
}

buildAgents();
console.log(`## container-collector vs Docker's stats API\n\n\`\`\`\n${machine()}\n\`\`\`\n`);
const dockerd = await startDockerd();
const containers: TestContainer[] = [];
try {
  const parts = new Set(flags.parts.split(','));
  for (const count of SIZES) {
    await startContainers(dockerd, containers, count);
    if (parts.has('head')) await headToHead(dockerd, containers, count);
    if (parts.has('cpu')) await cpuShare(dockerd, count);
  }
  if (parts.has('rss') && Number(flags['rss-cycles']) > 0) await rssOverCycles(dockerd, Math.max(...SIZES));
  for (const section of sections) console.log(`${section}\n`);
  console.log(`### Targets\n\n${verdictTable(verdicts)}\n\n${loadNow()} at the end`);
} finally {
  log('removing containers and stopping the private dockerd');
  await dockerd.stop();
}
