/**
 * Graphite at scale: carbon-c-relay with consistent hashing in front of two carbon-caches, fed by both
 * agents. Each agent also replicates to a third cache directly, which is the ground truth of what was
 * sent: every series must land on exactly one of the two caches, with the same points, none lost.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startAgent } from '../harness/agent.js';
import { type Dockerd, dockerSkip, sharedDockerd, type TestContainer } from '../harness/dockerd.js';
import { type EsStandin, startEsStandin } from '../harness/es-standin.js';
import { sharedSkip } from '../harness/fixtures.js';
import {
  type CarbonCache,
  type CarbonRelay,
  requireProgram,
  startCarbonCache,
  startCarbonCRelay,
} from '../harness/graphite.js';

const skip =
  sharedSkip() ??
  requireProgram('carbon-cache', 'graphite-carbon') ??
  requireProgram('carbon-c-relay', 'carbon-c-relay') ??
  dockerSkip();

describe('carbon-c-relay in front of two caches', { skip }, () => {
  let caches: CarbonCache[] = [];
  let truth: CarbonCache;
  let es: EsStandin;
  let dockerd: Dockerd;
  const containers: TestContainer[] = [];
  before(async () => {
    [truth, ...caches] = await Promise.all([startCarbonCache(), startCarbonCache(), startCarbonCache()]);
    es = await startEsStandin({ version: '7.13.1' });
    dockerd = await sharedDockerd();
    for (const index of [0, 1]) {
      containers.push(
        await dockerd.run({
          cmd: 'sleep 600',
          env: { MARATHON_APP_ID: '/es/relay/data', MESOS_TASK_ID: `es_relay_data.task-${index}` },
        }),
      );
    }
  });
  after(async () => {
    await Promise.all(containers.map((container) => container.remove()));
    await Promise.all([truth, ...caches].map((cache) => cache?.stop()));
    await es?.close();
  });

  for (const hashing of ['fnv1a_ch', 'carbon_ch'] as const) {
    test(`${hashing}: every series on exactly one cache, none lost`, async () => {
      const relay: CarbonRelay = await startCarbonCRelay(caches, hashing);
      const prefix = `relay_${hashing}`;
      const targets = [
        '--carbon',
        `${relay.host}:${relay.port}`,
        '--carbon',
        `127.0.0.1:${truth.linePort}`,
        '--carbon-mode',
        'replicate',
      ];
      try {
        const agents = [
          startAgent('packages/es-collector/src/cli.ts', [
            '--es',
            es.url,
            '--cluster',
            'relayed',
            '--prefix',
            `${prefix}.es`,
            '--interval',
            '2s',
            ...targets,
          ]),
          startAgent('packages/container-collector/src/cli.ts', [
            '--docker',
            dockerd.address,
            '--host-name',
            'relay-host',
            '--prefix',
            `${prefix}.containers`,
            '--interval',
            '2s',
            ...targets,
          ]),
        ];
        await truth.waitForPoints(`${prefix}.es.relayed.collector.up`, 2, 30_000);
        await truth.waitForPoints(`${prefix}.containers.relay-host.apps.es_relay_data.instances`, 2, 30_000);
        for (const agent of agents) assert.equal(await agent.stop(), 0, agent.stderr());
        await new Promise((resolve) => setTimeout(resolve, 3000)); // relay and caches write asynchronously

        const sent = (await truth.listMetrics()).filter((name) => name.startsWith(`${prefix}.`));
        const [onA, onB] = await Promise.all(
          caches.map(
            async (cache) =>
              new Set((await cache.listMetrics()).filter((name) => name.startsWith(`${prefix}.`))),
          ),
        );
        assert.ok(sent.length > 500, `both agents sent plenty (${sent.length} series)`);
        assert.ok(onA!.size > 0 && onB!.size > 0, `hashing spreads series (${onA!.size} / ${onB!.size})`);
        const lost = sent.filter((name) => !onA!.has(name) && !onB!.has(name));
        const twice = sent.filter((name) => onA!.has(name) && onB!.has(name));
        assert.deepEqual(lost, [], `series lost behind the relay: ${lost.slice(0, 10).join(', ')}`);
        assert.deepEqual(twice, [], `series on both caches: ${twice.slice(0, 10).join(', ')}`);
        assert.equal(onA!.size + onB!.size, sent.length, 'nothing arrived that was not sent');
        // Same points behind the relay as sent directly, for a sample of series.
        for (const name of sent.filter((_, index) => index % 50 === 0)) {
          const cache = onA!.has(name) ? caches[0]! : caches[1]!;
          assert.deepEqual(await cache.fetch(name), await truth.fetch(name), name);
        }
      } finally {
        await relay.stop();
      }
    });
  }
});
