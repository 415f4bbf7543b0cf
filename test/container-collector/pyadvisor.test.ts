/**
 * `--naming pyadvisor` against a real dockerd, busybox containers and the real agent: each container
 * under the alias pyadvisor gave it, with every name pyadvisor (QunarOPS/pyadvisor f566b31) sent, and
 * values that agree with the cgroup files read beside the agent (counters bracketed by a read before
 * and one after the agent's cycle). The names below are written from pyadvisor's code, not taken from
 * the agent's.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, startAgent } from '../harness/agent.js';
import { type Dockerd, dockerSkip, sharedDockerd, type TestContainer } from '../harness/dockerd.js';
import { parsePoints, waitFor } from './series.js';

const INTERVAL_MS = 2000;
const INSTANCE = 'pyadvisor-test';
const MiB = 1024 * 1024;
/**
 * A memory gauge of an idle container moves a page or two either way between reads (kernel objects
 * come and go: 4 KiB seen between two reads of the same `sleep` container), so one the agent read
 * between the two reads of the test may stand just outside them.
 */
const GAUGE_SLACK_BYTES = 64 * 1024;
/** pyadvisor read cgroup v1 only; the v2 equivalents are checked by testcases/pyadvisor-v2. */
const cgroupV1 = existsSync('/sys/fs/cgroup/memory/memory.stat');
const skip = dockerSkip() ?? (cgroupV1 ? undefined : 'cgroup v2 host: pyadvisor read cgroup v1 only');

/** pyadvisor's names of one container, but the per-CPU and per-device ones. */
const FIXED_NAMES = [
  'cpu.share',
  'cpu.cfs_quota_us',
  'cpu.cfs_period_us',
  'cpu.usage',
  ...['cache', 'swap', 'mapped_file', 'pgpgin', 'pgpgout', 'pgfault'].map((key) => `memory.${key}`),
  ...['memory', 'memory.kmem', 'memory.memsw'].flatMap((module) =>
    ['usage_in_bytes', 'max_usage_in_bytes', 'failcnt', 'limit_in_bytes'].map((file) => `${module}.${file}`),
  ),
  'memory.soft_limit_in_bytes',
];

/** How a value may move between the read before and the read after the agent's. */
type Kind = 'setting' | 'counter' | 'gauge';

interface Source {
  name: string;
  kind: Kind;
  value(files: CgroupFiles): number;
}

/** The container's cgroup v1 files, as read at one moment (file name → text; absent: missing). */
type CgroupFiles = Map<string, string>;

const firstLine = (text: string | undefined) => {
  const line = (text ?? '').split('\n')[0]!.trim();
  return line === '' ? -1 : Number(line);
};

/** Every name's source, as pyadvisor read it (memory.stat: this cgroup's own keys, 0 when absent). */
function sources(files: CgroupFiles): Source[] {
  const file = (name: string, path: string, kind: Kind): Source => ({
    name,
    kind,
    value: (read) => firstLine(read.get(path)),
  });
  const stat = (key: string, kind: Kind): Source => ({
    name: `memory.${key}`,
    kind,
    value: (read) => {
      const line = (read.get('memory.stat') ?? '').split('\n').find((each) => each.startsWith(`${key} `));
      return line ? Number(line.split(' ')[1]) : 0;
    },
  });
  const list: Source[] = [
    file('cpu.share', 'cpu.shares', 'setting'),
    file('cpu.cfs_quota_us', 'cpu.cfs_quota_us', 'setting'),
    file('cpu.cfs_period_us', 'cpu.cfs_period_us', 'setting'),
    file('cpu.usage', 'cpuacct.usage', 'counter'),
    stat('cache', 'gauge'),
    stat('swap', 'gauge'),
    stat('mapped_file', 'gauge'),
    stat('pgpgin', 'counter'),
    stat('pgpgout', 'counter'),
    stat('pgfault', 'counter'),
    file('memory.soft_limit_in_bytes', 'memory.soft_limit_in_bytes', 'setting'),
  ];
  for (const module of ['memory', 'memory.kmem', 'memory.memsw']) {
    list.push(
      file(`${module}.usage_in_bytes`, `${module}.usage_in_bytes`, 'gauge'),
      file(`${module}.max_usage_in_bytes`, `${module}.max_usage_in_bytes`, 'counter'),
      file(`${module}.failcnt`, `${module}.failcnt`, 'counter'),
      file(`${module}.limit_in_bytes`, `${module}.limit_in_bytes`, 'setting'),
    );
  }
  const perCpu = (files.get('cpuacct.usage_percpu') ?? '').trim().split(' ');
  for (const [index] of perCpu.entries()) {
    list.push({
      name: `cpu.usage_percpu.${index}`,
      kind: 'counter',
      value: (read) => Number((read.get('cpuacct.usage_percpu') ?? '').trim().split(' ')[index]),
    });
  }
  for (const [path, unit] of [
    ['blkio.throttle.io_service_bytes', 'bytes'],
    ['blkio.throttle.io_serviced', 'io'],
  ] as const) {
    for (const line of (files.get(path) ?? '').split('\n')) {
      const [device, operation] = line.trim().split(' ');
      if (!device?.includes(':') || !operation) continue;
      const deviceName = basename(readlinkSync(join('/sys/dev/block', device)));
      list.push({
        name: `${deviceName}.${operation.toLowerCase()}.${unit}`,
        kind: 'counter',
        value: (read) => {
          const found = (read.get(path) ?? '')
            .split('\n')
            .find((each) => each.startsWith(`${device} ${operation} `));
          return Number(found?.split(' ')[2]);
        },
      });
    }
  }
  return list;
}

