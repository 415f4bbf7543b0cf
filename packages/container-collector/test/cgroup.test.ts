import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { sharedPath, sharedSkip } from '../../../test/harness/fixtures.js';
import { CgroupUnreadable, readCgroupFiles } from '../src/cgroup/files.js';
import { type CgroupLayout, cgroupPathsFor, guessedEntries, parseProcCgroup } from '../src/cgroup/locate.js';
import { keyedNumber, parseLimit, parsePressure } from '../src/cgroup/parse.js';
import { parseV1Blkio, parseV1Cpu, parseV1Memory } from '../src/cgroup/v1.js';
import { parseCpuMax, parseIoStat, readV2 } from '../src/cgroup/v2.js';
import { parseNetDev } from '../src/procfs/net-dev.js';
import { PseudoFiles } from '../src/pseudo-file.js';

const skip = sharedSkip();
const fixture = (...parts: string[]) => sharedPath('fixtures', 'containers', ...parts);
const text = (...parts: string[]) => readFile(fixture(...parts), 'utf8');

describe('cgroup v2 on the real telegraf v2 leaf', { skip }, () => {
  // Gauges (memory, limits, pids) as sent: testcases/default-v2. Counters, which two samples of one
  // fixture turn into rates of 0 there, here in base units.
  test('readV2 reads cpu, io and pressure counters in base units', () => {
    const raw = readV2(new PseudoFiles(), { version: 2, dir: fixture('telegraf', 'cgroup', 'v2') }, []);
    assert.equal(raw.source, 'cgroup-v2');
    assert.equal(raw.cpu.usageNs, 98_701_325_189_000);
    assert.equal(raw.cpu.userNs, 61_355_716_211_000);
    assert.equal(raw.cpu.systemNs, 37_345_608_977_000);
    assert.equal(raw.cpu.periods, 3_936_904);
    assert.equal(raw.cpu.throttledPeriods, 6004);
    assert.equal(raw.cpu.throttledNs, 19_175_137_007_000);
    assert.deepEqual(raw.blockIo, [
      { device: '259:8', readBytes: 74_526_720, writeBytes: 3_789_381_632, reads: 2936, writes: 181_928 },
    ]);
    assert.deepEqual(raw.pressure.cpu, { someTotalUs: 293_391_454, fullTotalUs: 277_111_656 });
    assert.ok(raw.pressure.memory && raw.pressure.io);
  });

  test('cpu.max from cadvisor: a quota, and `max` meaning no limit', async () => {
    assert.equal(
      parseCpuMax(await text('cadvisor', 'test_resources', 'cgroup_v2', 'test1', 'cpu.max')),
      20000 / 100010,
    );
    assert.equal(
      parseCpuMax(await text('cadvisor', 'test_resources', 'cgroup_v2', 'test2', 'cpu.max')),
      undefined,
    );
  });

  test("memory limits from cAdvisor's own spec fixtures: set, and `max` meaning none", () => {
    const limits = (dir: string) => {
      const { memory } = readV2(new PseudoFiles(), { version: 2, dir }, []);
      return [memory.limitBytes, memory.swapLimitBytes, memory.reservationBytes];
    };
    const cadvisor = (test: string) => fixture('cadvisor', 'test_resources', 'cgroup_v2', test);
    assert.deepEqual(limits(cadvisor('test1')), [123_456_789, 13_579, 24_680]);
    assert.deepEqual(limits(cadvisor('test2')), [undefined, undefined, undefined]);
  });

  test('a gone directory is CgroupUnreadable, a missing single file is not', async () => {
    assert.throws(
      () => readCgroupFiles(new PseudoFiles(), '/nonexistent/cgroup', ['cpu.stat']),
      CgroupUnreadable,
    );
    const files = readCgroupFiles(new PseudoFiles(), fixture('telegraf', 'cgroup', 'v2'), [
      'cpu.stat',
      'no.such.file',
    ]);
    assert.ok(files.has('cpu.stat'));
    assert.equal(files.size, 1);
  });
});

