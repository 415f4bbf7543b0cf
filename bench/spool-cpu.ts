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
import { freePort } from './lib/agents.js';
import { cpuCell, type EsMode, esModeFlags, measureEsModes } from './lib/es-modes.js';
import { formatMiB, formatNumber, machine, median, table } from './lib/report.js';

const flags = esModeFlags();

/** Carbon up (the counting sink) or away (a port nothing listens on); with or without a spool. */
function mode(name: string, carbonUp: boolean, spool: boolean): EsMode {
  return {
    name,
    async setUp(sinkPort) {
      const spoolDir = spool ? mkdtempSync(path.join(os.tmpdir(), 'stoker-spool-bench-')) : undefined;
      const carbonPort = carbonUp ? sinkPort : await freePort();
      return {
        args: ['--carbon', `127.0.0.1:${carbonPort}`, ...(spoolDir ? ['--spool-dir', spoolDir] : [])],
        tearDown: () => spoolDir && rmSync(spoolDir, { recursive: true, force: true }),
      };
    },
  };
}
const MODES = [
  mode('carbon up, memory only', true, false),
  mode('carbon up, spool', true, true),
  mode('carbon away, memory only', false, false),
  mode('carbon away, spooling', false, true),
];

const results = await measureEsModes('spool-cpu', MODES, flags);
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
    MODES.map(({ name }) => {
      const runs = results.get(name)!;
      const cpu = cpuCell(runs);
      return [
        name,
        cpu.text,
        `${formatNumber(cpu.median / base, 2)}×`,
        formatMiB(median(runs.map((each) => each.rssBytes))),
        formatMiB(Math.max(...runs.map((each) => each.peakRssBytes))),
      ];
    }),
  ),
);
