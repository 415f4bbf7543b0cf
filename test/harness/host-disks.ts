/**
 * What the host-disk tests compare the agent with: `df` itself (coreutils, `-B1` for bytes, `-i` for
 * inodes) on the same mount points, read before and after the agent so a filesystem that is being
 * written to brackets the agent's figures; a real ext4 disk on a loop device (blocks reserved for
 * root, mounted twice, with a subdirectory and a file bind-mounted elsewhere); and a /proc whose PID 1
 * the test owns (the machine's own PID 1 may be out of reach even for root, e.g. in a sandbox).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DiskUsage } from '../../packages/container-collector/src/host-disks.js';

/** One mount as df prints it, in bytes and inodes: the agent's figures, under df's name of the mount. */
export type DfRow = Omit<DiskUsage, 'mount'> & { target: string };

/** `df -B1` and `df -i` of `mounts` (one row each, in that order). */
export function df(mounts: readonly string[]): DfRow[] {
  const rows = (args: string[]) =>
    execFileSync('df', [...args, ...mounts], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/));
  const bytes = rows(['-B1', '--output=size,used,avail,target']);
  const inodes = rows(['--output=itotal,iused,iavail']);
  return mounts.map((_, index) => {
    const [size, used, avail, ...target] = bytes[index]!;
    const [itotal, iused, iavail] = inodes[index]!;
    return {
      target: target.join(' '),
      sizeBytes: Number(size),
      usedBytes: Number(used),
      availableBytes: Number(avail),
      inodesTotal: Number(itotal),
      inodesUsed: Number(iused),
      inodesAvailable: Number(iavail),
    };
  });
}

/**
 * df's readings of one mount taken over a while, as the two rows that bound every figure: the
 * least used (and most available) and the most used (and least available). A disk others write to
 * and delete from moves both ways within seconds, so two reads around a slow reader bracket nothing.
 */
export function dfRange(readings: readonly DfRow[]): [low: DfRow, high: DfRow] {
  const pick = (choose: (...values: number[]) => number, figure: keyof Omit<DfRow, 'target'>) =>
    choose(...readings.map((row) => row[figure]));
  const row = (less: typeof Math.min, more: typeof Math.max): DfRow => ({
    target: readings[0]!.target,
    sizeBytes: pick(less, 'sizeBytes'),
    usedBytes: pick(less, 'usedBytes'),
    availableBytes: pick(more, 'availableBytes'),
    inodesTotal: pick(less, 'inodesTotal'),
    inodesUsed: pick(less, 'inodesUsed'),
    inodesAvailable: pick(more, 'inodesAvailable'),
  });
  return [row(Math.min, Math.max), row(Math.max, Math.min)];
}

/** df's Use%: used of used + available, rounded up. */
export function dfPercent(used: number, available: number): number {
  return used + available === 0 ? 0 : Math.ceil((100 * used) / (used + available));
}

/**
 * Asserts `actual` lies between df's readings before and after, widened by `slack` (one block for
 * bytes, one inode for inodes): used space can move between reads.
 */
export function assertBracketed(
  actual: number | undefined,
  before: number,
  after: number,
  slack: number,
  what: string,
): void {
  assert.ok(actual !== undefined, `${what}: not reported`);
  const low = Math.min(before, after) - slack;
  const high = Math.max(before, after) + slack;
  assert.ok(actual >= low && actual <= high, `${what}: ${actual}, df said ${before} then ${after}`);
}

/**
 * The agent's figures of one disk between df's readings before and after, within one block and
 * one inode; its percent used (given, or from its used and available) as df's Use% rounded up.
 */
export function assertLikeDf(
  actual: { [figure in keyof Omit<DiskUsage, 'mount'>]: number | undefined } & { percentUsed?: number },
  before: DfRow,
  after: DfRow,
  blockBytes: number,
): void {
  const where = before.target;
  const figures = [
    'sizeBytes',
    'usedBytes',
    'availableBytes',
    'inodesTotal',
    'inodesUsed',
    'inodesAvailable',
  ] as const;
  for (const figure of figures)
    assertBracketed(
      actual[figure],
      before[figure],
      after[figure],
      figure.startsWith('inodes') ? 1 : blockBytes,
      `${where} ${figure}`,
    );
  const percent =
    actual.percentUsed ?? (100 * actual.usedBytes!) / (actual.usedBytes! + actual.availableBytes!);
  const dfPercents = [before, after].map((row) => dfPercent(row.usedBytes, row.availableBytes));
  assert.ok(
    Math.ceil(percent) >= Math.min(...dfPercents) && Math.floor(percent) <= Math.max(...dfPercents),
    `${where} percent used ${percent}, df's Use% ${dfPercents.join(' then ')}`,
  );
}

