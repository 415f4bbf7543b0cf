/**
 * The disk spool on its own: order, replay after a restart, the bound, and the faults a disk brings
 * (a torn record, a flipped byte, a full disk on a real small tmpfs, an unwritable directory on a
 * real read-only mount, a second agent on the same directory).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CarbonSender, lockSpoolDirectory, Spool, SpoolInUseError } from '@stoker/shared';
import pino from 'pino';

const line = (n: number) => `spool.test.m${String(n).padStart(6, '0')} ${n} 1700000000\n`;
/** A chunk of `count` whole lines starting at `first`, as the sender hands them over. */
const chunk = (first: number, count: number) =>
  Buffer.from(Array.from({ length: count }, (_, i) => line(first + i)).join(''), 'latin1');

/** A logger whose lines the test can read. */
function capturedLog() {
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: 'info' }, { write: (text: string) => lines.push(JSON.parse(text)) });
  return { log, warnings: () => lines.filter((entry) => entry.level === 40).map((entry) => entry.msg) };
}

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stoker-spool-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Takes everything, acknowledging each chunk as sent; returns the lines in the order read. */
function drain(spool: Spool): string[] {
  const lines: string[] = [];
  for (let taken = spool.take(); taken; taken = spool.take()) {
    const text = taken.chunk.toString('latin1');
    assert.equal(text.split('\n').length - 1, taken.lines, 'a record counts its lines');
    lines.push(...text.split('\n').slice(0, -1));
    spool.sent(taken);
  }
  return lines;
}

const expected = (first: number, count: number) =>
  Array.from({ length: count }, (_, i) => line(first + i).trimEnd());

