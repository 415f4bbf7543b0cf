/**
 * Soak: both agents (built) at a 1 s interval for --minutes (default 30), side by side on one
 * machine, to show their memory stays flat (issue 7: "memory flat over a 30-minute soak").
 *
 *   npm run bench -- soak [--minutes 30] [--containers 20]
 *
 * - es-collector polls the ES stand-in serving a cluster synthesised from real recordings
 *   (--nodes, --indices; bench/lib/es-cluster.ts), every index reported.
 * - container-collector watches --containers busybox containers of a private dockerd; one of them
 *   is replaced every --churn-s seconds, so the identity and rate caches see containers come and go.
 * - Each sends to its own counting sink; every --sample-s seconds the benchmark reads each agent's
 *   RSS from /proc and its heap from the self-metric it sends (`self.memory.heap_used_bytes`).
 * A trend is the least-squares slope of RSS (or heap) samples, per hour. A process's memory first
 * rises while the JIT, pools, the heap and the allocator's arenas find their size, then levels off;
 * a leak keeps rising at the same pace. So the verdict is the trend of the second half of the run,
 * shown beside the first half's, with RSS every 5 minutes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { dockerSkip, startDockerd, type TestContainer } from '../test/harness/dockerd.js';
import { sharedSkip } from '../test/harness/fixtures.js';
import { buildAgents, type RunningAgent, startBuiltAgent } from './lib/agents.js';
import { startBigCluster } from './lib/es-cluster.js';
import { type LineSink, startLineSink } from './lib/line-sink.js';
import { rssBytes } from './lib/proc.js';
import {
  formatMiB,
  formatNumber,
  loadNow,
  log,
  machine,
  maxOf,
  minOf,
  slopePer1000,
  table,
  type Verdict,
  verdictTable,
} from './lib/report.js';

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    'sample-s': { type: 'string', default: '10' },
    containers: { type: 'string', default: '20' },
    'churn-s': { type: 'string', default: '60' },
    nodes: { type: 'string', default: '30' },
    indices: { type: 'string', default: '300' },
  },
});
const MINUTES = Number(flags.minutes);
const SAMPLE_MS = Number(flags['sample-s']) * 1000;
const CONTAINERS = Number(flags.containers);
const CHURN_MS = Number(flags['churn-s']) * 1000;
/** A trend beyond this, after warm-up, counts as growth. */
const FLAT_MIB_PER_HOUR = 5;
const HEAP_WATCH = 'self.memory.heap_used_bytes';

const skip = sharedSkip() ?? dockerSkip();
if (skip) {
  console.log(`skipped: ${skip}`);
  process.exit(0);
}

interface Sample {
  atS: number;
  rss: number;
  heap: number;
}

interface Soaked {
  name: string;
  job: string;
  agent: RunningAgent;
  sink: LineSink;
  samples: Sample[];
  base: { runs: number; skipped: number; errors: number };
}

async function jobCounters(agent: RunningAgent, job: string) {
  const status = await agent.status();
  const counters = status.jobs?.[job] ?? {};
  return { runs: counters.runs ?? 0, skipped: counters.skipped_ticks ?? 0, errors: counters.errors ?? 0 };
}

/** x in hours scaled so that slopePer1000 gives a slope per hour: 1,000 units = 3,600 s. */
const perHour = (samples: readonly Sample[], pick: (sample: Sample) => number) =>
  slopePer1000(samples.map((sample) => [sample.atS / 3.6, pick(sample)]));

buildAgents();
console.log(
  `## Soak: both agents at a 1 s interval for ${MINUTES} minutes\n\n\`\`\`\n${machine()}\n\`\`\`\n`,
);

