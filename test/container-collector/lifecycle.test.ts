/**
 * Deaths, OOM kills and restarts on a real dockerd, counted by the real agent from Docker's events:
 * a container whose main process the OOM killer ends, one that exits 3, one that `--restart
 * on-failure:2` restarts twice and still fails. Each seen with the agent running before it dies, with
 * the agent started after it died (not counted: not a death the agent saw), across a daemon restart
 * (counted once), and dying while the agent is cut off from Docker (recovered from Docker's state,
 * counted once). While cut off: `collector.docker_up 0`, no instance counts, cgroup metrics still sent.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { startDockerProxy } from '../faults/docker-proxy.js';
import { type AgentProcess, startAgent } from '../harness/agent.js';
import {
  type Dockerd,
  dockerSkip,
  type RunOptions,
  sharedDockerd,
  startDockerd,
} from '../harness/dockerd.js';
import { freePort } from '../harness/graphite.js';
import { cycleAt, series, waitFor } from './series.js';

const skip =
  dockerSkip() ?? (process.env.STOKER_TEST_DOCKER_HOST ? 'a shared daemon cannot be restarted' : undefined);
const MiB = 1024 * 1024;
const WAIT_MS = 60_000;

/** A Marathon task of app `/life/<app>` (env as Marathon sets it). */
function task(app: string, n: number, options: Omit<RunOptions, 'env'>): RunOptions {
  return {
    ...options,
    env: { MARATHON_APP_ID: `/life/${app}`, MESOS_TASK_ID: `life_${app}.${n}-uuid` },
  };
}

/** The three deaths of the issue, as Marathon tasks of three apps (`<prefix>oom`, ...). */
function deaths(prefix: string): RunOptions[] {
  return [
    // The main process itself is the OOM killer's victim: the container ends, its cgroup goes.
    task(`${prefix}oom`, 1, { cmd: 'exec tail /dev/zero', memoryBytes: 16 * MiB }),
    task(`${prefix}exit`, 1, { cmd: 'exit 3' }),
    task(`${prefix}restart`, 1, { cmd: 'exit 3', restart: { name: 'on-failure', maxRetries: 2 } }),
  ];
}

