import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PseudoFiles } from '../src/pseudo-file.js';

test('a kernel file is kept open and read afresh each time; unread ones are closed by the sweep', async () => {
  const files = new PseudoFiles();
  try {
    const first = files.read('/proc/uptime');
    assert.equal(files.size, 1, 'kept open');
    await sleep(50);
    const second = files.read('/proc/uptime');
    assert.notEqual(second, first, 'the kernel generated it again');
    assert.match(second, /^\d+\.\d+ \d+\.\d+\n$/);
    files.sweep(); // read since the last sweep: kept
    assert.equal(files.size, 1);
    files.sweep(); // not read since: closed
    assert.equal(files.size, 0);
  } finally {
    files.closeAll();
  }
});

test('a file of a process that exited reads as gone, not as its last text', async () => {
  const files = new PseudoFiles();
  const { spawn } = await import('node:child_process');
  const child = spawn('sleep', ['30']);
  const path = `/proc/${child.pid}/status`;
  try {
    assert.match(files.read(path), /^Name:\s+sleep/m);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    assert.throws(() => files.read(path), { code: 'ENOENT' });
    assert.equal(files.size, 0);
  } finally {
    files.closeAll();
  }
});

test('files on ordinary filesystems are not kept: a replaced file is read anew', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pseudo-'));
  const files = new PseudoFiles();
  try {
    const path = join(dir, 'memory.stat');
    await writeFile(path, 'rss 1\n');
    assert.equal(files.read(path), 'rss 1\n');
    assert.equal(files.size, 0);
    await writeFile(join(dir, 'next'), 'rss 2\n');
    await rename(join(dir, 'next'), path);
    assert.equal(files.read(path), 'rss 2\n');
    const big = 'x'.repeat(200_000);
    await writeFile(path, big);
    assert.equal(files.read(path), big, 'longer than the read buffer');
  } finally {
    files.closeAll();
    await rm(dir, { recursive: true, force: true });
  }
});

/** A fresh cgroup with the pids controller (v1 hierarchy, or the v2 root's child), removed by the caller. */
async function pidsCgroup(name = 'reuse'): Promise<string> {
  const { existsSync, readFileSync } = await import('node:fs');
  const { mkdir } = await import('node:fs/promises');
  const base =
    existsSync('/sys/fs/cgroup/pids/pids.max') || existsSync('/sys/fs/cgroup/pids/cgroup.procs')
      ? '/sys/fs/cgroup/pids'
      : readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').split(/\s+/).includes('pids')
        ? '/sys/fs/cgroup'
        : undefined;
  if (!base) throw new Error('no cgroup with the pids controller here (this test needs root and cgroups)');
  const dir = join(base, `stoker-${name}-${process.pid}`);
  await mkdir(dir);
  return dir;
}

test('a limit file is reused for its time, read afresh otherwise, and proves nothing about its cgroup', async () => {
  const { rmdir } = await import('node:fs/promises');
  const { CgroupUnreadable, readCgroupFiles, reuseRule } = await import('../src/cgroup/files.js');
  const files = new PseudoFiles();
  const dir = await pidsCgroup();
  const limit = join(dir, 'pids.max');
  const rule = reuseRule(new Set(['pids.max']), new Set());
  try {
    await writeFile(limit, '100');
    const first = readCgroupFiles(files, dir, ['pids.current', 'pids.max'], rule);
    assert.equal(first.get('pids.max'), '100\n');
    await writeFile(limit, '200');
    const second = readCgroupFiles(files, dir, ['pids.current', 'pids.max'], rule);
    assert.equal(second.get('pids.max'), '100\n', 'within the minute: the text read before');
    assert.equal(second.get('pids.current'), '0\n', 'a counter is read every time');
    // Without the rule (or once the minute is over) the kernel's current value.
    assert.equal(readCgroupFiles(files, dir, ['pids.max']).get('pids.max'), '200\n');
    assert.equal(files.recent(limit), undefined, 'a read without reuse forgets the text');
    readCgroupFiles(files, dir, ['pids.current', 'pids.max'], rule);
    assert.equal(files.recent(limit), '200\n');
    await rmdir(dir);
    // The cgroup is gone: the reused limit does not make it look alive.
    assert.throws(() => readCgroupFiles(files, dir, ['pids.current', 'pids.max'], rule), CgroupUnreadable);
  } finally {
    await rmdir(dir).catch(() => {});
    files.closeAll();
  }
});

test('a multi-record seq_file is read whole, not only its first page (net/dev of a host with many veths)', () => {
  // /proc/kallsyms is a seq_file like /proc/net/dev, megabytes long and stable between two reads.
  const files = new PseudoFiles();
  try {
    const text = files.read('/proc/kallsyms');
    assert.ok(text.length > 100_000, `kallsyms read as ${text.length} bytes`);
    assert.equal(text, readFileSync('/proc/kallsyms', 'latin1'));
    assert.equal(files.read('/proc/kallsyms'), text, 'again, through the kept descriptor');
  } finally {
    files.closeAll();
  }
});
