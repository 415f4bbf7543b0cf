/**
 * es-collector vs Debian's prometheus-elasticsearch-exporter 1.5.0 on the same ES stand-in.
 *
 *   npm run bench -- es-vs-exporter [--rounds 5] [--only head,scale,many]
 *
 * 1. head: a big cluster (a real 8.4.2 node's stats replicated to 200 nodes, a real 7.17.3 index
 *    entry replicated to 5,000 indices). The built es-collector runs long-running, sending over TCP
 *    to a counting sink; the exporter (`--es.all --es.indices`) is scraped. Rounds alternate: one
 *    es-collector cycle, then one exporter scrape, each alone on the machine.
 *    CPU is utime+stime from /proc/<pid>/stat: for es-collector from just before its tick until its
 *    last line reached the sink (fetch, parse, map, name, queue, send, and any GC in between); for
 *    the exporter from just before the scrape until 300 ms after its answer ended. Peak RSS is
 *    VmHWM. Series: lines per cycle at the sink (self-metrics off); `elasticsearch_*` samples per
 *    scrape.
 * 2. scale: es-collector alone on 1,000 nodes / 20,000 indices at a 10 s interval, with the
 *    default `--indices-top 100` and with every index reported.
 * 3. many: 100 small clusters (the 8.4.2 recordings) in one process every 10 s: skipped ticks,
 *    errors, cycle durations, CPU.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startEsStandin } from '../test/harness/es-standin.js';
import { sharedSkip } from '../test/harness/fixtures.js';
import { buildAgents, type RunningAgent, startBuiltAgent, untilBeforeTick } from './lib/agents.js';
import { startBigCluster } from './lib/es-cluster.js';
import { EXPORTER, startExporter } from './lib/exporter.js';
import { type LineSink, startLineSink } from './lib/line-sink.js';
import { cpuMs, peakRssBytes, rssBytes } from './lib/proc.js';
import {
  formatMiB,
  formatNumber,
  loadNow,
  log,
  machine,
  maxOf,
  median,
  minOf,
  table,
  type Verdict,
  verdictTable,
} from './lib/report.js';
import { scrape } from './lib/scrape.js';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    /** es-collector's interval in the head-to-head: one cycle, one scrape and a margin must fit. */
    'head-interval': { type: 'string', default: '30' },
    only: { type: 'string', default: 'head,scale,many' },
    nodes: { type: 'string', default: '200' },
    indices: { type: 'string', default: '5000' },
  },
});
const ROUNDS = Math.max(1, Number(flags.rounds));
const PARTS = new Set(flags.only.split(','));
/** Settling time after a cycle's last byte or a scrape's end, before CPU is read again. */
const SETTLE_MS = 300;

const skip = sharedSkip();
if (skip) {
  console.log(`skipped: ${skip}`);
  process.exit(0);
}

interface Summary {
  verdicts: Verdict[];
  tables: string[];
}
const summary: Summary = { verdicts: [], tables: [] };

const fmtMs = (values: number[]) =>
  `${formatNumber(median(values))} (${formatNumber(minOf(values))}–${formatNumber(maxOf(values))})`;

function carbonArgs(sink: LineSink): string[] {
  return ['--carbon', `127.0.0.1:${sink.port}`, '--log-level', 'warn'];
}

async function waitForCycle(agent: RunningAgent, job: string, afterRuns: number, timeoutMs = 120_000) {
  const status = await agent.waitForStatus((s) => (s.jobs?.[job]?.runs ?? 0) > afterRuns, timeoutMs);
  return status;
}

// ---- 1. head to head ---------------------------------------------------------------------------

