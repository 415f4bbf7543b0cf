/**
 * A group's percentages on a real dockerd: one Marathon task near its memory limit among idle ones.
 * The app's ratio of sums hides it; `percent_of_limit.max` is what an alert on "a task is about to be
 * OOM-killed" reads.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, startAgent } from '../harness/agent.js';
import { type Dockerd, dockerSkip, sharedDockerd, type TestContainer } from '../harness/dockerd.js';
import { cycleAt, series, waitFor } from './series.js';

const skip = dockerSkip();
const HOST = 'grouphost';
const INTERVAL_MS = 2000;
const APP = `containers.${HOST}.apps.es_hot_data`;
const MiB = 1024 * 1024;

describe('group percentages on a real Docker daemon', { skip }, () => {
  let dockerd: Dockerd;
  let agent: AgentProcess;
  const containers: TestContainer[] = [];
  const context = () =>
    `stderr:\n${agent.stderr().slice(-2000)}\nstdout tail:\n${agent.stdout().slice(-1500)}`;

  before(async () => {
    dockerd = await sharedDockerd();
    const task = (n: number, cmd: string) =>
      dockerd.run({
        name: `grp-hot-${n}`,
        cmd,
        memoryBytes: 64 * MiB,
        env: {
          MARATHON_APP_ID: '/es/hot/data',
          MESOS_TASK_ID: `es_hot_data.${n}0000000-be85-11e4-82c2-56847afe9799`,
        },
      });
    containers.push(
      ...(await Promise.all([
        // /dev/shm is tmpfs charged to the container and never reclaimed (no swap): 60 of 64 MiB held.
        task(1, 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=60 2>/dev/null; sleep 3600'),
        task(2, 'sleep 3600'),
        task(3, 'sleep 3600'),
      ])),
    );
    agent = startAgent(
      'packages/container-collector/src/cli.ts',
      [
        '--docker',
        dockerd.address,
        '--output',
        'stdout',
        '--interval',
        `${INTERVAL_MS}ms`,
        '--host-name',
        HOST,
      ],
      { env: { HOST: '', STOKER_HTTP_PORT: '', PORT0: '' } },
    );
  });

  after(async () => {
    const code = await agent?.stop();
    await Promise.all(containers.map((container) => container.remove()));
    assert.equal(code, 0, `agent exit code; ${agent ? context() : ''}`);
  });

  test('one task at ~95 % of its memory limit among idle ones: percent_of_limit.max ≥ 90, the ratio far lower', async () => {
    const tasks = [1, 2, 3].map((n) => `${APP}.tasks.${n}0000000-be85-11e4-82c2-56847afe9799`);
    // A cycle in which all three tasks were measured, with the first one's shm filled.
    const timestamp = await waitFor(
      'a cycle with the full task at ≥ 90 % and all three tasks',
      () => {
        const points = series(agent.stdout(), `${APP}.memory.percent_of_limit.max`);
        const last = points.at(-1);
        if (!last || last.value < 90) return undefined;
        return cycleAt(agent.stdout(), last.timestampSec).get(`${APP}.instances`) === 3
          ? last.timestampSec
          : undefined;
      },
      10 * INTERVAL_MS + 10_000,
      context,
    );
    const cycle = cycleAt(agent.stdout(), timestamp);
    const value = (name: string) => {
      const found = cycle.get(name);
      assert.ok(found !== undefined, `${name} missing from the cycle at ${timestamp}`);
      return found;
    };
    const taskPercents = tasks.map((task) => value(`${task}.memory.percent_of_limit`));
    const max = value(`${APP}.memory.percent_of_limit.max`);
    const ratio = value(`${APP}.memory.percent_of_limit`);
    console.log(
      `tasks ${taskPercents.map((p) => p.toFixed(1)).join(' / ')} %; app ratio ${ratio.toFixed(1)} %, max ${max.toFixed(1)} %`,
    );
    assert.ok(max >= 90, `percent_of_limit.max ${max}`);
    assert.equal(max, Math.max(...taskPercents), 'the worst task');
    // The ratio of sums: Σ working set / Σ limit, which the one full task cannot lift near 90.
    const workingSet = tasks.reduce((sum, task) => sum + value(`${task}.memory.working_set_bytes`), 0);
    const limit = tasks.reduce((sum, task) => sum + value(`${task}.memory.limit_bytes`), 0);
    assert.ok(Math.abs(ratio - (100 * workingSet) / limit) < 1e-9 * ratio, `ratio ${ratio} vs sums`);
    assert.ok(ratio < 40, `app ratio ${ratio}: one full task among two idle ones of the same limit`);
    assert.ok(![...cycle.keys()].some((name) => /percent[^.]*\.sum$/.test(name)), 'no .sum of a percentage');
  });
});
