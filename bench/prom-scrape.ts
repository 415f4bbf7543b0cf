/**
 * What a Prometheus scrape of es-collector's /metrics costs, beside a scrape of Debian's
 * prometheus-elasticsearch-exporter 1.5.0, on the same big ES stand-in.
 *
 *   npm run bench -- prom-scrape [--rounds 5] [--nodes 200] [--indices 5000] [--interval 30]
 *
 * es-collector runs as a pure exporter (`--output none`, every index reported). Per round, after
 * its cycle has completed: the first scrape (renders the cycle's samples), a second scrape of the
 * same cycle (served from the cache), then one exporter scrape (a full collection: that is how it
 * works). CPU is utime+stime from /proc/<pid>/stat, from just before the scrape until 300 ms after
 * its answer ended; bytes and samples are counted as the body streams in. Also reported: the cycle
 * duration of rounds with and without a scrape running during the cycle's window (a scrape must
 * not delay a cycle).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { sharedSkip } from '../test/harness/fixtures.js';
import { buildAgents, startBuiltAgent } from './lib/agents.js';
import { startBigCluster } from './lib/es-cluster.js';
import { EXPORTER, startExporter } from './lib/exporter.js';
import { cpuMs, peakRssBytes } from './lib/proc.js';
import { formatMiB, formatNumber, loadNow, log, machine, maxOf, median, minOf, table } from './lib/report.js';
import { scrape } from './lib/scrape.js';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    nodes: { type: 'string', default: '200' },
    indices: { type: 'string', default: '5000' },
    interval: { type: 'string', default: '30' },
  },
});
const ROUNDS = Math.max(1, Number(flags.rounds));
const SETTLE_MS = 300;

const skip = sharedSkip();
if (skip) {
  console.log(`skipped: ${skip}`);
  process.exit(0);
}

const fmt = (values: number[], digits = 0) =>
  `${formatNumber(median(values), digits)} (${formatNumber(minOf(values), digits)}–${formatNumber(maxOf(values), digits)})`;

async function measuredScrape(pid: number, url: string, prefix: string) {
  const before = cpuMs(pid);
  const scraped = await scrape(url, prefix);
  if (scraped.status !== 200) throw new Error(`${url} answered ${scraped.status}`);
  await sleep(SETTLE_MS);
  return { cpuMs: cpuMs(pid) - before, ...scraped };
}

buildAgents();
const nodes = Number(flags.nodes);
const indices = Number(flags.indices);
const intervalMs = Number(flags.interval) * 1000;
log(`prom-scrape: synthesising ${nodes} nodes / ${indices} indices`);
const cluster = await startBigCluster({ nodes, indices });
const exporter = await startExporter(cluster.url);
const ours = await startBuiltAgent('es-collector', [
  '--es',
  cluster.url,
  '--cluster',
  'bench',
  '--output',
  'none',
  '--metrics',
  '--interval',
  `${intervalMs / 1000}s`,
  '--indices-top',
  String(indices),
  '--self-metrics',
  'false',
  '--log-level',
  'warn',
]);
const oursUrl = `http://127.0.0.1:${ours.httpPort}/metrics`;
const theirUrl = exporter.metricsUrl;
const rows: {
  first: Awaited<ReturnType<typeof measuredScrape>>;
  cached: Awaited<ReturnType<typeof measuredScrape>>;
  theirs: Awaited<ReturnType<typeof measuredScrape>>;
  cycleMs: number;
}[] = [];
try {
  // Warm-up, not measured: a cold JIT, and the first render names every leaf once.
  let runs = (await ours.waitForStatus((s) => (s.jobs?.bench?.runs ?? 0) >= 1)).jobs.bench.runs;
  await scrape(oursUrl, 'elasticsearch_');
  await scrape(theirUrl, 'elasticsearch_');
  for (let round = 1; round <= ROUNDS; round++) {
    const status = await ours.waitForStatus((s) => (s.jobs?.bench?.runs ?? 0) > runs, intervalMs * 3);
    runs = status.jobs.bench.runs;
    await sleep(SETTLE_MS);
    const first = await measuredScrape(ours.pid, oursUrl, 'elasticsearch_');
    const cached = await measuredScrape(ours.pid, oursUrl, 'elasticsearch_');
    const theirs = await measuredScrape(exporter.pid, theirUrl, 'elasticsearch_');
    rows.push({ first, cached, theirs, cycleMs: status.jobs.bench.last_duration_ms });
    log(
      `round ${round}/${ROUNDS}: es-collector first scrape ${formatNumber(first.cpuMs)} ms CPU, ${formatMiB(first.bytes)}, ${formatNumber(first.samples)} samples; cached ${formatNumber(cached.cpuMs)} ms | exporter ${formatNumber(theirs.cpuMs)} ms CPU, ${formatMiB(theirs.bytes)}, ${formatNumber(theirs.samples)} samples | cycle ${status.jobs.bench.last_duration_ms} ms | ${loadNow()}`,
    );
  }
  const ratio = median(rows.map((row) => row.first.cpuMs)) / median(rows.map((row) => row.theirs.cpuMs));
  console.log(
    `### /metrics scrape: es-collector vs ${EXPORTER}, ${nodes} nodes / ${indices} indices\n\n${machine()}\n\n` +
      table(
        ['measure', 'es-collector first scrape', 'es-collector cached scrape', EXPORTER],
        [
          [
            'CPU ms',
            fmt(rows.map((r) => r.first.cpuMs)),
            fmt(rows.map((r) => r.cached.cpuMs)),
            fmt(rows.map((r) => r.theirs.cpuMs)),
          ],
          [
            'wall ms',
            fmt(rows.map((r) => r.first.wallMs)),
            fmt(rows.map((r) => r.cached.wallMs)),
            fmt(rows.map((r) => r.theirs.wallMs)),
          ],
          [
            'bytes',
            formatMiB(median(rows.map((r) => r.first.bytes))),
            formatMiB(median(rows.map((r) => r.cached.bytes))),
            formatMiB(median(rows.map((r) => r.theirs.bytes))),
          ],
          [
            'samples',
            fmt(rows.map((r) => r.first.samples)),
            fmt(rows.map((r) => r.cached.samples)),
            fmt(rows.map((r) => r.theirs.samples)),
          ],
          [
            'elasticsearch_* samples',
            fmt(rows.map((r) => r.first.prefixed)),
            '',
            fmt(rows.map((r) => r.theirs.prefixed)),
          ],
          ['peak RSS', formatMiB(peakRssBytes(ours.pid)), '', formatMiB(peakRssBytes(exporter.pid))],
        ],
      ) +
      `\n\nfirst scrape / exporter scrape CPU: ${ratio.toFixed(2)}× (target ≤ 0.25×); es-collector cycle ${fmt(rows.map((r) => r.cycleMs))} ms\n`,
  );
} finally {
  await ours.stop();
  await exporter.stop();
  await cluster.close();
}