/** Waits until Docker says the container has stopped for good (restarts done). */
async function exited(dockerd: Dockerd, id: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const state = (await dockerd.docker.getContainer(id).inspect()).State;
    if (!state.Running && !state.Restarting) return;
    if (Date.now() > deadline) throw new Error(`container ${id} still ${state.Status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function startLifecycleAgent(docker: string, host: string, httpPort: number): AgentProcess {
  return startAgent(
    'packages/container-collector/src/cli.ts',
    [
      '--docker',
      docker,
      '--output',
      'stdout',
      '--interval',
      '1s',
      '--host-name',
      host,
      '--log-level',
      'info',
    ],
    { httpPort, env: { HOST: '', PORT0: '', STOKER_HTTP_PORT: '' } },
  );
}

/** Helpers over one agent's output. */
function reader(agent: AgentProcess, host: string) {
  const up = `containers.${host}.collector.docker_up`;
  const context = () =>
    `stderr:\n${agent.stderr().slice(-3000)}\nstdout tail:\n${agent.stdout().slice(-1500)}`;
  const name = (app: string, counter: string, taskN?: number) =>
    `containers.${host}.apps.life_${app}${taskN === undefined ? '' : `.tasks.${taskN}-uuid`}.lifecycle.${counter}`;
  /** The value of `series` once it reads `value` (the wait is for events and a cycle, not a timing). */
  const reaches = (series_: string, value: number) =>
    waitFor(
      `${series_} = ${value}`,
      () => (series(agent.stdout(), series_).some((point) => point.value === value) ? value : undefined),
      WAIT_MS,
      context,
    );
  /** Every value `series_` took (for "exactly once": it never went past the expected value). */
  const values = (series_: string) => series(agent.stdout(), series_).map((point) => point.value);
  /** Waits for `cycles` more cycles to be printed. */
  const cycles = async (cycles: number) => {
    const seen = series(agent.stdout(), up).length;
    await waitFor(
      `${cycles} more cycles`,
      () => (series(agent.stdout(), up).length >= seen + cycles ? true : undefined),
      WAIT_MS,
      context,
    );
  };
  const logLines = () =>
    agent
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  /** Waits for two cycles with docker_up 0 printed after `from` (an offset in stdout). */
  const blind = (from: number) =>
    waitFor(
      'docker_up 0 twice',
      () =>
        series(agent.stdout().slice(from), up).filter((p) => p.value === 0).length >= 2 ? true : undefined,
      WAIT_MS,
      context,
    );
  /**
   * Every cycle of `output` with docker_up 0: no instance count (stale beats a false 0), and the
   * container Docker ran before still measured from its cgroup (`usage`, a full series name).
   */
  const assertBlindCycles = (output: string, usage: string) => {
    const downCycles = series(output, up)
      .filter((point) => point.value === 0)
      .map((point) => point.timestampSec);
    assert.ok(downCycles.length >= 2, 'cycles with docker_up 0');
    for (const timestamp of downCycles) {
      const cycle = cycleAt(output, timestamp);
      assert.ok(![...cycle.keys()].some((key) => key.endsWith('.instances')), `instances at ${timestamp}`);
      assert.ok((cycle.get(usage) ?? 0) > 0, `the running container still measured at ${timestamp}`);
    }
  };
  return { context, name, reaches, values, cycles, logLines, blind, assertBlindCycles };
}

/** The counts each of the three deaths must leave, per task and app: exactly these, never more. */
async function assertCounted(
  r: ReturnType<typeof reader>,
  prefix: string,
  logged: (app: string) => Record<string, unknown> | undefined,
): Promise<void> {
  const oom = `${prefix}oom`;
  const exit = `${prefix}exit`;
  const restart = `${prefix}restart`;
  for (const n of [undefined, 1]) {
    await r.reaches(r.name(oom, 'oom_kills_total', n), 1);
    await r.reaches(r.name(oom, 'last_exit_code', n), 137);
    await r.reaches(r.name(exit, 'exits_total', n), 1);
    await r.reaches(r.name(exit, 'last_exit_code', n), 3);
    await r.reaches(r.name(restart, 'restarts_total', n), 2);
    await r.reaches(r.name(restart, 'exits_total', n), 3);
  }
  await r.reaches(r.name(oom, 'task_exits_total'), 1);
  await r.reaches(r.name(restart, 'task_exits_total'), 1);
  // Exactly once: a few more cycles, and no value ever went past what happened.
  await r.cycles(3);
  for (const n of [undefined, 1]) {
    assert.deepEqual(new Set(r.values(r.name(oom, 'oom_kills_total', n)).filter((v) => v > 0)), new Set([1]));
    assert.deepEqual(new Set(r.values(r.name(oom, 'exits_total', n)).filter((v) => v > 0)), new Set([1]));
    assert.deepEqual(new Set(r.values(r.name(exit, 'exits_total', n)).filter((v) => v > 0)), new Set([1]));
    assert.deepEqual(new Set(r.values(r.name(exit, 'oom_kills_total', n))), new Set([0]));
    assert.ok(Math.max(...r.values(r.name(restart, 'restarts_total', n))) === 2);
    assert.ok(Math.max(...r.values(r.name(restart, 'exits_total', n))) === 3);
  }
  assert.ok(Math.max(...r.values(r.name(restart, 'task_exits_total'))) === 1);
  const oomLine = logged(oom);
  assert.ok(oomLine, `a warn line for the OOM kill\n${r.context()}`);
  assert.equal(oomLine.level, 40);
  assert.equal(oomLine.exitCode, 137);
  assert.equal(oomLine.oom, true);
  assert.equal(oomLine.task, `life_${oom}.1-uuid`);
  assert.equal(logged(exit)?.exitCode, 3);
  assert.equal(logged(exit)?.oom, false);
}

describe('container lifecycle on a real Docker daemon', { skip, timeout: 600_000 }, () => {
  let dockerd: Dockerd;
  before(async () => {
    dockerd = await sharedDockerd();
  });

  test('agent running when they die: OOM kill, exit 3, two restarts counted once each, with a warn line; still once after a daemon restart', async (t) => {
    const httpPort = await freePort();
    const agent = startLifecycleAgent(dockerd.address, 'live', httpPort);
    t.after(() => agent.stop());
    const r = reader(agent, 'live');
    await r.cycles(1);
    const started = await Promise.all(deaths('a').map((options) => dockerd.run(options)));
    t.after(() => Promise.all(started.map((container) => container.remove())));
    for (const container of started) await exited(dockerd, container.id);
    const lines = () => r.logLines().filter((line) => line.msg === 'container died');
    await assertCounted(r, 'a', (app) => lines().find((line) => line.app === `/life/${app}`));
    // One line per death: three for the container restarted twice.
    assert.equal(lines().filter((line) => line.app === '/life/arestart').length, 3);

    // The event stream cut by a daemon restart: what the agent reads from Docker's state afterwards
    // (the same deaths, FinishedAt and all) is not counted again.
    const before = agent.stdout().length;
    await dockerd.restart();
    await agent.waitForStatus((s) => s['container-collector']?.docker?.reconnects >= 1, WAIT_MS);
    await agent.waitForStatus((s) => s['container-collector']?.docker?.connected === true, WAIT_MS);
    await r.cycles(3);
    const since = agent.stdout().slice(before);
    for (const [app, counter, value] of [
      ['aoom', 'oom_kills_total', 1],
      ['aoom', 'exits_total', 1],
      ['aexit', 'exits_total', 1],
      ['arestart', 'restarts_total', 2],
      ['arestart', 'exits_total', 3],
    ] as const) {
      const points = series(since, r.name(app, counter));
      assert.ok(points.length > 0, `${app} ${counter} still sent after the restart`);
      for (const point of points) assert.equal(point.value, value, `${app} ${counter} after the restart`);
    }
    assert.equal(await agent.stop(), 0, r.context());
  });

  test('agent started after they died: not counted (deaths before the agent are not its to count)', async (t) => {
    const started = await Promise.all(deaths('b').map((options) => dockerd.run(options)));
    t.after(() => Promise.all(started.map((container) => container.remove())));
    for (const container of started) await exited(dockerd, container.id);
    const agent = startLifecycleAgent(dockerd.address, 'late', await freePort());
    t.after(() => agent.stop());
    const r = reader(agent, 'late');
    await r.cycles(4);
    // The host's counters start at 0 with the agent, and stay there: nothing died since.
    for (const counter of ['oom_kills_total', 'exits_total', 'restarts_total']) {
      const values = series(agent.stdout(), `containers.late.all.lifecycle.${counter}`).map((p) => p.value);
      assert.ok(values.length >= 4, `all.lifecycle.${counter} sent every cycle`);
      assert.deepEqual(new Set(values), new Set([0]), `all.lifecycle.${counter}`);
    }
    assert.ok(!agent.stdout().includes('.apps.life_b'), 'the dead tasks are not shown as news');
    assert.ok(!agent.stderr().includes('container died'), 'no death logged');
    assert.equal(await agent.stop(), 0, r.context());
  });

  test('cut off from Docker while they die: docker_up 0, no instance counts, cgroups still read; deaths recovered once', async (t) => {
    const proxy = await startDockerProxy(dockerd.address);
    t.after(() => proxy.close());
    const steady = await dockerd.run(task('steady', 1, { cmd: 'sleep 3600' }));
    t.after(() => steady.remove());
    const agent = startLifecycleAgent(proxy.address, 'cut', await freePort());
    t.after(() => agent.stop());
    const r = reader(agent, 'cut');
    await r.reaches('containers.cut.apps.life_steady.instances', 1);

    proxy.cut();
    const cutFrom = agent.stdout().length;
    await r.blind(cutFrom);
    const started = await Promise.all(deaths('c').map((options) => dockerd.run(options)));
    t.after(() => Promise.all(started.map((container) => container.remove())));
    for (const container of started) await exited(dockerd, container.id);
    r.assertBlindCycles(
      agent.stdout().slice(cutFrom),
      'containers.cut.apps.life_steady.tasks.1-uuid.memory.usage_bytes',
    );
    proxy.restore();
    await r.reaches('containers.cut.apps.life_steady.instances', 1);
    await assertCounted(r, 'c', (app) =>
      r.logLines().find((line) => line.app === `/life/${app}` && typeof line.msg === 'string'),
    );
    const dockerLines = r
      .logLines()
      .filter((line) => /^Docker (unreachable|reachable again)/.test(String(line.msg)));
    assert.deepEqual(
      dockerLines.map((line) => String(line.msg).split(';')[0]),
      ['Docker unreachable', 'Docker reachable again'],
      'one line when Docker goes, one when it is back',
    );
    assert.ok(typeof dockerLines[1]!.awaySeconds === 'number');
    assert.equal(await agent.stop(), 0, r.context());
  });

  test('dockerd stopped while the agent runs (--live-restore: containers keep running): docker_up 0, no instance counts, their cgroups still read', async (t) => {
    const liveRestore = await startDockerd({ liveRestore: true });
    t.after(() => liveRestore.stop());
    const steady = await liveRestore.run(task('kept', 1, { cmd: 'sleep 3600' }));
    t.after(() => steady.remove());
    const agent = startLifecycleAgent(liveRestore.address, 'stop', await freePort());
    t.after(() => agent.stop());
    const r = reader(agent, 'stop');
    const instances = 'containers.stop.apps.life_kept.instances';
    await r.reaches(instances, 1);
    let whileStopped = '';
    await liveRestore.restart(async () => {
      const stoppedFrom = agent.stdout().length;
      await r.blind(stoppedFrom);
      whileStopped = agent.stdout().slice(stoppedFrom);
    });
    r.assertBlindCycles(whileStopped, 'containers.stop.apps.life_kept.tasks.1-uuid.memory.usage_bytes');
    // Back: the container never stopped, so nothing died; instance counts again.
    const backFrom = agent.stdout().length;
    await waitFor(
      'instances after the daemon is back',
      () => (series(agent.stdout().slice(backFrom), instances).some((p) => p.value === 1) ? true : undefined),
      WAIT_MS,
      r.context,
    );
    assert.deepEqual(
      new Set(series(agent.stdout(), 'containers.stop.all.lifecycle.exits_total').map((p) => p.value)),
      new Set([0]),
    );
    assert.equal(await agent.stop(), 0, r.context());
  });
});
