/**
 * The demo behind `npm run demo`: both agents, for about a minute, into a private Graphite on
 * loopback, then a summary of what landed and PNG graphs rendered by graphite-web.
 *
 * - Graphite: a private carbon-cache and graphite-web (test/harness/graphite.ts).
 * - Elasticsearch: a stand-in that serves RECORDED responses of a real 3-node 8.4.2 cluster from
 *   ../shared/fixtures/es — not a live cluster (Elasticsearch is not installed here).
 * - Containers: a private Docker daemon with busybox containers started as the Mesos tasks of a
 *   Marathon app `/es/demo/data`, each burning a different share of a CPU.
 *
 * Everything it starts is stopped at the end, also on Ctrl-C.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AgentProcess, startAgent } from '../test/harness/agent.js';
import { type Dockerd, dockerSkip, startDockerd, type TestContainer } from '../test/harness/dockerd.js';
import { startEsStandin } from '../test/harness/es-standin.js';
import { repoRoot, sharedSkip } from '../test/harness/fixtures.js';
import { requireProgram, startCarbonCache, startGraphiteWeb } from '../test/harness/graphite.js';

const DURATION_S = Number(process.env.STOKER_DEMO_SECONDS ?? 60);
const INTERVAL = '5s';
const CLUSTER = 'recorded-es84';
const HOST = 'demo-host';
const APP_ID = '/es/demo/data';
const outputDir = join(repoRoot, 'demo-output');

const say = (text: string) => process.stdout.write(`${text}\n`);
const cleanups: Array<() => Promise<unknown>> = [];
let cleaning = false;
async function cleanup() {
  if (cleaning) return;
  cleaning = true;
  for (const step of cleanups.reverse()) await step().catch(() => {});
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => cleanup().then(() => process.exit(130)));
}

async function main() {
  const missing = [
    requireProgram('carbon-cache', 'graphite-carbon'),
    requireProgram('graphite-manage', 'graphite-web'),
    sharedSkip(),
  ].filter(Boolean);
  if (missing.length > 0) throw new Error(`cannot run the demo: ${missing.join('; ')}`);

  say('Starting a private carbon-cache and graphite-web on 127.0.0.1 ...');
  const carbon = await startCarbonCache({ retentions: '5s:1d' });
  cleanups.push(() => carbon.stop());
  const web = await startGraphiteWeb(carbon);
  cleanups.push(() => web.stop());

  say('Starting the Elasticsearch stand-in (recorded responses of a real 8.4.2 cluster, not a live one) ...');
  const es = await startEsStandin({ version: '8.4.2' });
  cleanups.push(() => es.close());

  let dockerd: Dockerd | undefined;
  const containers: TestContainer[] = [];
  const noDocker = dockerSkip();
  if (noDocker) {
    say(`No container part: ${noDocker}`);
  } else {
    say('Starting a private Docker daemon and three busybox containers as Mesos tasks of /es/demo/data ...');
    dockerd = await startDockerd();
    cleanups.push(() => dockerd!.stop());
    for (const [index, cpus] of [0.2, 0.3, 0.5].entries()) {
      const task = `es_demo_data.${crypto.randomUUID()}`;
      const container = await dockerd.run({
        name: `mesos-${crypto.randomUUID()}`,
        cmd: 'yes > /dev/null',
        cpus,
        memoryBytes: 64 * 1024 * 1024,
        env: { MARATHON_APP_ID: APP_ID, MESOS_TASK_ID: task, PORT0: String(9200 + index) },
        labels: { MESOS_TASK_ID: task, es_cluster: CLUSTER },
      });
      containers.push(container);
      cleanups.push(() => container.remove());
      say(`  ${container.name}: task ${task}, limited to ${cpus} CPU`);
    }
  }

  const carbonAddress = `127.0.0.1:${carbon.linePort}`;
  const agents: AgentProcess[] = [];
  say(`Running the agents every ${INTERVAL} for ${DURATION_S} s ...`);
  agents.push(
    startAgent('packages/es-collector/src/cli.ts', [
      '--es',
      es.url,
      '--cluster',
      CLUSTER,
      '--carbon',
      carbonAddress,
      '--interval',
      INTERVAL,
      '--instance',
      HOST,
    ]),
  );
  if (dockerd) {
    agents.push(
      startAgent('packages/container-collector/src/cli.ts', [
        '--docker',
        dockerd.address,
        '--carbon',
        carbonAddress,
        '--interval',
        INTERVAL,
        '--host-name',
        HOST,
        '--instance',
        HOST,
        '--group-label',
        'es_cluster',
      ]),
    );
  }
  for (const agent of agents) cleanups.push(() => agent.stop());
  for (let elapsed = 0; elapsed < DURATION_S; elapsed += 10) {
    await sleep(Math.min(10, DURATION_S - elapsed) * 1000);
    for (const agent of agents) {
      if (agent.child.exitCode !== null)
        throw new Error(`an agent exited early (${agent.child.exitCode}):\n${agent.stderr().slice(-2000)}`);
    }
    process.stdout.write('.');
  }
  say('');
  for (const agent of agents) {
    const code = await agent.stop();
    if (code !== 0) throw new Error(`agent exited with ${code}:\n${agent.stderr().slice(-2000)}`);
  }
  await sleep(2000); // carbon writes asynchronously

  const metrics = await carbon.listMetrics();
  const esSeries = metrics.filter((name) => name.startsWith(`es.${CLUSTER}.`));
  const containerSeries = metrics.filter((name) => name.startsWith('containers.'));
  say(
    `\nCollected ${metrics.length} series: ${esSeries.length} from es-collector, ${containerSeries.length} from container-collector.`,
  );
  const latest = async (metric: string) => (await carbon.fetch(metric)).at(-1)?.[1];
  const show = async (label: string, metric: string, unit = '') => {
    const value = await latest(metric);
    say(
      `  ${label.padEnd(42)} ${value === undefined ? '(no data)' : `${Number(value.toFixed(3))}${unit}`}   ${metric}`,
    );
  };
  say('\nElasticsearch (recorded):');
  await show('cluster health (0 green, 1 yellow, 2 red)', `es.${CLUSTER}.cluster.health.status`);
  await show('nodes', `es.${CLUSTER}.cluster.health.number_of_nodes`);
  await show('docs (primaries, all indices)', `es.${CLUSTER}.indices._all.primaries.docs.count`);
  await show('highest heap used', `es.${CLUSTER}.aggregates.all.heap_used_percent.max`, ' %');
  await show('collector up', `es.${CLUSTER}.collector.up`);
  if (dockerd) {
    const app = APP_ID.slice(1).replaceAll('/', '_');
    say('\nContainers (live, measured from cgroups):');
    await show('app instances', `containers.${HOST}.apps.${app}.instances`);
    await show(
      'app CPU used (0.2 + 0.3 + 0.5 allowed)',
      `containers.${HOST}.apps.${app}.cpu.cores`,
      ' cores',
    );
    await show('app CPU limit', `containers.${HOST}.apps.${app}.cpu.limit_cores`, ' cores');
    await show('app working set', `containers.${HOST}.apps.${app}.memory.working_set_bytes`, ' bytes');
    await show('host CPU used', `containers.${HOST}.host.cpu.cores`, ' cores');
  }

  await mkdir(outputDir, { recursive: true });
  const graphs: Array<[string, string]> = [
    ['es-heap-per-node.png', `aliasByNode(es.${CLUSTER}.nodes.*.jvm.mem.heap_used_percent, 3)`],
    ['es-docs.png', `es.${CLUSTER}.indices._all.primaries.docs.count`],
  ];
  if (dockerd) {
    graphs.push(
      ['container-cores-per-task.png', `aliasByNode(containers.${HOST}.apps.*.tasks.*.cpu.cores, 5)`],
      ['app-cores-vs-limit.png', `aliasByNode(containers.${HOST}.apps.*.cpu.{cores,limit_cores}, 3, 5)`],
    );
  }
  say('');
  for (const [file, target] of graphs) {
    const url = `${web.url}/render?target=${encodeURIComponent(target)}&from=-${DURATION_S + 30}s&width=900&height=400&format=png&title=${encodeURIComponent(file.replace('.png', ''))}`;
    const response = await fetch(url);
    await writeFile(join(outputDir, file), Buffer.from(await response.arrayBuffer()));
    say(`Graph: ${join(outputDir, file)}  (${target})`);
  }
  say(
    '\nEverything the demo started (carbon-cache, graphite-web, the stand-in, dockerd and its containers) is being stopped now.',
  );
}

try {
  await main();
  await cleanup();
} catch (error) {
  process.stderr.write(`demo failed: ${(error as Error).stack ?? error}\n`);
  await cleanup();
  process.exit(1);
}