async function headToHead(): Promise<void> {
  const nodes = Number(flags.nodes);
  const indices = Number(flags.indices);
  const intervalMs = Number(flags['head-interval']) * 1000;
  log(`head to head: synthesising ${nodes} nodes / ${indices} indices`);
  const cluster = await startBigCluster({ nodes, indices });
  const sink = await startLineSink();
  const exporter = await startExporter(cluster.url);
  const ours = await startBuiltAgent('es-collector', [
    '--es',
    cluster.url,
    '--cluster',
    'bench',
    ...carbonArgs(sink),
    '--interval',
    `${intervalMs / 1000}s`,
    '--indices-top',
    String(indices),
    '--self-metrics',
    'false',
  ]);
  const metricsUrl = exporter.metricsUrl;
  try {
    log(
      `head to head: bodies ${formatMiB(cluster.nodesStatsBytes)} node stats, ${formatMiB(cluster.indicesStatsBytes)} index stats`,
    );
    // Warm-up, not measured: es-collector's first cycle has no rates yet and a cold JIT.
    let runs = (await waitForCycle(ours, 'bench', 0)).jobs.bench.runs;
    await sink.quiet(SETTLE_MS);
    const warm = await scrape(metricsUrl, 'elasticsearch_');
    if (warm.status !== 200) throw new Error(`${EXPORTER} answered ${warm.status}`);

    const oursRows: { cpuMs: number; cycleMs: number; deliveredMs: number; lines: number }[] = [];
    const theirRows: { cpuMs: number; wallMs: number; series: number; bytes: number }[] = [];
    let firstCpu: number | undefined;
    let firstRuns = 0;
    let lastCpu = 0;
    let lastRuns = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      // es-collector: one cycle, from just before its tick to its last line at the sink.
      const tickAtMs = await untilBeforeTick(intervalMs, 1000);
      const cpuBefore = cpuMs(ours.pid);
      if (firstCpu === undefined) {
        firstCpu = cpuBefore;
        firstRuns = runs;
      }
      const linesBefore = sink.lines;
      const status = await waitForCycle(ours, 'bench', runs, intervalMs * 3);
      runs = status.jobs.bench.runs;
      await sink.quiet(SETTLE_MS);
      const cpuAfter = cpuMs(ours.pid);
      lastCpu = cpuAfter;
      lastRuns = runs;
      const row = {
        cpuMs: cpuAfter - cpuBefore,
        cycleMs: status.jobs.bench.last_duration_ms as number,
        deliveredMs: sink.lastDataAtMs - Date.parse(status.jobs.bench.last_start),
        lines: sink.lines - linesBefore,
      };
      oursRows.push(row);
      // The exporter: one scrape.
      const exporterCpuBefore = cpuMs(exporter.pid);
      const scraped = await scrape(metricsUrl, 'elasticsearch_');
      await sleep(SETTLE_MS);
      const theirs = {
        cpuMs: cpuMs(exporter.pid) - exporterCpuBefore,
        wallMs: scraped.wallMs,
        series: scraped.prefixed,
        bytes: scraped.bytes,
      };
      theirRows.push(theirs);
      const overlap = Date.now() > tickAtMs + intervalMs - 1000;
      log(
        `round ${round}/${ROUNDS}: es-collector ${formatNumber(row.cpuMs)} ms CPU, cycle ${row.cycleMs} ms, delivered ${formatNumber(row.deliveredMs)} ms, ${formatNumber(row.lines)} lines | exporter ${formatNumber(theirs.cpuMs)} ms CPU, ${formatNumber(theirs.wallMs)} ms wall, ${formatNumber(theirs.series)} series | ${loadNow()}${overlap ? ' | WARNING: the scrape ran into the next tick; raise --head-interval' : ''}`,
      );
    }
    const perInterval = (lastCpu - (firstCpu ?? 0)) / Math.max(1, lastRuns - firstRuns);
    const oursPeak = peakRssBytes(ours.pid);
    const theirPeak = peakRssBytes(exporter.pid);
    const oursCpu = median(oursRows.map((row) => row.cpuMs));
    const theirCpu = median(theirRows.map((row) => row.cpuMs));
    const oursSeries = median(oursRows.map((row) => row.lines));
    const theirSeries = median(theirRows.map((row) => row.series));

    summary.tables.push(
      `### es-collector vs ${EXPORTER}: ${nodes} nodes, ${indices} indices (${formatMiB(cluster.nodesStatsBytes)} node stats, ${formatMiB(cluster.indicesStatsBytes)} index stats)\n\n` +
        `Medians of ${ROUNDS} alternating rounds (min–max); es-collector every ${intervalMs / 1000} s.\n\n` +
        table(
          ['measure', 'es-collector (per cycle)', `${EXPORTER} (per scrape)`, 'ratio'],
          [
            [
              'CPU ms',
              fmtMs(oursRows.map((r) => r.cpuMs)),
              fmtMs(theirRows.map((r) => r.cpuMs)),
              (oursCpu / theirCpu).toFixed(2),
            ],
            [
              'wall ms',
              `cycle ${fmtMs(oursRows.map((r) => r.cycleMs))}; tick to last line at carbon ${fmtMs(oursRows.map((r) => r.deliveredMs))}`,
              fmtMs(theirRows.map((r) => r.wallMs)),
              (median(oursRows.map((r) => r.deliveredMs)) / median(theirRows.map((r) => r.wallMs))).toFixed(
                2,
              ),
            ],
            [
              'peak RSS (VmHWM)',
              formatMiB(oursPeak),
              formatMiB(theirPeak),
              (oursPeak / theirPeak).toFixed(2),
            ],
            [
              'series',
              formatNumber(oursSeries),
              formatNumber(theirSeries),
              (oursSeries / theirSeries).toFixed(2),
            ],
            ['CPU ms per interval, idle included', formatNumber(perInterval), '', ''],
          ],
        ),
    );
    summary.verdicts.push(
      {
        target: 'CPU per cycle ≤ 0.25× the exporter’s per scrape',
        measured: `${formatNumber(oursCpu)} ms vs ${formatNumber(theirCpu)} ms = ${(oursCpu / theirCpu).toFixed(2)}×`,
        met: oursCpu <= 0.25 * theirCpu,
      },
      {
        target: '… with at least as many series',
        measured: `${formatNumber(oursSeries)} vs ${formatNumber(theirSeries)}`,
        met: oursSeries >= theirSeries,
      },
      {
        target: 'peak RSS ≤ 0.5× the exporter’s',
        measured: `${formatMiB(oursPeak)} vs ${formatMiB(theirPeak)} = ${(oursPeak / theirPeak).toFixed(2)}×`,
        met: oursPeak <= 0.5 * theirPeak,
      },
    );
  } finally {
    await ours.stop();
    await exporter.stop();
    await sink.close();
    await cluster.close();
  }
}

