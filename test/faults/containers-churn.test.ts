/**
 * Churn at scale: 50 containers started and killed while the real container-collector runs 1 s
 * cycles against the real daemon (test/container-collector/physical.test.ts does 6 killed mid-cycle
 * and short-lived ones). No crash, no error flood, every cycle on time, and no series left behind.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { startAgent } from '../harness/agent.js';
import { dockerSkip, sharedDockerd, type TestContainer } from '../harness/dockerd.js';
import { freePort } from '../harness/graphite.js';
import { CONTAINER_CLI, checkCarbonLines, logLines, waitUntil } from './helpers.js';

const skip = dockerSkip();
const COUNT = 50;

test('50 containers started and killed while cycles run', { skip, timeout: 300_000 }, async (t) => {
  const dockerd = await sharedDockerd();
  const steady = await dockerd.run({ name: 'churn-steady', cmd: 'sleep 3600' });
  t.after(() => steady.remove());
  const httpPort = await freePort();
  const agent = startAgent(
    CONTAINER_CLI,
    [
      '--docker',
      dockerd.address,
      '--interval',
      '1s',
      '--output',
      'stdout',
      '--host-name',
      'churn',
      '--no-host-metrics',
    ],
    { httpPort, env: { HOST: '', PORT0: '' } },
  );
  t.after(() => agent.stop());
  const context = () => agent.stderr().slice(-3000);
  const instances = () =>
    checkCarbonLines(agent.stdout(), 'containers').points.filter(
      (point) => point.name === 'containers.churn.all.instances',
    );
  await waitUntil('first cycle', () => (instances().length > 0 ? true : undefined), 20_000, context);
  const baseline = instances().at(-1)!.value;

  // Start them a few at a time (busy ones and idle ones); kill each one shortly after, so starts,
  // reads and deaths overlap with cycles throughout.
  const limit = pLimit(4);
  const started: TestContainer[] = [];
  let maxDurationMs = 0;
  const watch = setInterval(() => {
    agent
      .get('/status')
      .then(({ body }) => {
        maxDurationMs = Math.max(maxDurationMs, body.jobs?.containers?.last_duration_ms ?? 0);
      })
      .catch(() => {});
  }, 250);
  t.after(() => clearInterval(watch));
  const churnStarted = Date.now();
  await Promise.all(
    Array.from({ length: COUNT }, (_, i) =>
      limit(async () => {
        const container = await dockerd.run({
          name: `churn50-${i}`,
          cmd: i % 5 === 0 ? 'sleep 0.3' : i % 2 === 0 ? 'yes > /dev/null' : 'sleep 3600',
          ...(i % 2 === 0 ? { cpus: 0.05 } : {}),
        });
        started.push(container);
        await sleep(300 + ((i * 137) % 1200));
        await container.remove();
      }),
    ),
  );
  const churnMs = Date.now() - churnStarted;
  console.log(`started and removed ${COUNT} containers in ${churnMs} ms; slowest cycle ${maxDurationMs} ms`);

  // Three more cycles, then judge the last two.
  await sleep(3000);
  const from = agent.stdout().length;
  await sleep(2000);
  clearInterval(watch);
  const recent = agent.stdout().slice(from);
  const status = (await agent.get('/status')).body;
  assert.equal(agent.child.exitCode, null, 'agent still running');
  assert.ok(recent.includes('containers.churn.all.instances '), 'still emitting');
  assert.doesNotMatch(recent, /\.churn50-/, 'no series left for a gone container');
  assert.equal(instances().at(-1)!.value, baseline, 'back to the containers that are still there');
  assert.ok(
    instances().some((point) => point.value > baseline),
    'the churned containers were measured while they lived',
  );
  assert.equal(status['container-collector'].docker.connected, true);

  // Bounded time: while dockerd and runc saturate both cores, a cycle may overrun its 1 s deadline a
  // little, but cycles keep coming (few skipped ticks) and none takes seconds.
  const { runs, skipped_ticks: skipped } = status.jobs.containers;
  assert.ok(maxDurationMs < 3000, `slowest cycle ${maxDurationMs} ms`);
  assert.ok(skipped <= Math.max(2, runs / 10), `skipped ticks ${skipped} of ${runs} cycles`);

  // No error flood: at most one log line per container and cause, and nothing at error level.
  const logs = logLines(agent.stderr());
  const perContainerCause = new Map<string, number>();
  for (const entry of logs) {
    if (typeof entry.container !== 'string') continue;
    const key = `${entry.container} ${entry.msg}`;
    perContainerCause.set(key, (perContainerCause.get(key) ?? 0) + 1);
  }
  const repeated = [...perContainerCause].filter(([, count]) => count > 1);
  assert.deepEqual(repeated, [], 'one line per container per cause');
  // Two causes at most per container, plus its death ("container died", one line each).
  assert.ok(logs.length <= 3 * COUNT + 10, `${logs.length} log lines`);
  assert.deepEqual(
    logs.filter((entry) => entry.level >= 50),
    [],
    'no error or fatal lines',
  );
  const { problems } = checkCarbonLines(agent.stdout(), 'containers');
  assert.deepEqual(problems.slice(0, 10), []);
  assert.equal(await agent.stop(), 0, context());
});