/** The files pyadvisor read, from the directories `/proc/<pid>/cgroup` names for each controller. */
function readCgroupFiles(pid: number): CgroupFiles {
  const dirs = new Map<string, string>();
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')) {
    const [, controllers, path] = line.split(':') as [string, string, string];
    for (const controller of controllers.split(','))
      dirs.set(controller, join('/sys/fs/cgroup', controllers, path));
  }
  const files: CgroupFiles = new Map();
  const names = {
    cpu: ['cpu.shares', 'cpu.cfs_quota_us', 'cpu.cfs_period_us'],
    cpuacct: ['cpuacct.usage', 'cpuacct.usage_percpu'],
    memory: [
      'memory.stat',
      'memory.soft_limit_in_bytes',
      ...FIXED_NAMES.filter((name) => /_in_bytes$|failcnt$/.test(name)),
    ],
    blkio: ['blkio.throttle.io_service_bytes', 'blkio.throttle.io_serviced'],
  };
  for (const [controller, list] of Object.entries(names)) {
    for (const name of list) {
      try {
        files.set(name, readFileSync(join(dirs.get(controller)!, name), 'utf8'));
      } catch {
        // Missing: pyadvisor sent -1 (firstLine of undefined).
      }
    }
  }
  return files;
}

describe('--naming pyadvisor on a real Docker daemon', { skip }, () => {
  let dockerd: Dockerd;
  let agent: AgentProcess;
  const containers: { container: TestContainer; alias: string }[] = [];

  before(async () => {
    dockerd = await sharedDockerd();
    const specs: { alias: string; options: Parameters<Dockerd['run']>[0] }[] = [
      { alias: 'pya-busy', options: { name: 'pya-busy', cmd: 'yes > /dev/null', cpus: 0.5 } },
      {
        alias: 'pya-mem',
        options: {
          name: 'pya-mem',
          cmd: 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=16 2>/dev/null; sleep 3600',
          memoryBytes: 64 * MiB,
        },
      },
      { alias: 'pya-nolimit', options: { name: 'pya-nolimit', cmd: 'sleep 3600' } },
      // Another framework's task (no MARATHON_APP_ID): named by its task id all the same.
      {
        alias: 'thermos-www-data-prod-hello-0-f24c0a83',
        options: {
          name: 'pya-mesos',
          cmd: 'sleep 3600',
          env: { MESOS_TASK_ID: 'thermos-www-data-prod-hello-0-f24c0a83' },
        },
      },
      // Dots are levels; `=` in a value before MESOS_TASK_ID (where pyadvisor itself stopped).
      {
        alias: 'es_logs_data.v2.7f3a9c1e-be85',
        options: {
          name: 'pya-dotted',
          cmd: 'sleep 3600',
          env: { JAVA_OPTS: '-Xms1g -Des.node.attr=a=b', MESOS_TASK_ID: 'es_logs_data.v2.7f3a9c1e-be85' },
        },
      },
    ];
    for (const { alias, options } of specs) containers.push({ alias, container: await dockerd.run(options) });
    const args = ['--docker', dockerd.address, '--output', 'stdout', '--interval', `${INTERVAL_MS}ms`];
    args.push('--naming', 'pyadvisor', '--instance', INSTANCE, '--no-host-metrics', '--log-level', 'warn');
    // Empty HOST, STOKER_HTTP_PORT, PORT0: the test runner's own environment must not configure the agent.
    agent = startAgent('packages/container-collector/src/cli.ts', args, {
      env: { HOST: '', STOKER_HTTP_PORT: '', PORT0: '' },
    });
  });

  after(async () => {
    const code = await agent?.stop();
    await Promise.all(containers.map(({ container }) => container.remove()));
    assert.equal(code, 0, `agent exit code; stderr:\n${agent?.stderr().slice(-2000)}`);
  });

  const context = () =>
    `stderr:\n${agent.stderr().slice(-2000)}\nstdout tail:\n${agent.stdout().slice(-1500)}`;

  /**
   * The values of `alias` in the first cycle that started after `afterMs`, once that cycle is
   * complete (a later one has begun).
   */
  const cycleAfter = (alias: string, afterMs: number) =>
    waitFor(
      `a complete cycle of pycadvisor.${alias} after ${new Date(afterMs).toISOString()}`,
      () => {
        const points = parsePoints(agent.stdout());
        const head = `pycadvisor.${alias}.`;
        const mine = points.filter(
          (point) => point.name.startsWith(head) && point.timestampSec * 1000 > afterMs,
        );
        const first = mine[0]?.timestampSec;
        if (first === undefined || !points.some((point) => point.timestampSec > first)) return undefined;
        return new Map(
          mine
            .filter((point) => point.timestampSec === first)
            .map((point) => [point.name.slice(head.length), point.value]),
        );
      },
      6 * INTERVAL_MS + 10_000,
      context,
    );

  test('every container under its alias, with every name pyadvisor sent and nothing else', async () => {
    for (const { container, alias } of containers) {
      const values = await cycleAfter(alias, Date.now());
      const expected = new Set(sources(readCgroupFiles(container.pid)).map((source) => source.name));
      assert.deepEqual([...values.keys()].sort(), [...expected].sort(), `names of ${alias}`);
    }
  });

  test('values agree with the cgroup files read before and after the cycle', async () => {
    const before = containers.map(({ container }) => readCgroupFiles(container.pid));
    const startedMs = Date.now();
    const cycles = await Promise.all(containers.map(({ alias }) => cycleAfter(alias, startedMs)));
    const afterReads = containers.map(({ container }) => readCgroupFiles(container.pid));
    for (const [i, { alias }] of containers.entries()) {
      for (const source of sources(before[i]!)) {
        const sent = cycles[i]!.get(source.name);
        const [a, b] = [source.value(before[i]!), source.value(afterReads[i]!)];
        const where = `${alias}.${source.name}: sent ${sent}, files read ${a} before and ${b} after`;
        assert.ok(sent !== undefined, where);
        if (source.kind === 'setting') assert.ok(sent === a && a === b, where);
        else if (source.kind === 'counter') assert.ok(a <= sent && sent <= b, where);
        else
          assert.ok(
            Math.min(a, b) - GAUGE_SLACK_BYTES <= sent && sent <= Math.max(a, b) + GAUGE_SLACK_BYTES,
            where,
          );
      }
    }
    const value = (alias: string, name: string) =>
      cycles[containers.findIndex((c) => c.alias === alias)]!.get(name);
    // What a reader checks first: the limits the containers were given, and the kernel's "no limit".
    assert.equal(value('pya-busy', 'cpu.cfs_quota_us'), 50_000);
    assert.equal(value('pya-busy', 'cpu.cfs_period_us'), 100_000);
    assert.equal(value('pya-nolimit', 'cpu.cfs_quota_us'), -1);
    assert.equal(value('pya-mem', 'memory.limit_in_bytes'), 64 * MiB);
    assert.equal(value('pya-nolimit', 'memory.limit_in_bytes'), 2 ** 63 - 4096);
    assert.ok((value('pya-mem', 'memory.cache') ?? 0) >= 16 * MiB, 'the 16 MiB in /dev/shm is page cache');
  });

  test("the agent's own metrics go under the default tree, never under pycadvisor", async () => {
    const self = `containers.container-collector.${INSTANCE}.self.`;
    await waitFor(
      `${self}lines_sent_total`,
      () => parsePoints(agent.stdout()).find((point) => point.name === `${self}lines_sent_total`),
      4 * INTERVAL_MS + 5000,
      context,
    );
    const pyadvisorTree = parsePoints(agent.stdout()).filter((point) => point.name.startsWith('pycadvisor.'));
    const aliases = new Set(containers.map(({ alias }) => `pycadvisor.${alias}.`));
    const strays = pyadvisorTree.filter((point) => ![...aliases].some((head) => point.name.startsWith(head)));
    assert.deepEqual(
      strays.map((point) => point.name),
      [],
      'only the containers under pycadvisor',
    );
  });
});
