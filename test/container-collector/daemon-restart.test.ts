/**
 * The daemon restarted under a running agent: the event stream breaks, the agent keeps going, reconnects
 * with backoff, lists again, and measures containers started after the restart.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startAgent } from '../harness/agent.js';
import { dockerSkip, sharedDockerd } from '../harness/dockerd.js';
import { freePort } from '../harness/graphite.js';
import { series, waitFor } from './series.js';

const skip =
  dockerSkip() ?? (process.env.STOKER_TEST_DOCKER_HOST ? 'a shared daemon cannot be restarted' : undefined);
const INTERVAL_MS = 1000;

test('the agent survives a daemon restart and picks up containers started after it', {
  skip,
  timeout: 120_000,
}, async () => {
  const dockerd = await sharedDockerd();
  const httpPort = await freePort();
  const before = await dockerd.run({ name: 'before-restart', cmd: 'sleep 3600' });
  const agent = startAgent(
    'packages/container-collector/src/cli.ts',
    ['--docker', dockerd.address, '--output', 'stdout', '--interval', '1s', '--host-name', 'h'],
    { httpPort, env: { HOST: '', PORT0: '' } },
  );
  after(() => agent.stop());
  const context = () => agent.stderr().slice(-3000);
  const seen = (name: string) =>
    series(agent.stdout(), `containers.h.containers.${name}.memory.usage_bytes`).length > 0
      ? true
      : undefined;
  await waitFor('before-restart measured', () => seen('before-restart'), 10_000, context);

  await dockerd.restart();
  await before.remove();
  const afterRestart = await dockerd.run({ name: 'after-restart', cmd: 'sleep 3600' });
  await waitFor('after-restart measured', () => seen('after-restart'), 20_000, context);
  const status = await agent.waitForStatus(
    (s) => s['container-collector']?.docker?.connected === true,
    10_000,
  );
  const docker = status['container-collector'].docker;
  assert.ok(docker.reconnects >= 1, `reconnects ${docker.reconnects}`);
  assert.equal(agent.child.exitCode, null);
  // The stopped container's series stopped.
  const tail = agent.stdout().slice(-20_000);
  const lastCycle = Math.max(
    ...series(tail, 'containers.h.all.instances').map((point) => point.timestampSec),
  );
  assert.ok(
    !series(tail, 'containers.h.containers.before-restart.memory.usage_bytes').some(
      (p) => p.timestampSec === lastCycle,
    ),
  );
  await afterRestart.remove();
  assert.equal(await agent.stop(), 0);
  void INTERVAL_MS;
});
