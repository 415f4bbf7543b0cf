/**
 * The lifecycle counters' bookkeeping, event by event: what Docker's stream sends (in the order a real
 * dockerd 20.10 sent it: three `oom` for one kill, `die` with its exit code, restart-policy restarts as
 * `start` after `die`) and the inspect answers it gives. The same cases run end to end against a real
 * dockerd in test/container-collector/lifecycle.test.ts; here the orderings a real daemon rarely
 * produces on demand (an inspect older than the events, a cut mid-loop) are pinned down.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerInspectInfo } from 'dockerode';
import type { Logger } from 'pino';
import { ContainerLifecycle, type LifecycleCounts } from '../src/docker/lifecycle.js';

const T0 = Date.parse('2026-12-04T09:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

interface State {
  running?: boolean;
  restarting?: boolean;
  oomKilled?: boolean;
  exitCode?: number;
  startedAt: number;
  finishedAt?: number;
  restartCount?: number;
}

function info(id: string, state: State, createdAt = T0 - 60_000): ContainerInspectInfo {
  return {
    Id: id,
    Name: `/${id}`,
    Created: iso(createdAt),
    RestartCount: state.restartCount ?? 0,
    State: {
      Running: state.running ?? false,
      Restarting: state.restarting ?? false,
      OOMKilled: state.oomKilled ?? false,
      ExitCode: state.exitCode ?? 0,
      StartedAt: iso(state.startedAt),
      FinishedAt: state.finishedAt === undefined ? '0001-01-01T00:00:00Z' : iso(state.finishedAt),
    },
    Config: { Env: ['MARATHON_APP_ID=/es/data', `MESOS_TASK_ID=es_data.${id}`], Labels: {} },
    HostConfig: { NetworkMode: 'none' },
  } as unknown as ContainerInspectInfo;
}

function setup() {
  const answers = new Map<string, ContainerInspectInfo>();
  const warnings: Record<string, unknown>[] = [];
  const log = {
    warn: (fields: Record<string, unknown>) => warnings.push(fields),
    debug: () => {},
  } as unknown as Logger;
  const lifecycle = new ContainerLifecycle({
    groupLabelKeys: [],
    log,
    inspect: async (id) => answers.get(id),
    startedAtMs: T0,
  });
  const app = async (): Promise<LifecycleCounts> => {
    await lifecycle.settled();
    return lifecycle.view([]).apps.get('/es/data') ?? ({} as LifecycleCounts);
  };
  return { lifecycle, answers, warnings, app };
}

test('an OOM-killed main process: one kill however many `oom` events, exit 137, one warning', async () => {
  const { lifecycle, answers, warnings, app } = setup();
  lifecycle.event({ id: 'a', action: 'start', atMs: T0 + 1000 });
  for (const ms of [1090, 1097, 1100]) lifecycle.event({ id: 'a', action: 'oom', atMs: T0 + ms });
  answers.set('a', info('a', { startedAt: T0 + 999, finishedAt: T0 + 1101, oomKilled: true, exitCode: 137 }));
  lifecycle.event({ id: 'a', action: 'die', atMs: T0 + 1150, exitCode: 137 });
  const counts = await app();
  assert.deepEqual(
    [
      counts.oomKillsTotal,
      counts.exitsTotal,
      counts.lastExitCode,
      counts.taskStartsTotal,
      counts.taskExitsTotal,
    ],
    [1, 1, 137, 1, 1],
  );
  assert.equal(warnings.length, 1);
  assert.deepEqual(
    [warnings[0]!.task, warnings[0]!.app, warnings[0]!.exitCode, warnings[0]!.oom],
    ['es_data.a', '/es/data', 137, true],
  );
  // Docker's state read after a reconnect shows the same death: not counted again.
  lifecycle.resync([answers.get('a')!]);
  assert.equal((await app()).exitsTotal, 1);
  assert.equal(warnings.length, 1);
});

test('OOM kills of a child the container survives: the cgroup count, from this run only', async () => {
  const { lifecycle, app } = setup();
  // Running before the agent, with two kills in its cgroup already: history, not news.
  lifecycle.resync([info('b', { running: true, startedAt: T0 - 5000 })]);
  await lifecycle.settled();
  lifecycle.noteCgroupOomKills('b', 2);
  lifecycle.event({ id: 'b', action: 'oom', atMs: T0 + 100 });
  lifecycle.noteCgroupOomKills('b', 4);
  assert.equal((await app()).oomKillsTotal, 2);
});

test('--restart on-failure:2 failing: 2 restarts, 3 exits, 1 task exit; the same after a resync and a stale inspect', async () => {
  const { lifecycle, answers, warnings, app } = setup();
  lifecycle.event({ id: 'c', action: 'start', atMs: T0 + 1000 });
  const loop = [
    { dieAt: 1050, restarting: true },
    { dieAt: 1650, restarting: true },
    { dieAt: 2250, restarting: false },
  ];
  for (const [n, { dieAt, restarting }] of loop.entries()) {
    answers.set(
      'c',
      info('c', {
        startedAt: T0 + dieAt - 45,
        finishedAt: T0 + dieAt - 5,
        restarting,
        exitCode: 3,
        restartCount: n,
      }),
    );
    lifecycle.event({ id: 'c', action: 'die', atMs: T0 + dieAt, exitCode: 3 });
    await lifecycle.settled();
    if (restarting) lifecycle.event({ id: 'c', action: 'start', atMs: T0 + dieAt + 550 });
  }
  const expected = [2, 3, 3, 1, 1];
  const tuple = (c: LifecycleCounts) => [
    c.restartsTotal,
    c.exitsTotal,
    c.lastExitCode,
    c.taskStartsTotal,
    c.taskExitsTotal,
  ];
  assert.deepEqual(tuple(await app()), expected);
  assert.equal(warnings.length, 3);
  // An inspect answered before the last restart, handled after it: nothing new in it.
  lifecycle.resync([
    info('c', { running: true, startedAt: T0 + 1600, finishedAt: T0 + 1045, restartCount: 1 }),
  ]);
  lifecycle.resync([answers.get('c')!]);
  assert.deepEqual(tuple(await app()), expected);
});

test('deaths while the stream was cut are recovered once from Docker state; deaths before the agent are not counted', async () => {
  const { lifecycle, warnings, app } = setup();
  // Known running before the cut.
  lifecycle.resync([info('d', { running: true, startedAt: T0 - 10_000 })]);
  // Died before the agent started: no record, no counts, no line.
  lifecycle.resync([info('old', { startedAt: T0 - 9000, finishedAt: T0 - 8000, exitCode: 1 })]);
  await lifecycle.settled();
  // During the cut: d OOM-killed; e created, restarted twice by its policy, exited 3.
  const after = [
    info('d', { startedAt: T0 - 10_000, finishedAt: T0 + 5000, oomKilled: true, exitCode: 137 }),
    info('e', { startedAt: T0 + 6200, finishedAt: T0 + 6250, exitCode: 3, restartCount: 2 }, T0 + 6000),
  ];
  lifecycle.resync(after);
  const counts = await app();
  assert.deepEqual(
    [
      counts.oomKillsTotal,
      counts.exitsTotal,
      counts.restartsTotal,
      counts.taskStartsTotal,
      counts.taskExitsTotal,
    ],
    [1, 4, 2, 1, 2],
  );
  assert.deepEqual(
    warnings.map((line) => [line.container, line.exitCode, line.deaths ?? 1]),
    [
      ['d', 137, 1],
      ['e', 3, 3],
    ],
  );
  // A second reconnect reads the same state: nothing more.
  lifecycle.resync(after);
  assert.equal((await app()).exitsTotal, 4);
});

test("a removed container's counts stay in its app's and the host's, and its own series go", async () => {
  const { lifecycle, answers, app } = setup();
  lifecycle.event({ id: 'f', action: 'start', atMs: T0 + 100 });
  answers.set('f', info('f', { startedAt: T0 + 99, finishedAt: T0 + 200, exitCode: 1 }));
  lifecycle.event({ id: 'f', action: 'die', atMs: T0 + 210, exitCode: 1 });
  lifecycle.event({ id: 'f', action: 'destroy', atMs: T0 + 300 });
  await lifecycle.settled();
  assert.equal(lifecycle.view([]).containers.length, 1, 'shown once after its death');
  for (let cycle = 0; cycle < 2; cycle++) {
    const view = lifecycle.view([]);
    assert.equal(view.containers.length, 0);
    assert.equal(view.all.exitsTotal, 1);
  }
  assert.equal((await app()).exitsTotal, 1);
});

test('a death read from Docker state (a reconnect) before its `die` event arrives is counted once', async () => {
  const { lifecycle, answers, warnings, app } = setup();
  lifecycle.event({ id: 'g', action: 'start', atMs: T0 + 1000 });
  answers.set('g', info('g', { startedAt: T0 + 999, finishedAt: T0 + 1100, exitCode: 2 }));
  lifecycle.resync([answers.get('g')!]);
  lifecycle.event({ id: 'g', action: 'die', atMs: T0 + 1150, exitCode: 2 });
  const counts = await app();
  assert.deepEqual([counts.exitsTotal, counts.lastExitCode, counts.taskExitsTotal], [1, 2, 1]);
  assert.equal(warnings.length, 1);
});

test('a container removed while its death is still being inspected keeps its count', async () => {
  let answer: (value: ContainerInspectInfo | undefined) => void = () => {};
  let askedNow: () => void = () => {};
  const asked = new Promise<void>((resolve) => {
    askedNow = resolve;
  });
  const lifecycle = new ContainerLifecycle({
    groupLabelKeys: [],
    log: { warn: () => {}, debug: () => {} } as unknown as Logger,
    inspect: () =>
      new Promise((resolve) => {
        answer = resolve;
        askedNow();
      }),
    startedAtMs: T0,
  });
  lifecycle.event({ id: 'h', action: 'start', atMs: T0 + 100 });
  lifecycle.event({ id: 'h', action: 'die', atMs: T0 + 200, exitCode: 1 });
  lifecycle.event({ id: 'h', action: 'destroy', atMs: T0 + 210 });
  await asked;
  // Two cycles while the inspect hangs (docker run --rm: it answers 404 in the end).
  lifecycle.view([]);
  lifecycle.view([]);
  answer(undefined);
  await lifecycle.settled();
  assert.equal(lifecycle.view([]).all.exitsTotal, 1);
  assert.equal(lifecycle.view([]).all.exitsTotal, 1);
});