export interface LoopDisk {
  /** Where the whole filesystem is mounted first. */
  mount: string;
  /** The same filesystem mounted again (a bind of its root), deeper: df names the disk by `mount`. */
  again: string;
  /** A bind mount of one of its subdirectories. */
  subdirectory: string;
  /** A bind mount of one of its files. */
  file: string;
  remove(): void;
}

/**
 * For node:test's `skip`: a message when a loop-mounted disk cannot be made (not root, no
 * mkfs.ext4/losetup); under CI=true that fails instead.
 */
export function loopDiskSkip(): string | undefined {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('mounting a loop device needs root');
  for (const program of ['mkfs.ext4', 'mount', 'umount', 'df', 'unshare'])
    if (!['/usr/sbin', '/sbin', '/usr/bin', '/bin'].some((dir) => existsSync(join(dir, program))))
      missing.push(`${program} not found (apt-get install e2fsprogs mount coreutils util-linux)`);
  if (missing.length === 0) return undefined;
  const message = missing.join('; ');
  if (process.env.CI === 'true') throw new Error(message);
  return message;
}

/**
 * A 64 MiB ext4 filesystem with 10 % of its blocks reserved for root (so used ÷ size and df's
 * used ÷ (used + available) differ), 3 MiB written, mounted from a loop device, then mounted again
 * and partly bind-mounted elsewhere: one disk, four mounts.
 */
export function makeLoopDisk(): LoopDisk {
  const dir = mkdtempSync(join(tmpdir(), 'stoker-disk-'));
  const image = join(dir, 'disk.img');
  const paths = {
    mount: join(dir, 'data'),
    again: join(dir, 'data-again', 'deeper'),
    subdirectory: join(dir, 'logs'),
    file: join(dir, 'one-file'),
  };
  const mounted: string[] = [];
  const remove = () => {
    for (const path of mounted.reverse()) execFileSync('umount', [path]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    execFileSync('truncate', ['-s', '64M', image]);
    execFileSync('mkfs.ext4', ['-q', '-F', '-m', '10', image]);
    for (const path of [paths.mount, paths.again, paths.subdirectory]) mkdirSync(path, { recursive: true });
    writeFileSync(paths.file, '');
    execFileSync('mount', ['-o', 'loop', image, paths.mount]);
    mounted.push(paths.mount);
    mkdirSync(join(paths.mount, 'logs'));
    writeFileSync(join(paths.mount, 'logs', 'data.bin'), Buffer.alloc(3 * 1024 * 1024, 1));
    writeFileSync(join(paths.mount, 'config.yaml'), 'x: 1\n');
    execFileSync('sync', ['-f', join(paths.mount, 'logs', 'data.bin')]);
    execFileSync('mount', ['--bind', paths.mount, paths.again]);
    mounted.push(paths.again);
    execFileSync('mount', ['--bind', join(paths.mount, 'logs'), paths.subdirectory]);
    mounted.push(paths.subdirectory);
    execFileSync('mount', ['--bind', join(paths.mount, 'config.yaml'), paths.file]);
    mounted.push(paths.file);
  } catch (error) {
    remove();
    throw error;
  }
  return { ...paths, remove };
}

export interface OwnedProcRoot {
  /** A procfs of a new PID namespace, mounted in this mount namespace. */
  path: string;
  close(): Promise<void>;
}

/**
 * A procfs whose PID 1 is a `sleep` this test started, in this (the host's) mount namespace: its
 * `1/mountinfo` is the host's mount table and `1/root` the host's root, as `/proc/1` is on a real
 * host, but reachable from a container given the documented capabilities whatever this machine's
 * own PID 1 allows.
 */
export async function ownedProcRoot(): Promise<OwnedProcRoot> {
  const path = mkdtempSync(join(tmpdir(), 'stoker-proc-'));
  const child: ChildProcess = spawn(
    'unshare',
    ['--pid', '--fork', '--kill-child', 'sh', '-c', `mount -t proc proc "$0" && exec sleep 3600`, path],
    { stdio: 'ignore' },
  );
  for (let tries = 0; !existsSync(join(path, '1', 'mountinfo')); tries++) {
    if (tries > 100 || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`no procfs of a new PID namespace at ${path} (unshare exited ${child.exitCode})`);
    }
    await sleep(50);
  }
  return {
    path,
    async close() {
      // unshare ignores SIGTERM while it waits for its child; --kill-child takes the sleep with it.
      child.kill('SIGKILL');
      await new Promise((resolve) =>
        child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve),
      );
      // Lazily: a reader that still holds one of its files open must not leave the mount behind.
      execFileSync('umount', ['--lazy', path]);
      rmSync(path, { recursive: true, force: true });
    },
  };
}