// ---- 2. a 1,000-node / 20,000-index cluster within a 10 s interval -----------------------------

async function scale(): Promise<void> {
  const nodes = 1000;
  const indices = 20_000;
  const intervalMs = 10_000;
  const cycles = ROUNDS;
  log(`scale: synthesising ${nodes} nodes / ${indices} indices`);
  const cluster = await startBigCluster({ nodes, indices });
  const rows: string[][] = [];
  try {
    for (const [label, extra] of [
      ['defaults (--indices-top 100)', []],
      [`every index (--indices-top ${indices})`, ['--indices-top', String(indices)]],
    ] as const) {
      const sink = await startLineSink();
      const ours = await startBuiltAgent('es-collector', [
        '--es',
        cluster.url,
        '--cluster',
        'bench',
        ...carbonArgs(sink),
        '--interval',
        '10s',
        '--self-metrics',
        'false',
        ...extra,
      ]);
      try {
        let status = await waitForCycle(ours, 'bench', 0, 60_000);
        await sink.quiet(SETTLE_MS);
        const runsBefore = status.jobs.bench.runs as number;
        const skippedBefore = status.jobs.bench.skipped_ticks as number;
        const errorsBefore = status.jobs.bench.errors as number;
        const linesBefore = sink.lines;
        await untilBeforeTick(intervalMs, 1000);
        const cpuBefore = cpuMs(ours.pid);
        const durations: number[] = [];
        const delivered: number[] = [];
        let runs = runsBefore;
        while (runs < runsBefore + cycles) {
          status = await waitForCycle(ours, 'bench', runs, intervalMs * 4);
          runs = status.jobs.bench.runs;
          durations.push(status.jobs.bench.last_duration_ms);
          await sink.quiet(SETTLE_MS);
          const tickAtMs = Date.parse(status.jobs.bench.last_start);
          delivered.push(sink.lastDataAtMs - tickAtMs);
          log(
            `scale, ${label}: cycle ${status.jobs.bench.last_duration_ms} ms (${status.jobs.bench.last_result}), last line at carbon ${formatNumber(sink.lastDataAtMs - tickAtMs)} ms after the tick, ${loadNow()}`,
          );
        }
        const elapsedCycles = runs - runsBefore;
        const cpuPerCycle = (cpuMs(ours.pid) - cpuBefore) / elapsedCycles;
        const skipped = status.jobs.bench.skipped_ticks - skippedBefore;
        const errors = status.jobs.bench.errors - errorsBefore;
        const lines = (sink.lines - linesBefore) / elapsedCycles;
        const peak = peakRssBytes(ours.pid);
        const dropped = status.dropped_lines?.queue_full ?? 0;
        rows.push([
          label,
          fmtMs(durations),
          fmtMs(delivered),
          formatNumber(cpuPerCycle),
          formatNumber(lines),
          `${skipped} / ${errors} / ${dropped}`,
          formatMiB(peak),
        ]);
        summary.verdicts.push({
          target: `${nodes} nodes / ${indices} indices within a 10 s interval, ${label}`,
          measured: `cycle max ${formatNumber(maxOf(durations))} ms, last line max ${formatNumber(maxOf(delivered))} ms after the tick, ${skipped} skipped ticks, ${errors} failed cycles`,
          met: skipped === 0 && errors === 0 && maxOf(delivered) < intervalMs,
        });
      } finally {
        await ours.stop();
        await sink.close();
      }
    }
  } finally {
    await cluster.close();
  }
  summary.tables.push(
    `### es-collector alone: ${nodes} nodes, ${indices} indices, every 10 s (${cycles} cycles after a warm-up)\n\n` +
      table(
        [
          'configuration',
          'cycle ms',
          'tick → last line at carbon, ms',
          'CPU ms / cycle',
          'lines / cycle',
          'skipped ticks / failed cycles / dropped lines',
          'peak RSS',
        ],
        rows,
      ),
  );
}

