/**
 * Spool outage (issue 15): real carbon-cache stopped for --minutes (default 30) while each agent
 * runs with a spool at the default 10 s interval; the agent is `kill -9`ed and restarted at
 * --kill-at minutes (default 15); carbon is started again, and every point of every sampled series
 * must then be in whisper, with its value. The scenario (and what "every point" means: what a
 * recording sink beside carbon received) is test/harness/spool-outage.ts; CI runs it for one minute
 * on es-collector (test/faults/spool-outage.test.ts).
 *
 *   npm run bench -- spool-outage [--minutes 30] [--kill-at 15] [--agent es|containers|both]
 *                                 [--nodes 200] [--indices 5000] [--containers 50]
 *
 * - es-collector polls a synthesised --nodes / --indices cluster (bench/lib/es-cluster.ts); sampled:
 *   three nodes, five indices, the cluster and collector series (~2,500 series).
 * - container-collector watches --containers busybox containers of a private dockerd; sampled: every
 *   series under `containers.` (its whole output).
 */
import { parseArgs } from 'node:util';
import { dockerSkip, startDockerd, type TestContainer } from '../test/harness/dockerd.js';
import { sharedSkip } from '../test/harness/fixtures.js';
import { runSpoolOutage, type SpoolOutageResult } from '../test/harness/spool-outage.js';
import { startBigCluster } from './lib/es-cluster.js';
import { formatMiB, formatNumber, log, machine, table } from './lib/report.js';

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    'kill-at': { type: 'string', default: '15' },
    agent: { type: 'string', default: 'both' },
    nodes: { type: 'string', default: '200' },
    indices: { type: 'string', default: '5000' },
    containers: { type: 'string', default: '50' },
  },
});
const OUTAGE_MS = Number(flags.minutes) * 60_000;
const KILL_AT_MS = Number(flags['kill-at']) * 60_000;
const runEs = flags.agent !== 'containers';
const runContainers = flags.agent !== 'es';

const skip = sharedSkip() ?? (runContainers ? dockerSkip() : undefined);
if (skip) {
  console.log(`skipped: ${skip}`);
  process.exit(0);
}

console.log(
  `## Spool: carbon down ${flags.minutes} min, agent kill -9 at minute ${flags['kill-at']}\n\n\`\`\`\n${machine()}\n\`\`\`\n`,
);
const results: Array<[string, SpoolOutageResult]> = [];

if (runEs) {
  const cluster = await startBigCluster({ nodes: Number(flags.nodes), indices: Number(flags.indices) });
  try {
    results.push([
      `es-collector (${flags.nodes} nodes, ${flags.indices} indices)`,
      await runSpoolOutage({
        cli: 'packages/es-collector/src/cli.ts',
        // 30 minutes of a 200-node cluster (9.5 MB a cycle) is about 1.7 GB: the bound must hold them.
        args: ['--es', cluster.url, '--cluster', 'big', '--spool-size', '2GiB'],
        sample:
          '^es\\.big\\.(nodes\\.instance-0000000005-00[1-3]\\.|indices\\.bench-000[1-5]\\.|cluster\\.|collector\\.)',
        intervalMs: 10_000,
        outageMs: OUTAGE_MS,
        killAtMs: KILL_AT_MS,
        log: (message) => log(`es-collector: ${message}`),
      }),
    ]);
  } finally {
    await cluster.close();
  }
}

if (runContainers) {
  const dockerd = await startDockerd();
  const containers: TestContainer[] = [];
  try {
    for (let i = 0; i < Number(flags.containers); i++)
      containers.push(await dockerd.run({ name: `spool-${i}`, cmd: 'exec sleep 86400', cpus: 0.1 }));
    results.push([
      `container-collector (${flags.containers} containers)`,
      await runSpoolOutage({
        cli: 'packages/container-collector/src/cli.ts',
        args: ['--docker', dockerd.address, '--host-name', 'spool'],
        sample: '^containers\\.spool\\.',
        intervalMs: 10_000,
        outageMs: OUTAGE_MS,
        killAtMs: KILL_AT_MS,
        log: (message) => log(`container-collector: ${message}`),
      }),
    ]);
  } finally {
    for (const container of containers) await container.remove();
    await dockerd.stop();
  }
}

console.log(
  table(
    [
      'agent',
      'sampled series',
      'points (outage)',
      'missing',
      'spool peak',
      'replayed lines',
      'dropped',
      'corrupt',
      'drain after carbon back',
      '/healthz during outage',
    ],
    results.map(([name, result]) => [
      name,
      formatNumber(result.series),
      `${formatNumber(result.points)} (${formatNumber(result.outagePoints)})`,
      formatNumber(result.missing),
      formatMiB(result.spoolPeakBytes),
      formatNumber(result.spool.replayed_lines),
      formatNumber(result.spool.dropped_bytes),
      formatNumber(result.spool.corrupt_records),
      `${formatNumber(result.drainMs / 1000, 1)} s`,
      result.healthCodes.every((code) => code === 200)
        ? `${result.healthCodes.length} × 200`
        : result.healthCodes.join(' '),
    ]),
  ),
);
const failed = results.filter(
  ([, result]) => result.missing > 0 || !result.healthCodes.every((code) => code === 200),
);
for (const [name, result] of failed) console.log(`\n${name}: missing ${result.missingShown.join(', ')}`);
process.exit(failed.length > 0 ? 1 : 0);
