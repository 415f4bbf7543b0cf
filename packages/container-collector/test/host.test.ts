import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CounterTracker } from '@stoker/shared';
import {
  assertLikeDf,
  df,
  loopDiskSkip,
  makeLoopDisk,
  ownedProcRoot,
} from '../../../test/harness/host-disks.js';
import { deriveHostMetrics, type HostSample } from '../src/host.js';
import { type DiskUsage, HostDiskReader } from '../src/host-disks.js';
import { blockDeviceFsTypes, hostDisks, parseMountinfo } from '../src/procfs/mountinfo.js';

/** A host's `/proc/1/mountinfo`, shaped like a Mesos agent's with Docker, cut down. */
const MOUNTINFO = [
  '22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/vg-root rw',
  '23 22 0:21 / /proc rw,nosuid shared:12 - proc proc rw',
  '24 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs udev rw,size=8G',
  '25 22 0:23 / /run rw,nosuid shared:5 - tmpfs tmpfs rw',
  '26 22 0:27 / /sys/fs/cgroup/memory rw shared:9 - cgroup cgroup rw,memory',
  '27 22 8:16 / /data\\040disk rw,noatime shared:30 - xfs /dev/sdb rw',
  '28 22 8:16 / /var/lib/mesos/slaves/s1/frameworks/f/executors/e/runs/r rw shared:30 - xfs /dev/sdb rw',
  '29 22 8:16 /es/node-1 /srv/es-1 rw shared:30 - xfs /dev/sdb rw',
  '30 22 0:50 / /var/lib/docker/overlay2/abc/merged rw - overlay overlay rw,lowerdir=/x',
  '31 25 0:4 net:[4026532500] /run/docker/netns/x rw - nsfs nsfs rw',
  '32 22 7:1 / /snap/core/123 ro shared:40 - squashfs /dev/loop1 ro',
  '33 22 8:32 / /mnt/old rw - ext4 /dev/sdc rw',
  '34 22 8:48 / /mnt/old rw - ext4 /dev/sdd rw',
  '35 22 0:45 /@home /home rw shared:41 - btrfs /dev/sde rw',
  '36 22 253:0 /var/lib/docker/containers/abc/hosts /etc/hosts-copy rw - ext4 /dev/mapper/vg-root rw',
  'not a mountinfo line',
  '',
].join('\n');

const BLOCK_TYPES = blockDeviceFsTypes(
  [
    'nodev\tsysfs',
    'nodev\ttmpfs',
    'nodev\tproc',
    '\text4',
    'nodev\toverlay',
    '\txfs',
    '\tsquashfs',
    '\tbtrfs',
    '',
  ].join('\n'),
);

describe('host disks: which filesystems', () => {
  test('block-device filesystems only, each device once, named by the mount nearest its root', () => {
    const disks = hostDisks(parseMountinfo(MOUNTINFO), BLOCK_TYPES);
    assert.deepEqual(
      disks.map((disk) => [disk.mountPoint, disk.device, disk.fsType]),
      [
        ['/', '253:0', 'ext4'],
        // the device is also under a Mesos sandbox and bind-mounted at /srv/es-1: reported once
        ['/data disk', '8:16', 'xfs'],
        // /dev/sdc is hidden under /dev/sdd, mounted over it on the same point
        ['/mnt/old', '8:48', 'ext4'],
        // a btrfs subvolume: the whole filesystem is not mounted elsewhere
        ['/home', '0:45', 'btrfs'],
      ],
    );
  });

  test('without /proc/filesystems, a source that is a path marks a disk', () => {
    const disks = hostDisks(parseMountinfo(MOUNTINFO));
    assert.deepEqual(
      disks.map((disk) => disk.mountPoint),
      ['/', '/data disk', '/mnt/old', '/home'],
    );
  });

  test("the running kernel's block-device types", () => {
    const types = blockDeviceFsTypes(readFileSync('/proc/filesystems', 'utf8'));
    assert.ok(types.has('ext4'), [...types].join(' '));
    for (const pseudo of ['tmpfs', 'proc', 'overlay', 'cgroup', 'sysfs'])
      assert.ok(!types.has(pseudo), pseudo);
  });
});

describe('host disks: the figures', () => {
  const disk: DiskUsage = {
    mount: '/data/es',
    sizeBytes: 1000,
    usedBytes: 200,
    availableBytes: 600, // 200 reserved for root
    inodesTotal: 100,
    inodesUsed: 25,
    inodesAvailable: 75,
  };
  const sample: HostSample = { perCore: [], load: [0, 0, 0], disks: [disk], interfaces: [] };
  const metrics = new Map(
    deriveHostMetrics(sample, new CounterTracker(), 0).map((metric) => [metric.path.join('.'), metric.value]),
  );

  test("percent used is df's: used of what is usable, not of the size", () => {
    assert.equal(metrics.get('disk.data_es.percent_used'), 25);
    assert.equal(metrics.get('disk.data_es.available_bytes'), 600);
    assert.equal(metrics.get('disk.data_es.size_bytes'), 1000);
    assert.equal(metrics.get('disk.data_es.used_bytes'), 200);
  });

  test('inodes likewise', () => {
    assert.equal(metrics.get('disk.data_es.inodes_total'), 100);
    assert.equal(metrics.get('disk.data_es.inodes_used'), 25);
    assert.equal(metrics.get('disk.data_es.inodes_available'), 75);
    assert.equal(metrics.get('disk.data_es.inodes_percent_used'), 25);
  });

  test('a filesystem without an inode table (btrfs: 0 inodes) sends no inode series', () => {
    const btrfs = { ...disk, mount: '/', inodesTotal: 0, inodesUsed: 0, inodesAvailable: 0 };
    const paths = deriveHostMetrics({ ...sample, disks: [btrfs] }, new CounterTracker(), 0).map((metric) =>
      metric.path.join('.'),
    );
    assert.deepEqual(paths.filter((path) => path.startsWith('disk.')).sort(), [
      'disk.root.available_bytes',
      'disk.root.percent_used',
      'disk.root.size_bytes',
      'disk.root.used_bytes',
    ]);
  });
});