// ---- 3. 100 small clusters in one process ------------------------------------------------------

async function manyClusters(): Promise<void> {
  const clusters = 100;
  const intervalMs = 10_000;
  const intervals = Math.max(6, ROUNDS);
  log(`many: ${clusters} small clusters (8.4.2 recordings) in one process`);
  const standin = await startEsStandin({ version: '8.4.2' });
  const sink = await startLineSink();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stoker-bench-'));
  const config = path.join(dir, 'es-collector.json');
  const names = Array.from({ length: clusters }, (_, i) => `c${String(i + 1).padStart(3, '0')}`);
  writeFileSync(
    config,
    JSON.stringify({ interval: '10s', clusters: names.map((name) => ({ name, es: [standin.url] })) }),
  );
  const ours = await startBuiltAgent('es-collector', ['--config', config, ...carbonArgs(sink)]);
  try {
    const allRan = (s: any, atLeast: number) => names.every((name) => (s.jobs?.[name]?.runs ?? 0) >= atLeast);
    let status = await ours.waitForStatus((s) => allRan(s, 1), 60_000);
    await untilBeforeTick(intervalMs, 1000);
    const cpuBefore = cpuMs(ours.pid);
    const linesBefore = sink.lines;
    const base = Object.fromEntries(names.map((name) => [name, status.jobs[name]]));
    const durations: number[] = [];
    const rss: number[] = [];
    const startRuns = Math.min(...names.map((name) => status.jobs[name].runs as number));
    for (let i = 1; i <= intervals; i++) {
      status = await ours.waitForStatus((s) => allRan(s, startRuns + i), intervalMs * 3);
      for (const name of names) durations.push(status.jobs[name].last_duration_ms);
      rss.push(rssBytes(ours.pid));
    }
    await sink.quiet(SETTLE_MS);
    const cpuPerInterval = (cpuMs(ours.pid) - cpuBefore) / intervals;
    const skipped = names.reduce(
      (sum, name) => sum + status.jobs[name].skipped_ticks - base[name].skipped_ticks,
      0,
    );
    const errors = names.reduce((sum, name) => sum + status.jobs[name].errors - base[name].errors, 0);
    const selfSkipped = status.jobs.self?.skipped_ticks ?? 0;
    summary.tables.push(
      `### es-collector: ${clusters} small clusters (3 nodes, 4 indices each) in one process, every 10 s, ${intervals} intervals\n\n` +
        table(
          ['measure', 'value'],
          [
            [
              'cycle ms per cluster, median (max)',
              `${formatNumber(median(durations))} (${formatNumber(maxOf(durations))})`,
            ],
            ['skipped ticks (all clusters)', String(skipped)],
            ['failed cycles', String(errors)],
            [
              'CPU ms per interval (all clusters)',
              `${formatNumber(cpuPerInterval)} (${((cpuPerInterval / intervalMs) * 100).toFixed(1)}% of one core)`,
            ],
            ['lines per interval', formatNumber((sink.lines - linesBefore) / intervals)],
            [
              'RSS',
              `${formatMiB(minOf(rss))}–${formatMiB(maxOf(rss))}, peak ${formatMiB(peakRssBytes(ours.pid))}`,
            ],
          ],
        ),
    );
    summary.verdicts.push({
      target: `${clusters} small clusters every 10 s in one process, no overrun`,
      measured: `${skipped} skipped ticks (self job: ${selfSkipped}), ${errors} failed cycles, longest cycle ${formatNumber(maxOf(durations))} ms`,
      met: skipped === 0 && errors === 0 && maxOf(durations) < intervalMs,
    });
  } finally {
    await ours.stop();
    await sink.close();
    await standin.close();
  }
}

buildAgents();
console.log(`## es-collector vs ${EXPORTER}\n\n\`\`\`\n${machine()}\n\`\`\`\n`);
if (PARTS.has('head')) await headToHead();
if (PARTS.has('scale')) await scale();
if (PARTS.has('many')) await manyClusters();
for (const section of summary.tables) console.log(`${section}\n`);
console.log(`### Targets\n\n${verdictTable(summary.verdicts)}\n\n${loadNow()} at the end`);