describe('Spool', () => {
  test('gives lines back oldest first across segments, and deletes each segment once sent', () => {
    const dir = freshDir();
    const spool = new Spool({ dir, maxBytes: 512 * 1024, log: capturedLog().log });
    for (let i = 0; i < 200; i++) assert.equal(spool.append(chunk(i * 50, 50), 50), true);
    assert.ok(spool.stats().segments > 3, `several segments (${spool.stats().segments})`);
    assert.deepEqual(drain(spool), expected(0, 10_000));
    assert.equal(spool.bytes, 0);
    assert.deepEqual(readdirSync(dir), [], 'sent segments are deleted');
    assert.equal(spool.stats().replayedLines, 10_000);
  });

  test('a restart (a new Spool on the same directory) replays what was not sent, and nothing of the segments already sent', () => {
    const dir = freshDir();
    const first = new Spool({ dir, maxBytes: 512 * 1024, log: capturedLog().log });
    for (let i = 0; i < 200; i++) first.append(chunk(i * 50, 50), 50);
    // Send about half, as if carbon took that much before the agent was killed (no close(): kill -9).
    const sentBefore: string[] = [];
    while (sentBefore.length < 5000) {
      const taken = first.take()!;
      sentBefore.push(...taken.chunk.toString('latin1').split('\n').slice(0, -1));
      first.sent(taken);
    }
    first.sync();
    const second = new Spool({ dir, maxBytes: 512 * 1024, log: capturedLog().log });
    const replayed = drain(second);
    // At least once: the segment being read when the agent died is sent again, whole; nothing is missing.
    const all = new Set([...sentBefore, ...replayed]);
    assert.deepEqual([...all].sort(), expected(0, 10_000).sort());
    const segmentLines = Math.ceil((64 * 1024) / line(0).length);
    assert.ok(
      replayed.length <= 5000 + segmentLines,
      `at most one segment resent (${replayed.length} replayed)`,
    );
    assert.deepEqual(replayed.at(-1), line(9999).trimEnd());
  });

  test('past the bound the oldest segments are dropped and counted; the newest lines stay', () => {
    const dir = freshDir();
    const maxBytes = 128 * 1024;
    const spool = new Spool({ dir, maxBytes, log: capturedLog().log });
    let appended = 0;
    for (let i = 0; i < 400; i++) {
      spool.append(chunk(i * 50, 50), 50);
      appended += 16 + chunk(i * 50, 50).length;
      assert.ok(spool.bytes <= maxBytes, `spool ${spool.bytes} bytes within ${maxBytes}`);
    }
    const stats = spool.stats();
    assert.equal(
      stats.droppedBytes,
      appended - stats.bytes,
      'every byte is either kept or counted as dropped',
    );
    const kept = drain(spool);
    assert.deepEqual(
      kept,
      expected(20_000 - kept.length, kept.length),
      'the kept lines are the newest, in order',
    );
  });

  test('a segment truncated mid-record: the torn record is skipped and counted, every other line replayed', () => {
    const dir = freshDir();
    const writer = new Spool({ dir, maxBytes: 1024 * 1024, log: capturedLog().log });
    for (let i = 0; i < 10; i++) writer.append(chunk(i * 50, 50), 50);
    writer.close();
    const [segment] = readdirSync(dir);
    const path = join(dir, segment!);
    truncateSync(path, statSync(path).size - 100);
    const { log, warnings } = capturedLog();
    const reader = new Spool({ dir, maxBytes: 1024 * 1024, log });
    assert.deepEqual(drain(reader), expected(0, 450));
    assert.equal(reader.stats().corruptRecords, 1);
    assert.deepEqual(warnings(), ['spool record torn or corrupt: skipped']);
  });

  test('a flipped byte: that record is skipped and counted, the records after it are replayed', () => {
    const dir = freshDir();
    const writer = new Spool({ dir, maxBytes: 1024 * 1024, log: capturedLog().log });
    for (let i = 0; i < 10; i++) writer.append(chunk(i * 50, 50), 50);
    writer.close();
    const path = join(dir, readdirSync(dir)[0]!);
    const bytes = readFileSync(path);
    const recordBytes = bytes.length / 10;
    for (const at of [3 * recordBytes + 500, 6 * recordBytes + 5]) {
      // One in the lines of record 4, one in the length field of record 7.
      bytes[at] = bytes[at]! ^ 0x20;
    }
    writeFileSync(path, bytes);
    const reader = new Spool({ dir, maxBytes: 1024 * 1024, log: capturedLog().log });
    assert.deepEqual(drain(reader), [...expected(0, 150), ...expected(200, 100), ...expected(350, 150)]);
    assert.equal(reader.stats().corruptRecords, 2);
  });

  test('a full disk: append refuses (the sender keeps the lines in memory), one warning, and the spool resumes once there is room', (t) => {
    const mount = tmpfs(t, 'size=256k');
    if (!mount) return;
    const { log, warnings } = capturedLog();
    const spool = new Spool({
      dir: join(mount, 'spool'),
      maxBytes: 1024 * 1024 * 1024,
      log,
      retryAfterFailureMs: 0,
    });
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 200; i++) {
      if (spool.append(chunk(i * 50, 50), 50)) accepted++;
      else refused++;
    }
    assert.ok(accepted > 0 && refused > 0, `accepted ${accepted}, refused ${refused}`);
    assert.equal(spool.stats().writable, false);
    assert.deepEqual(warnings(), [
      'spool cannot write: keeping lines in memory (bounded by --queue-size) until it can',
    ]);
    // Carbon takes the backlog: the space comes back and the spool writes again.
    const replayed = drain(spool);
    assert.deepEqual(replayed.slice(0, 50), expected(0, 50), 'what was accepted is intact, oldest first');
    assert.equal(spool.append(chunk(1_000_000, 50), 50), true);
    assert.equal(spool.stats().writable, true);
  });

  test('an unwritable directory (a read-only mount): one warning, the sender runs from memory and loses nothing', async (t) => {
    const mount = tmpfs(t, 'ro,size=64k');
    if (!mount) return;
    const received: Buffer[] = [];
    const sink = createServer((socket) => socket.on('data', (data) => received.push(data)));
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    t.after(() => sink.close());
    const { log, warnings } = capturedLog();
    const sender = new CarbonSender({
      destinations: [{ host: '127.0.0.1', port: (sink.address() as AddressInfo).port }],
      mode: 'replicate',
      protocol: 'tcp',
      queueBytes: 1 << 20,
      spool: { dir: join(mount, 'spool'), maxBytes: 1 << 20, fsyncMs: 1000 },
      connectTimeoutMs: 1000,
      log,
    });
    sender.send(chunk(0, 100), 100);
    assert.equal(await sender.flush(10_000), true);
    await sender.close();
    assert.deepEqual(warnings(), [
      'spool directory unusable: keeping lines in memory only (bounded by --queue-size)',
    ]);
    assert.equal(sender.stats().spool, undefined, 'no spool');
    await until(() => Buffer.concat(received).length === chunk(0, 100).length);
    assert.equal(Buffer.concat(received).toString('latin1'), chunk(0, 100).toString('latin1'));
  });
});