/** df's own list of disks: its mount targets of block-device filesystems (df de-duplicates devices). */
function dfDiskTargets(): string[] {
  const types = blockDeviceFsTypes(readFileSync('/proc/filesystems', 'utf8'));
  return execFileSync('df', ['--output=fstype,target'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter(([type]) => types.has(type!) && !['squashfs', 'iso9660', 'erofs'].includes(type!))
    .map(([, ...target]) => target.join(' '))
    .sort();
}

describe('host disks on this host, against df', { skip: loopDiskSkip() }, () => {
  test('a loop-mounted ext4 disk with reserved blocks, mounted four ways: once, as df -B1 and df -i show it', async () => {
    const disk = makeLoopDisk();
    // A procfs of a PID namespace of our own: its PID 1 is ours to reach through 1/root, whatever
    // this machine's own PID 1 allows (the path a containerised agent takes).
    const proc = await ownedProcRoot();
    try {
      const targets = [disk.mount, '/'];
      // `/` of a shared machine is written to by others: its used space may rise and fall back
      // between df's two reads, which no bracket holds. It must match in one of three tries; the
      // loop disk, which nobody writes to, in every one.
      for (let attempt = 1; ; attempt++) {
        const dfDisksBefore = dfDiskTargets();
        const before = df(targets);
        const viaInitRoot = new HostDiskReader(proc.path).read();
        // And the agent on the host with the default --proc-root: through /proc/1/root, or (where
        // that is refused, as here in a sandbox) through its own mount namespace, which is init's.
        const viaProc = new HostDiskReader('/proc').read();
        const after = df(targets);
        const dfDisksAfter = dfDiskTargets();
        const rootMisses: string[] = [];
        for (const [readIndex, read] of [viaInitRoot, viaProc].entries()) {
          assert.equal(read.problem, undefined);
          const mounts = read.disks.map((usage) => usage.mount);
          for (const other of [disk.again, disk.subdirectory, disk.file])
            assert.ok(!mounts.includes(other), `${other} is the same disk again: ${mounts.join(', ')}`);
          // Other tests on this machine may mount disks meanwhile: df's list before or after.
          const listed = JSON.stringify([...mounts].sort());
          assert.ok(
            [dfDisksBefore, dfDisksAfter].some((targets) => JSON.stringify(targets) === listed),
            `reader ${readIndex}: the agent's disks ${listed}, df's ${JSON.stringify(dfDisksBefore)} then ${JSON.stringify(dfDisksAfter)}`,
          );
          const usageOf = (target: string) => {
            const usage = read.disks.find((found) => found.mount === target);
            assert.ok(usage, `${target} not among the agent's disks`);
            return usage;
          };
          const loop = usageOf(disk.mount);
          assertLikeDf(loop, before[0]!, after[0]!, 4096);
          // 10 % reserved: df's percent (of used + available) is above used ÷ size.
          assert.ok(loop.usedBytes + loop.availableBytes < loop.sizeBytes * 0.92, JSON.stringify(loop));
          try {
            assertLikeDf(usageOf('/'), before[1]!, after[1]!, 4096);
          } catch (error) {
            rootMisses.push((error as Error).message);
          }
        }
        if (rootMisses.length === 0) break;
        if (attempt === 3) assert.fail(`/ never matched df in 3 tries: ${rootMisses.join('; ')}`);
      }
    } finally {
      disk.remove();
      await proc.close();
    }
  });

  test("a PID 1 out of reach in another mount namespace: no disks (not the agent's own), and why", () => {
    // A proc root whose 1/mountinfo is not the agent's own table and whose 1/root cannot be reached,
    // as for a containerised agent without CAP_SYS_PTRACE.
    const procRoot = mkdtempSync(join(tmpdir(), 'stoker-fake-proc-'));
    try {
      mkdirSync(join(procRoot, '1'));
      writeFileSync(join(procRoot, '1', 'mountinfo'), MOUNTINFO);
      const read = new HostDiskReader(procRoot).read();
      assert.deepEqual(read.disks, []);
      assert.match(read.problem ?? '', /1\/root: ENOENT: the host's mounts cannot be reached/);
    } finally {
      rmSync(procRoot, { recursive: true, force: true });
    }
  });
});
