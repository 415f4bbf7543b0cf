import assert from 'node:assert/strict';
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
  const { pseudoFiles } = await import('../src/pseudo-file.js');
  const dir = await pidsCgroup();
  const limit = join(dir, 'pids.max');
  const rule = reuseRule(new Set(['pids.max']), new Set());
  try {
    await writeFile(limit, '100');
    const first = readCgroupFiles(dir, ['pids.current', 'pids.max'], rule);
    assert.equal(first.get('pids.max'), '100\n');
    await writeFile(limit, '200');
    const second = readCgroupFiles(dir, ['pids.current', 'pids.max'], rule);
    assert.equal(second.get('pids.max'), '100\n', 'within the minute: the text read before');
    assert.equal(second.get('pids.current'), '0\n', 'a counter is read every time');
    // Without the rule (or once the minute is over) the kernel's current value.
    assert.equal(readCgroupFiles(dir, ['pids.max']).get('pids.max'), '200\n');
    assert.equal(pseudoFiles.recent(limit), undefined, 'a read without reuse forgets the text');
    readCgroupFiles(dir, ['pids.current', 'pids.max'], rule);
    assert.equal(pseudoFiles.recent(limit), '200\n');
    await rmdir(dir);
    // The cgroup is gone: the reused limit does not make it look alive.
    assert.throws(() => readCgroupFiles(dir, ['pids.current', 'pids.max'], rule), CgroupUnreadable);
  } finally {
    await rmdir(dir).catch(() => {});
    pseudoFiles.closeAll();
  }
});

test("read ahead: a second thread reads the files of the cycle before, the texts are this cycle's, a removed cgroup still reads as gone", async () => {
  const { rmdir } = await import('node:fs/promises');
  const dirs = [await pidsCgroup('ahead-1'), await pidsCgroup('ahead-2'), await pidsCgroup('ahead-3')];
  const names = ['pids.max', 'pids.current'];
  // Past 6 files a cycle: the thread starts after the first cycle, gets its list after the second.
  const files = new PseudoFiles(6);
  const cycle = async (limit: number, settleMs = 0) => {
    for (const dir of dirs) await writeFile(join(dir, 'pids.max'), String(limit)).catch(() => {});
    files.begin();
    // Time for the thread to wake and read them all, so this test sees its texts (the caller takes
    // over any file the thread has not reached: which reads which is a race, the texts are not).
    if (settleMs > 0) await sleep(settleMs);
    const texts: (string | Error)[] = [];
    for (const dir of dirs)
      for (const name of names) {
        try {
          texts.push(files.read(join(dir, name)));
        } catch (error) {
          texts.push(error as Error);
        }
      }
    files.sweep();
    return texts;
  };
  try {
    assert.deepEqual(await cycle(101), ['101\n', '0\n', '101\n', '0\n', '101\n', '0\n']);
    assert.deepEqual(await cycle(102), ['102\n', '0\n', '102\n', '0\n', '102\n', '0\n']);
    assert.equal(files.readAheadServed, 0, 'no list before the end of the second cycle');
    for (const limit of [103, 104]) {
      const before: number = files.readAheadServed;
      const texts = await cycle(limit, 500);
      assert.deepEqual(texts, [`${limit}\n`, '0\n', `${limit}\n`, '0\n', `${limit}\n`, '0\n']);
      assert.equal(files.readAheadServed - before, 6, 'every text from the read-ahead thread');
    }
    await rmdir(dirs[1]!);
    const afterRemoval = await cycle(105, 500);
    assert.deepEqual(
      afterRemoval.filter((text) => typeof text === 'string'),
      ['105\n', '0\n', '105\n', '0\n'],
    );
    assert.ok(
      afterRemoval
        .slice(2, 4)
        .every((text) => text instanceof Error && (text as NodeJS.ErrnoException).code === 'ENOENT'),
      'the removed cgroup reads as gone, as without the thread',
    );
    // Without settling, the caller and the thread share the reads; the texts are the same.
    await rmdir(dirs[2]!);
    dirs.length = 1;
    for (const limit of [106, 107, 108]) assert.deepEqual(await cycle(limit), [`${limit}\n`, '0\n']);
  } finally {
    files.closeAll();
    for (const dir of dirs) await rmdir(dir).catch(() => {});
  }
});

test('read ahead: while the thread reads the file the caller wants, the caller reads later ones from the end of the list and is handed them when it gets there', async () => {
  const { execFileSync } = await import('node:child_process');
  const { closeSync, constants, openSync } = await import('node:fs');
  const { ReadAhead } = await import('../src/read-ahead.js');
  const dir = await mkdtemp(join(tmpdir(), 'stoker-ahead-'));
  // A FIFO holds the thread in its open until a writer comes (and then fails its read: a pipe has
  // no offset to read at, so the caller reads that one itself, as after any failed read).
  const fifo = join(dir, 'held');
  execFileSync('mkfifo', [fifo]);
  const later = ['b', 'c', 'd', 'e'].map((name) => join(dir, name));
  for (const path of later) await writeFile(path, `thread:${path}`);
  const ownReads: string[] = [];
  const ahead = new ReadAhead((path) => {
    ownReads.push(path);
    if (ownReads.length === later.length) {
      // Nothing left for the caller to read ahead: release the thread (a writer's open ends its
      // open; nothing is written, since its failed read may already have closed the FIFO).
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    }
    return `caller:${path}`;
  });
  try {
    // First cycle: no list yet; the files read make the next cycle's list.
    ahead.begin();
    for (const path of [fifo, ...later]) {
      assert.equal(ahead.take(path), undefined);
      ahead.read(path, 64);
    }
    ahead.end();
    ahead.begin();
    await untilAThreadWaitsForAWriter(); // the thread took the FIFO and waits in its open
    assert.equal(ahead.take(fifo), undefined, 'its read failed: the caller reads it');
    assert.deepEqual(ownReads, [...later].reverse(), 'meanwhile the caller read the rest, from the end');
    assert.deepEqual(
      later.map((path) => ahead.take(path)),
      later.map((path) => `caller:${path}`),
      'each handed out when wanted, not read again',
    );
    assert.equal(ownReads.length, later.length);
    assert.equal(ahead.served, later.length);
    ahead.end();
  } finally {
    ahead.close();
    await rm(dir, { recursive: true, force: true });
  }
});

/** Until one of this process's threads waits in the open of a FIFO (its kernel wait channel says so). */
async function untilAThreadWaitsForAWriter(): Promise<void> {
  const { readdir, readFile } = await import('node:fs/promises');
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(20)) {
    for (const task of await readdir('/proc/self/task')) {
      const wchan = await readFile(`/proc/self/task/${task}/wchan`, 'utf8').catch(() => '');
      if (wchan === 'wait_for_partner') return;
    }
  }
  throw new Error('the read-ahead thread never took the FIFO');
}