describe('CarbonSender with a spool', () => {
  test('live lines go first: a cycle pushed while hours of backlog wait reaches carbon before the backlog ends, and the backlog all arrives', async (t) => {
    const top = freshDir();
    const parts: Buffer[] = [];
    let receivedBytes = 0;
    let reading: Socket | undefined;
    const sink = createServer((socket) => {
      reading = socket;
      // Carbon slow at first: the backlog backs up into the socket (flow control).
      socket.pause();
      socket.on('data', (data) => {
        parts.push(data);
        receivedBytes += data.length;
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    t.after(() => sink.close());
    const port = (sink.address() as AddressInfo).port;
    // A backlog of 40 MB left by an earlier run, in this destination's spool directory.
    const backlog = new Spool({
      dir: join(top, `127.0.0.1_${port}`),
      maxBytes: 1 << 30,
      log: capturedLog().log,
    });
    const backlogLines = 1_000_000;
    for (let first = 0; first < backlogLines; first += 1000) backlog.append(chunk(first, 1000), 1000);
    backlog.close();
    const sender = new CarbonSender({
      destinations: [{ host: '127.0.0.1', port }],
      mode: 'replicate',
      protocol: 'tcp',
      queueBytes: 1 << 20,
      spool: { dir: top, maxBytes: 1 << 30, fsyncMs: 1000 },
      connectTimeoutMs: 1000,
      log: capturedLog().log,
    });
    await until(() => sender.reachable && reading !== undefined);
    const live = Buffer.from('live.cycle 1 1700000010\n');
    sender.send(live, 1);
    reading!.resume();
    await until(() => receivedBytes >= backlogLines * line(0).length + live.length, 60_000);
    await sender.close();
    reading!.destroy();
    const text = Buffer.concat(parts).toString('latin1');
    const liveAt = text.indexOf('live.cycle');
    assert.ok(liveAt >= 0, 'the live line arrived');
    assert.ok(
      liveAt < text.lastIndexOf(line(backlogLines - 1)) / 4,
      `the live line came early, at byte ${liveAt} of ${text.length}, not behind the backlog`,
    );
    assert.equal(text.split('\n').length - 1, backlogLines + 1, 'every backlog line arrived too');
    assert.equal(sender.stats().spool?.replayedLines, backlogLines);
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
}

describe('spool lock', () => {
  test('a second agent on the same directory is refused with a clear error naming the holder', async () => {
    const dir = freshDir();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dir, 'lock'), `${holder.pid}\n`);
      assert.throws(
        () => lockSpoolDirectory(dir),
        (error: unknown) =>
          error instanceof SpoolInUseError &&
          error.message ===
            `spool directory ${dir} is in use by another agent (pid ${holder.pid}, lock file ${join(dir, 'lock')}); give each agent its own --spool-dir`,
      );
    } finally {
      holder.kill('SIGKILL');
    }
  });

  test('a stale lock (its agent is gone, e.g. after kill -9) is taken over, and released on close', async () => {
    const dir = freshDir();
    const gone = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => gone.once('exit', resolve));
    writeFileSync(join(dir, 'lock'), `${gone.pid}\n`);
    const release = lockSpoolDirectory(dir);
    assert.equal(readFileSync(join(dir, 'lock'), 'utf8'), `${process.pid}\n`);
    release();
    assert.deepEqual(readdirSync(dir), []);
  });
});

/**
 * Mounts a real tmpfs with `options` (root only) for one test; unmounted after it. Without root it
 * skips with a reason, or fails under CI, where the suite runs as root.
 */
function tmpfs(
  t: { skip(message: string): void; after(fn: () => void): void },
  options: string,
): string | undefined {
  if (process.getuid?.() !== 0) {
    if (process.env.CI === 'true') throw new Error('mounting a tmpfs needs root; CI runs the suite as root');
    t.skip('mounting a tmpfs needs root');
    return undefined;
  }
  const dir = freshDir();
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  t.after(() => execFileSync('umount', ['-l', dir]));
  return dir;
}