const cluster = await startBigCluster({ nodes: Number(flags.nodes), indices: Number(flags.indices) });
const dockerd = await startDockerd();
const containers: TestContainer[] = [];
const soaked: Soaked[] = [];
let replaced = 0;
try {
  for (let i = 0; i < CONTAINERS; i++)
    containers.push(await dockerd.run({ name: `soak-${i}`, cmd: 'exec sleep 86400', cpus: 0.1 }));
  log(`${CONTAINERS} containers running; starting the agents`);

  const esSink = await startLineSink({ watch: [HEAP_WATCH] });
  const containerSink = await startLineSink({ watch: [HEAP_WATCH] });
  const common = ['--interval', '1s', '--log-level', 'warn'];
  const es = await startBuiltAgent('es-collector', [
    '--es',
    cluster.url,
    '--cluster',
    'soak',
    '--indices-top',
    flags.indices,
    '--carbon',
    `127.0.0.1:${esSink.port}`,
    ...common,
  ]);
  const cc = await startBuiltAgent('container-collector', [
    '--docker',
    dockerd.address,
    '--host-name',
    'soak',
    '--carbon',
    `127.0.0.1:${containerSink.port}`,
    ...common,
  ]);
  for (const [name, job, agent, sink] of [
    ['es-collector', 'soak', es, esSink],
    ['container-collector', 'containers', cc, containerSink],
  ] as const) {
    await agent.waitForStatus((s) => (s.jobs?.[job]?.runs ?? 0) >= 2, 60_000);
    soaked.push({ name, job, agent, sink, samples: [], base: await jobCounters(agent, job) });
  }

  const started = performance.now();
  const endAt = started + MINUTES * 60_000;
  let nextChurn = started + CHURN_MS;
  let nextLog = started + 60_000;
  while (performance.now() < endAt) {
    await sleep(SAMPLE_MS);
    const atS = (performance.now() - started) / 1000;
    for (const one of soaked)
      one.samples.push({
        atS,
        rss: rssBytes(one.agent.pid),
        heap: one.sink.watched.get(HEAP_WATCH) ?? Number.NaN,
      });
    if (performance.now() >= nextChurn) {
      nextChurn += CHURN_MS;
      const old = containers.shift();
      await old?.remove();
      containers.push(await dockerd.run({ name: `soak-r${++replaced}`, cmd: 'exec sleep 86400', cpus: 0.1 }));
    }
    if (performance.now() >= nextLog) {
      nextLog += 60_000;
      log(
        `${formatNumber(atS / 60, 1)} min: ${soaked
          .map(
            (one) =>
              `${one.name} RSS ${formatMiB(one.samples.at(-1)!.rss)} heap ${formatMiB(one.samples.at(-1)!.heap)}`,
          )
          .join(' | ')} | ${loadNow()}`,
      );
    }
  }

  const verdicts: Verdict[] = [];
  const rows: string[][] = [];
  const halfS = (MINUTES * 60) / 2;
  const marks = Array.from({ length: Math.floor(MINUTES / 5) }, (_, i) => (i + 1) * 5);
  for (const one of soaked) {
    const counters = await jobCounters(one.agent, one.job);
    const firstHalf = one.samples.filter((sample) => sample.atS < halfS);
    const secondHalf = one.samples.filter((sample) => sample.atS >= halfS);
    const rssTrend = perHour(secondHalf, (sample) => sample.rss);
    const heapTrend = perHour(secondHalf, (sample) => sample.heap);
    const at = (minute: number) =>
      one.samples.reduce((best, sample) =>
        Math.abs(sample.atS - minute * 60) < Math.abs(best.atS - minute * 60) ? sample : best,
      );
    rows.push([
      one.name,
      formatNumber(counters.runs - one.base.runs),
      `${counters.skipped - one.base.skipped} / ${counters.errors - one.base.errors}`,
      [one.samples[0]!, ...marks.map(at)].map((sample) => formatNumber(sample.rss / 2 ** 20, 1)).join(' → '),
      `${formatMiB(perHour(firstHalf, (sample) => sample.rss))} / ${formatMiB(rssTrend)}`,
      `${formatMiB(minOf(secondHalf.map((s) => s.heap)))}–${formatMiB(maxOf(secondHalf.map((s) => s.heap)))}`,
      `${formatMiB(perHour(firstHalf, (sample) => sample.heap))} / ${formatMiB(heapTrend)}`,
    ]);
    verdicts.push({
      target: `${one.name}: RSS and heap flat over ${MINUTES} min at 1 s (no growth: second-half trend < ${FLAT_MIB_PER_HOUR} MiB per hour)`,
      measured: `RSS ${formatMiB(rssTrend)}/h, heap ${formatMiB(heapTrend)}/h`,
      // Memory that falls is no leak: only growth fails.
      met: rssTrend < FLAT_MIB_PER_HOUR * 2 ** 20 && heapTrend < FLAT_MIB_PER_HOUR * 2 ** 20,
    });
  }
  console.log(
    `### ${MINUTES} minutes, ${CONTAINERS} containers (one replaced every ${CHURN_MS / 1000} s, ${replaced} in all), ES cluster of ${flags.nodes} nodes / ${flags.indices} indices\n\n` +
      table(
        [
          'agent',
          'cycles',
          'skipped ticks / failed cycles',
          `RSS MiB at start, then every 5 min`,
          'RSS trend per hour, first / second half',
          'heap, second half',
          'heap trend per hour, first / second half',
        ],
        rows,
      ),
  );
  console.log(`\n### Targets\n\n${verdictTable(verdicts)}\n\n${loadNow()} at the end`);
} finally {
  for (const one of soaked) {
    await one.agent.stop();
    await one.sink.close();
  }
  await dockerd.stop();
  await cluster.close();
}
