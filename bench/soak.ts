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
 * The first 10 % of the run is warm-up (JIT, pools, the heap finding its size): shown, not judged.
 * A trend is the least-squares slope of the samples after warm-up, per hour.
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
  for (const one of soaked) {
    const counters = await jobCounters(one.agent, one.job);
    const warmFrom = (MINUTES * 60) / 10;
    const warm = one.samples.filter((sample) => sample.atS >= warmFrom);
    const first = warm[0]!;
    const last = warm.at(-1)!;
    const rssTrend = perHour(warm, (sample) => sample.rss);
    const heapTrend = perHour(warm, (sample) => sample.heap);
    rows.push([
      one.name,
      formatNumber(counters.runs - one.base.runs),
      `${counters.skipped - one.base.skipped} / ${counters.errors - one.base.errors}`,
      `${formatMiB(one.samples[0]!.rss)} → ${formatMiB(first.rss)} → ${formatMiB(last.rss)}`,
      `${formatMiB(minOf(warm.map((s) => s.rss)))}–${formatMiB(maxOf(warm.map((s) => s.rss)))}`,
      formatMiB(rssTrend),
      `${formatMiB(first.heap)} → ${formatMiB(last.heap)}`,
      formatMiB(heapTrend),
    ]);
    verdicts.push({
      target: `${one.name}: RSS and heap flat over ${MINUTES} min at 1 s (trend < ${FLAT_MIB_PER_HOUR} MiB per hour)`,
      measured: `RSS ${formatMiB(rssTrend)}/h, heap ${formatMiB(heapTrend)}/h`,
      met:
        Math.abs(rssTrend) < FLAT_MIB_PER_HOUR * 2 ** 20 && Math.abs(heapTrend) < FLAT_MIB_PER_HOUR * 2 ** 20,
    });
  }
  console.log(
    `### ${MINUTES} minutes, ${CONTAINERS} containers (one replaced every ${CHURN_MS / 1000} s, ${replaced} in all), ES cluster of ${flags.nodes} nodes / ${flags.indices} indices\n\n` +
      table(
        [
          'agent',
          'cycles',
          'skipped ticks / failed cycles',
          'RSS at start → after warm-up → end',
          'RSS min–max after warm-up',
          'RSS trend per hour',
          'heap after warm-up → end',
          'heap trend per hour',
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
