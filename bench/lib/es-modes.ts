/**
 * es-collector's CPU and memory per interval under several modes (sets of flags), for benchmarks
 * that compare modes of one agent: a synthesised cluster (`--nodes`, `--indices`, bench/lib/es-cluster.ts),
 * a counting sink, the built agent at its defaults (10 s). Each mode is a fresh process; the modes
 * run in turn, `--rounds` times. After two warm-up cycles, CPU is utime+stime of the agent over
 * `--intervals` intervals from just before a tick; lines are what the sink received meanwhile; RSS
 * is read at the end, peak RSS is VmHWM.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { sharedSkip } from '../../test/harness/fixtures.js';
import { buildAgents, startBuiltAgent, untilBeforeTick } from './agents.js';
import { startBigCluster } from './es-cluster.js';
import { startLineSink } from './line-sink.js';
import { cpuMs, peakRssBytes, rssBytes } from './proc.js';
import { formatNumber, log, median } from './report.js';

const INTERVAL_MS = 10_000;

export interface EsMode {
  name: string;
  /**
   * The mode's flags beside `--es`, `--cluster` and `--self-metrics false`, with what to undo after
   * the run; `sinkPort` is the counting sink's (a mode that wants carbon away gives another).
   */
  setUp(sinkPort: number): Promise<{ args: string[]; tearDown?: () => void }>;
}

export interface EsModeRun {
  cpuMsPerInterval: number;
  linesPerInterval: number;
  rssBytes: number;
  peakRssBytes: number;
}

/** The common flags (`--rounds`, `--intervals`, `--nodes`, `--indices`), parsed from the command line. */
export function esModeFlags() {
  return parseArgs({
    options: {
      rounds: { type: 'string', default: '2' },
      intervals: { type: 'string', default: '5' },
      nodes: { type: 'string', default: '200' },
      indices: { type: 'string', default: '5000' },
    },
  }).values;
}

/** Every mode's runs, by mode name; exits 1 when the recorded fixtures are absent. */
export async function measureEsModes(
  bench: string,
  modes: readonly EsMode[],
  flags: ReturnType<typeof esModeFlags>,
): Promise<Map<string, EsModeRun[]>> {
  const skip = sharedSkip();
  if (skip) {
    console.error(`${bench}: ${skip}`);
    process.exit(1);
  }
  const intervals = Number(flags.intervals);
  buildAgents();
  const cluster = await startBigCluster({ nodes: Number(flags.nodes), indices: Number(flags.indices) });
  const sink = await startLineSink();
  const results = new Map<string, EsModeRun[]>(modes.map((mode) => [mode.name, []]));

  const measure = async (mode: EsMode): Promise<EsModeRun> => {
    const { args, tearDown } = await mode.setUp(sink.port);
    const agent = await startBuiltAgent('es-collector', [
      '--es',
      cluster.url,
      '--cluster',
      'bench',
      '--self-metrics',
      'false',
      ...args,
    ]);
    try {
      await agent.waitForStatus(
        (status) => (status as { jobs: { bench?: { runs: number } } }).jobs.bench?.runs === 2,
      );
      await untilBeforeTick(INTERVAL_MS, 500);
      const before = cpuMs(agent.pid);
      const linesBefore = sink.lines;
      await sleep(intervals * INTERVAL_MS);
      return {
        cpuMsPerInterval: (cpuMs(agent.pid) - before) / intervals,
        linesPerInterval: (sink.lines - linesBefore) / intervals,
        rssBytes: rssBytes(agent.pid),
        peakRssBytes: peakRssBytes(agent.pid),
      };
    } finally {
      await agent.stop();
      tearDown?.();
    }
  };

  try {
    for (let round = 1; round <= Number(flags.rounds); round++) {
      for (const mode of modes) {
        const run = await measure(mode);
        results.get(mode.name)!.push(run);
        log(
          `round ${round}: ${mode.name}: ${formatNumber(run.cpuMsPerInterval)} ms CPU and ${formatNumber(run.linesPerInterval)} lines per interval`,
        );
      }
    }
  } finally {
    await sink.close();
    await cluster.close();
  }
  return results;
}

/** `median (min–max)` of the runs' CPU, and the median itself. */
export function cpuCell(runs: readonly EsModeRun[]): { text: string; median: number } {
  const cpu = runs.map((run) => run.cpuMsPerInterval);
  const middle = median(cpu);
  return {
    text: `${formatNumber(middle)} (${formatNumber(Math.min(...cpu))}–${formatNumber(Math.max(...cpu))})`,
    median: middle,
  };
}
