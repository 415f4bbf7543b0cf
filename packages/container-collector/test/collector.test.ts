import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Logger } from 'pino';
import { recordingCycle } from '../../../test/harness/cycle.js';
import { sharedPath, sharedSkip } from '../../../test/harness/fixtures.js';
import type { CgroupLayout } from '../src/cgroup/locate.js';
import { ContainerCollector, type ContainerSource } from '../src/collector.js';
import type { ContainerIdentity } from '../src/docker/identity.js';
import { defaultNaming } from '../src/naming/default.js';

const skip = sharedSkip();

function fakeLog(lines: string[]): Logger {
  const log = {
    info: (fields: object, message: string) => lines.push(`info ${message} ${JSON.stringify(fields)}`),
    warn: (fields: object, message: string) => lines.push(`warn ${message} ${JSON.stringify(fields)}`),
    debug: () => {},
    child: () => log,
  };
  return log as unknown as Logger;
}

const identity = (id: string, name: string): ContainerIdentity => ({
  id,
  shortId: id.slice(0, 12),
  name,
  image: 'busybox',
  // No such process: the collector must fall back to Docker's usual cgroup places.
  pid: 2 ** 22 + 1,
  paused: false,
  networkMode: 'host',
  ownNetwork: false,
  groupLabels: {},
});

test('collector: reads a v2 cgroup, falls back to Docker stats for an unreadable one, skips a vanished one', {
  skip,
}, async () => {
  const root = await mkdtemp(join(tmpdir(), 'stoker-cgroup-'));
  after(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, 'docker'));
  const readable = 'a'.repeat(64);
  const unreadable = 'b'.repeat(64);
  // The real v2 leaf from the shared fixtures stands in for /sys/fs/cgroup/docker/<id>.
  await symlink(
    sharedPath('fixtures', 'containers', 'telegraf', 'cgroup', 'v2'),
    join(root, 'docker', readable),
  );
  const layout: CgroupLayout = { mode: 'v2', root, v1Mounts: new Map() };
  const stats = JSON.parse(
    await readFile(
      sharedPath('fixtures', 'containers', 'otel_dockerstats', 'cgroups_v2', 'stats.json'),
      'utf8',
    ),
  );
  const containers = new Map<string, ContainerIdentity>([
    [readable, identity(readable, 'es-data-1')],
    [unreadable, identity(unreadable, 'odd-one')],
  ]);
  let statsCalls = 0;
  const source: ContainerSource = {
    containers,
    ready: true,
    connected: true,
    status: () => ({}),
    oneShotStats: async () => {
      statsCalls++;
      return stats;
    },
  };
  const logs: string[] = [];
  const collector = new ContainerCollector({
    source,
    layout,
    procRoot: join(root, 'proc'),
    naming: defaultNaming,
    hostName: 'h',
    hostMetrics: false,
    readConcurrency: 4,
    intervalMs: 10_000,
    timeoutMs: 9_000,
    log: fakeLog(logs),
    onceGapMs: 10,
  });
  const cycle = recordingCycle({ job: 'containers', once: true });
  await collector.run(cycle);
  const emitted = cycle.byName();

  // The values themselves: testcases/default-v2 and docker-api-fallback.
  assert.equal(emitted.get('h.containers.es-data-1.memory.usage_bytes'), 13_071_106_048);
  assert.equal(emitted.get('h.containers.odd-one.memory.usage_bytes'), 234_647_552);
  assert.equal(emitted.get('h.all.instances'), 2);
  // Host network: no network series at all.
  assert.ok(![...emitted.keys()].some((name) => name.includes('.network.')));
  assert.equal(statsCalls, 2);
  // Measured twice (--once's seeding read), through the fallback both times: one line, not one per read.
  const oddOne = cycle.warnings.filter((line) => line.includes('odd-one'));
  assert.equal(oddOne.length, 1, cycle.warnings.join('\n'));
  assert.match(oddOne[0]!, /cgroup files unreadable .*Docker's stats API/);

  const status = collector.status() as { containers: { name: string; source: string; network: string }[] };
  assert.deepEqual(
    status.containers.map((c) => [c.name, c.source, c.network]),
    [
      ['es-data-1', 'cgroup-v2', 'host-network'],
      ['odd-one', 'docker-api', 'host-network'],
    ],
  );

  // A container that vanishes (gone from discovery, cgroup gone) just stops: no log line, no throw.
  containers.delete(readable);
  await rm(join(root, 'docker', readable));
  const logsBefore = logs.length;
  const warningsBefore = cycle.warnings.length;
  // The runtime's problem log lives as long as the agent: the next cycle reports into the same one.
  const nextCycle = { ...recordingCycle({ job: 'containers' }), problems: cycle.problems };
  await collector.run(nextCycle);
  const next = nextCycle.byName();
  assert.ok(![...next.keys()].some((name) => name.includes('es-data-1')));
  assert.equal(logs.length, logsBefore);
  assert.equal(cycle.warnings.length, warningsBefore, 'odd-one still fails the same way: no new line');
  assert.deepEqual(nextCycle.warnings, []);
});

test('collector: an unreachable Docker fails the cycle, sends docker_up 0 and host metrics, and no instance count', async () => {
  const collector = new ContainerCollector({
    source: {
      containers: new Map(),
      ready: false,
      connected: false,
      status: () => ({ lastError: 'connect ENOENT' }),
      oneShotStats: async () => ({}),
    },
    layout: { mode: 'v2', root: '/nonexistent', v1Mounts: new Map() },
    procRoot: '/proc',
    naming: defaultNaming,
    hostName: 'h',
    hostMetrics: true,
    readConcurrency: 1,
    intervalMs: 10_000,
    timeoutMs: 9_000,
    log: fakeLog([]),
  });
  const cycle = recordingCycle({ job: 'containers' });
  await assert.rejects(collector.run(cycle), /Docker not reachable: connect ENOENT/);
  const emitted = cycle.byName();
  assert.ok(emitted.get('h.host.cpu.count')! >= 1);
  assert.equal(emitted.get('h.collector.docker_up'), 0);
  // Stale beats a false zero: "every container is gone" is not what the agent knows.
  assert.ok(![...emitted.keys()].some((name) => name.endsWith('.instances')), 'no instance count');
});