describe('cgroup v1 parsers on real files', { skip }, () => {
  test('cpuacct (opencontainers) and cpu.stat (Mesos task, no trailing newline)', async () => {
    const cpu = parseV1Cpu(
      new Map([
        ['cpuacct.usage', await text('opencontainers_cgroups', 'v1', 'cpuacct.usage')],
        ['cpuacct.stat', await text('opencontainers_cgroups', 'v1', 'cpuacct.stat')],
        ['cpuacct.usage_percpu', await text('opencontainers_cgroups', 'v1', 'cpuacct.usage_percpu')],
      ]),
      new Map([
        ['cpu.stat', await text('diamond', 'mesos_cgroup', 'cpu.stat')],
        ['cpu.cfs_quota_us', '50000\n'],
        ['cpu.cfs_period_us', '100000\n'],
      ]),
    );
    assert.equal(cpu.usageNs, 12_262_454_190_222_160);
    // USER_HZ ticks → ns.
    assert.equal(cpu.userNs, 452_278_264 * 10_000_000);
    assert.equal(cpu.systemNs, 291_429_664 * 10_000_000);
    assert.equal(cpu.periods, 26_848_849);
    assert.equal(cpu.throttledPeriods, 85_144);
    assert.equal(cpu.throttledNs, 34_709_931_864_651);
    assert.equal(cpu.limitCores, 0.5);
  });

  test('no CFS quota (-1) means no limit', () => {
    assert.equal(
      parseV1Cpu(
        new Map(),
        new Map([
          ['cpu.cfs_quota_us', '-1\n'],
          ['cpu.cfs_period_us', '100000\n'],
        ]),
      ).limitCores,
      undefined,
    );
  });

  test('memory.stat uses the hierarchical total_* keys; the unlimited sentinel is no limit', async () => {
    const memory = parseV1Memory(
      new Map([
        ['memory.stat', await text('diamond', 'mesos_cgroup', 'memory.stat')],
        ['memory.usage_in_bytes', '2000000000\n'],
        ['memory.limit_in_bytes', '9223372036854771712\n'],
        ['memory.oom_control', 'oom_kill_disable 0\nunder_oom 0\noom_kill 3\n'],
        ['memory.failcnt', '7\n'],
      ]),
    );
    assert.equal(memory.rssBytes, 1_789_911_040);
    assert.equal(memory.cacheBytes, 233_398_272);
    assert.equal(memory.inactiveFileBytes, 52_654_080);
    assert.equal(memory.mappedFileBytes, 1_118_208);
    assert.equal(memory.limitBytes, undefined);
    assert.equal(memory.oomKills, 3);
    assert.equal(memory.failcnt, 7);
  });

  test("memory limits from cAdvisor's own v1 spec fixture: limit, memory+swap limit, soft limit", () => {
    const dir = fixture('cadvisor', 'test_resources', 'cgroup_v1', 'test1', 'memory');
    const names = ['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes', 'memory.soft_limit_in_bytes'];
    const memory = parseV1Memory(readCgroupFiles(new PseudoFiles(), dir, names));
    assert.deepEqual(
      [memory.limitBytes, memory.swapLimitBytes, memory.reservationBytes],
      [123_456_789, 13_579, 24_680],
    );
  });

  test('blkio throttle tables (opencontainers), with the bare Total line ignored', async () => {
    const devices = parseV1Blkio(
      await text('opencontainers_cgroups', 'v1', 'blkio.throttle.io_service_bytes'),
      await text('opencontainers_cgroups', 'v1', 'blkio.throttle.io_serviced'),
    );
    assert.deepEqual(devices, [
      { device: '8:0', readBytes: 11_030_528, writeBytes: 23, reads: 164, writes: 23 },
      { device: '252:0', readBytes: 11_030_528, writeBytes: 23, reads: 164, writes: 23 },
    ]);
    assert.deepEqual(parseV1Blkio('Total 0\n', 'Total 0\n'), []);
  });
});

