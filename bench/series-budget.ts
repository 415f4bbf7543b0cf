/**
 * What the series budget saves es-collector: CPU and memory per interval under `--profile full`,
 * with the per-index series excluded (`--exclude 'es.*.indices.**'`), and under `--profile
 * essential`.
 *
 *   npm run bench -- series-budget [--rounds 2] [--intervals 5] [--nodes 200] [--indices 5000]
 *
 * The built es-collector polls a synthesised cluster (bench/lib/es-cluster.ts) at its defaults
 * (10 s, `--indices-top 100`) and sends to a counting sink. The modes, each a fresh process, run in
 * turn `--rounds` times. After two warm-up cycles, CPU is utime+stime of the agent over `--intervals`
 * intervals, from just before a tick; lines are what the sink received meanwhile.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { sharedSkip } from '../test/harness/fixtures.js';
import { buildAgents, startBuiltAgent, untilBeforeTick } from './lib/agents.js';
import { startBigCluster } from './lib/es-cluster.js';
import { startLineSink } from './lib/line-sink.js';
import { cpuMs, rssBytes } from './lib/proc.js';
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
  console.error(`series-budget: ${skip}`);
  process.exit(1);
}

interface Mode {
  name: string;
  args: string[];
}
const MODES: Mode[] = [
  { name: 'full', args: [] },
  { name: "full, --exclude 'es.*.indices.**'", args: ['--exclude', 'es.*.indices.**'] },
  { name: 'essential', args: ['--profile', 'essential'] },
];

interface Measured {
  cpuMsPerInterval: number;
  linesPerInterval: number;
  rssBytes: number;
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
        `round ${round}: ${mode.name}: ${formatNumber(measured.cpuMsPerInterval)} ms CPU and ${formatNumber(measured.linesPerInterval)} lines per interval`,
      );
    }
  }
} finally {
  await sink.close();
  await cluster.close();
}

async function measure(mode: Mode): Promise<Measured> {
  const agent = await startBuiltAgent('es-collector', [
    '--es',
    cluster.url,
    '--cluster',
    'bench',
    '--carbon',
    `127.0.0.1:${sink.port}`,
    '--self-metrics',
    'false',
    ...mode.args,
  ]);
  try {
    await agent.waitForStatus(
      (status) => (status as { jobs: { bench?: { runs: number } } }).jobs.bench?.runs === 2,
    );
    await untilBeforeTick(INTERVAL_MS, 500);
    const before = cpuMs(agent.pid);
    const linesBefore = sink.lines;
    await sleep(Number(flags.intervals) * INTERVAL_MS);
    return {
      cpuMsPerInterval: (cpuMs(agent.pid) - before) / Number(flags.intervals),
      linesPerInterval: (sink.lines - linesBefore) / Number(flags.intervals),
      rssBytes: rssBytes(agent.pid),
    };
  } finally {
    await agent.stop();
  }
}

const base = median(results.get(MODES[0]!.name)!.map((each) => each.cpuMsPerInterval));
console.log(
  `## What the series budget saves (es-collector, ${flags.nodes} nodes, ${flags.indices} indices)\n`,
);
console.log(`\`\`\`\n${machine()}\n\`\`\`\n`);
console.log(
  table(
    ['mode', 'lines per interval', 'CPU ms per interval, median (min–max)', 'vs full', 'RSS at the end'],
    MODES.map((mode) => {
      const runs = results.get(mode.name)!;
      const cpu = runs.map((each) => each.cpuMsPerInterval);
      const middle = median(cpu);
      return [
        mode.name,
        formatNumber(median(runs.map((each) => each.linesPerInterval))),
        `${formatNumber(middle)} (${formatNumber(Math.min(...cpu))}–${formatNumber(Math.max(...cpu))})`,
        `${formatNumber(middle / base, 2)}×`,
        formatMiB(median(runs.map((each) => each.rssBytes))),
      ];
    }),
  ),
);
