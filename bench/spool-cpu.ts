/**
 * What the disk spool costs es-collector: CPU and memory per interval with and without
 * `--spool-dir`, while carbon takes the lines and while it is away.
 *
 *   npm run bench -- spool-cpu [--rounds 2] [--intervals 5] [--nodes 200] [--indices 5000]
 *
 * The built es-collector polls a synthesised cluster (bench/lib/es-cluster.ts) at its defaults
 * (10 s, `--indices-top 100`: ~110,000 lines a cycle). Four modes, each a fresh process, run in turn
 * `--rounds` times: carbon up (a counting sink) without and with a spool, and carbon away (a port
 * nothing listens on) without a spool (the memory queue fills and drops its oldest lines) and with
 * one (every line goes to disk). After two warm-up cycles, CPU is utime+stime of the agent over
 * `--intervals` intervals, from just before a tick; RSS is read at the end, peak RSS is VmHWM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { sharedSkip } from '../test/harness/fixtures.js';
import { buildAgents, freePort, startBuiltAgent, untilBeforeTick } from './lib/agents.js';
import { startBigCluster } from './lib/es-cluster.js';
import { startLineSink } from './lib/line-sink.js';
import { cpuMs, peakRssBytes, rssBytes } from './lib/proc.js';
import { formatMiB, formatNumber, log, machine, median, table } from './lib/report.js';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    intervals: { type: 'string', default: '5' },
    nodes: { type: 'string', default: '200' },
    indices: { type: 'string', default: '5000' },
  },
});
const INTERVAL_MS = 10_000;
const skip = sharedSkip();
if (skip) {
  console.error(`spool-cpu: ${skip}`);
  process.exit(1);
}

interface Mode {
  name: string;
  carbonUp: boolean;
  spool: boolean;
}
const MODES: Mode[] = [
  { name: 'carbon up, memory only', carbonUp: true, spool: false },
  { name: 'carbon up, spool', carbonUp: true, spool: true },
  { name: 'carbon away, memory only', carbonUp: false, spool: false },
  { name: 'carbon away, spooling', carbonUp: false, spool: true },
];

interface Measured {
  cpuMsPerInterval: number;
  rssBytes: number;
  peakRssBytes: number;
}

buildAgents();
const cluster = await startBigCluster({ nodes: Number(flags.nodes), indices: Number(flags.indices) });
const sink = await startLineSink();
const results = new Map<string, Measured[]>(MODES.map((mode) => [mode.name, []]));
try {
  for (let round = 1; round <= Number(flags.rounds); round++) {
    for (const mode of MODES) {
      const measured = await measure(mode);
      results.get(mode.name)!.push(measured);
      log(
        `round ${round}: ${mode.name}: ${formatNumber(measured.cpuMsPerInterval)} ms CPU per interval, RSS ${formatMiB(measured.rssBytes)}`,
      );
    }
  }
} finally {
  await sink.close();
  await cluster.close();
}

async function measure(mode: Mode): Promise<Measured> {
  const spoolDir = mode.spool ? mkdtempSync(path.join(os.tmpdir(), 'stoker-spool-bench-')) : undefined;
  const carbonPort = mode.carbonUp ? sink.port : await freePort();
  const agent = await startBuiltAgent('es-collector', [
    '--es',
    cluster.url,
    '--cluster',
    'bench',
    '--carbon',
    `127.0.0.1:${carbonPort}`,
    '--self-metrics',
    'false',
    ...(spoolDir ? ['--spool-dir', spoolDir] : []),
  ]);
  try {
    await agent.waitForStatus(
      (status) => (status as { jobs: { bench?: { runs: number } } }).jobs.bench?.runs === 2,
    );
    await untilBeforeTick(INTERVAL_MS, 500);
    const before = cpuMs(agent.pid);
    await sleep(Number(flags.intervals) * INTERVAL_MS);
    return {
      cpuMsPerInterval: (cpuMs(agent.pid) - before) / Number(flags.intervals),
      rssBytes: rssBytes(agent.pid),
      peakRssBytes: peakRssBytes(agent.pid),
    };
  } finally {
    await agent.stop();
    if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
  }
}

const base = median(results.get(MODES[0]!.name)!.map((each) => each.cpuMsPerInterval));
console.log(`## The spool's cost (es-collector, ${flags.nodes} nodes, ${flags.indices} indices)\n`);
console.log(`\`\`\`\n${machine()}\n\`\`\`\n`);
console.log(
  table(
    [
      'mode',
      'CPU ms per interval, median (min–max)',
      'vs carbon up, memory only',
      'RSS at the end',
      'peak RSS',
    ],
    MODES.map((mode) => {
      const runs = results.get(mode.name)!;
      const cpu = runs.map((each) => each.cpuMsPerInterval);
      const middle = median(cpu);
      return [
        mode.name,
        `${formatNumber(middle)} (${formatNumber(Math.min(...cpu))}–${formatNumber(Math.max(...cpu))})`,
        `${formatNumber(middle / base, 2)}×`,
        formatMiB(median(runs.map((each) => each.rssBytes))),
        formatMiB(Math.max(...runs.map((each) => each.peakRssBytes))),
      ];
    }),
  ),
);