describe('pure parsers', () => {
  test('keyedNumber: the whole key at a line start, malformed lines skipped', () => {
    const text = 'total_rss 7\nrss_huge 9\nrss 5\nbroken\nb x\nc\t3\nlast 4';
    assert.equal(keyedNumber(text, 'rss'), 5, 'not total_rss, not rss_huge');
    assert.equal(keyedNumber(text, 'total_rss'), 7, 'first line');
    assert.equal(keyedNumber(text, 'c'), 3, 'tab-separated');
    assert.equal(keyedNumber(text, 'last'), 4, 'last line without newline');
    assert.equal(keyedNumber(text, 'b'), undefined, 'not a number');
    assert.equal(keyedNumber(text, 'broken'), undefined, 'no value');
    assert.equal(keyedNumber(text, 'huge'), undefined, 'only part of a key');
    assert.equal(keyedNumber(undefined, 'rss'), undefined);
  });
  test('parseLimit: max, -1 and huge sentinels are no limit', () => {
    assert.equal(parseLimit('max\n'), undefined);
    assert.equal(parseLimit('-1'), undefined);
    assert.equal(parseLimit('9223372036854771712'), undefined);
    assert.equal(parseLimit('67108864\n'), 67_108_864);
  });
  test('parsePressure: some only (cpu on older kernels) and some+full', () => {
    assert.deepEqual(parsePressure('some avg10=1.00 avg60=0.00 avg300=0.00 total=42\n'), { someTotalUs: 42 });
    assert.equal(parsePressure(''), undefined);
  });
  test('io.stat with several devices', () => {
    assert.deepEqual(parseIoStat('8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n8:16 rbytes=5\n'), [
      { device: '8:0', readBytes: 1, writeBytes: 2, reads: 3, writes: 4 },
      { device: '8:16', readBytes: 5, writeBytes: 0, reads: 0, writes: 0 },
    ]);
  });
  test('net/dev (cadvisor fixture shape)', async (t) => {
    if (skip) return t.skip(skip);
    const interfaces = parseNetDev(await text('cadvisor', 'libcontainer_testdata', 'procnetdev'));
    assert.deepEqual(
      interfaces.map((nic) => nic.name),
      ['wlp4s0', 'docker0', 'lo', 'em1'],
    );
    const em1 = interfaces.find((nic) => nic.name === 'em1')!;
    assert.equal(em1.rxBytes, 315_849);
    assert.equal(em1.rxPackets, 1172);
    assert.equal(em1.txBytes, 315_850);
    assert.equal(em1.txPackets, 1173);
    const wlp = interfaces[0]!;
    assert.deepEqual([wlp.rxErrors, wlp.rxDropped, wlp.txErrors, wlp.txDropped], [3, 4, 11, 12]);
  });
});

describe('locating a container cgroup', () => {
  const hybrid: CgroupLayout = {
    mode: 'hybrid',
    root: '/host/sys/fs/cgroup',
    v1Mounts: new Map([
      ['cpu', 'cpu,cpuacct'],
      ['cpuacct', 'cpu,cpuacct'],
      ['memory', 'memory'],
      ['blkio', 'blkio'],
      ['pids', 'pids'],
    ]),
  };
  const v2: CgroupLayout = { mode: 'v2', root: '/sys/fs/cgroup', v1Mounts: new Map() };
  const id = 'abc123';

  test('cgroupfs driver, v1 hybrid with a combined cpu,cpuacct mount', () => {
    const entries = parseProcCgroup(
      `12:pids:/docker/${id}\n4:memory:/docker/${id}\n3:cpu,cpuacct:/docker/${id}\n2:blkio:/docker/${id}\n1:name=systemd:/docker/${id}\n0::/docker/${id}\n`,
    );
    assert.deepEqual(cgroupPathsFor(entries, hybrid), {
      version: 1,
      dirs: {
        pids: `/host/sys/fs/cgroup/pids/docker/${id}`,
        memory: `/host/sys/fs/cgroup/memory/docker/${id}`,
        cpu: `/host/sys/fs/cgroup/cpu,cpuacct/docker/${id}`,
        cpuacct: `/host/sys/fs/cgroup/cpu,cpuacct/docker/${id}`,
        blkio: `/host/sys/fs/cgroup/blkio/docker/${id}`,
      },
      unifiedDir: `/host/sys/fs/cgroup/unified/docker/${id}`,
    });
  });

  test('systemd driver on pure v2', () => {
    const entries = parseProcCgroup(`0::/system.slice/docker-${id}.scope\n`);
    assert.deepEqual(cgroupPathsFor(entries, v2), {
      version: 2,
      dir: `/sys/fs/cgroup/system.slice/docker-${id}.scope`,
    });
  });

  test('a path from another cgroup namespace (/../..) is refused rather than misread', () => {
    assert.equal(cgroupPathsFor(parseProcCgroup('0::/../../docker/x\n'), v2), undefined);
  });

  test('guesses for a process already gone: cgroupfs and systemd places', () => {
    const cgroupfs = cgroupPathsFor(guessedEntries(id, v2, 'cgroupfs'), v2);
    assert.deepEqual(cgroupfs, { version: 2, dir: `/sys/fs/cgroup/docker/${id}` });
    const systemd = cgroupPathsFor(guessedEntries(id, hybrid, 'systemd'), hybrid);
    assert.equal(
      systemd?.version === 1 && systemd.dirs.memory,
      `/host/sys/fs/cgroup/memory/system.slice/docker-${id}.scope`,
    );
  });
});
