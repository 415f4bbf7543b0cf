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
import { cpuCell, type EsMode, esModeFlags, measureEsModes } from './lib/es-modes.js';
import { formatMiB, formatNumber, machine, median, table } from './lib/report.js';

const flags = esModeFlags();

function mode(name: string, args: string[]): EsMode {
  return { name, setUp: async (sinkPort) => ({ args: ['--carbon', `127.0.0.1:${sinkPort}`, ...args] }) };
}
const MODES = [
  mode('full', []),
  mode("full, --exclude 'es.*.indices.**'", ['--exclude', 'es.*.indices.**']),
  mode('essential', ['--profile', 'essential']),
];

const results = await measureEsModes('series-budget', MODES, flags);
const base = median(results.get(MODES[0]!.name)!.map((each) => each.cpuMsPerInterval));
console.log(
  `## What the series budget saves (es-collector, ${flags.nodes} nodes, ${flags.indices} indices)\n`,
);
console.log(`\`\`\`\n${machine()}\n\`\`\`\n`);
console.log(
  table(
    ['mode', 'lines per interval', 'CPU ms per interval, median (min–max)', 'vs full', 'RSS at the end'],
    MODES.map(({ name }) => {
      const runs = results.get(name)!;
      const cpu = cpuCell(runs);
      return [
        name,
        formatNumber(median(runs.map((each) => each.linesPerInterval))),
        cpu.text,
        `${formatNumber(cpu.median / base, 2)}×`,
        formatMiB(median(runs.map((each) => each.rssBytes))),
      ];
    }),
  ),
);
