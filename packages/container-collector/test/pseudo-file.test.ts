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
