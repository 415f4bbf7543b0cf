import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Backoff, LineQueue } from '@stoker/shared';

const line = (n: number) => `m.${String(n).padStart(4, '0')} 1 1\n`;
const LINE_BYTES = line(0).length;

describe('LineQueue', () => {
  test('keeps lines in order', () => {
    const queue = new LineQueue(1024);
    queue.push([line(1), line(2), line(3)]);
    assert.equal(queue.take(1024)?.chunk, line(1) + line(2) + line(3));
    assert.equal(queue.length, 0);
    assert.equal(queue.bytes, 0);
  });

  test('never grows past its bound: the oldest lines are dropped and counted', () => {
    const queue = new LineQueue(LINE_BYTES * 10);
    const dropped = queue.push(Array.from({ length: 25 }, (_, i) => line(i)));
    assert.equal(dropped, 15);
    assert.equal(queue.droppedLines, 15);
    assert.equal(queue.length, 10);
    assert.ok(queue.bytes <= queue.maxBytes);
    const rest = queue.take(1 << 20)!.chunk;
    assert.equal(
      rest,
      Array.from({ length: 10 }, (_, i) => line(i + 15)).join(''),
      'exactly the newest ten remain',
    );
  });

  test('bound holds across many pushes', () => {
    const queue = new LineQueue(1000);
    for (let i = 0; i < 10_000; i++) {
      queue.push([line(i % 10_000)]);
      assert.ok(queue.bytes <= 1000);
    }
    assert.equal(queue.length, Math.floor(1000 / LINE_BYTES));
    assert.equal(queue.droppedLines, 10_000 - Math.floor(1000 / LINE_BYTES));
  });

  test('take returns whole lines up to the chunk size', () => {
    const queue = new LineQueue(1 << 20);
    queue.push(Array.from({ length: 10 }, (_, i) => line(i)));
    const taken = queue.take(LINE_BYTES * 2 + 5)!;
    assert.equal(taken.lines, 2);
    assert.equal(taken.chunk, line(0) + line(1));
    assert.equal(queue.length, 8);
  });

  test('a chunk that could not be written goes back to the front, in order', () => {
    const queue = new LineQueue(1 << 20);
    queue.push([line(1), line(2), line(3)]);
    const taken = queue.take(LINE_BYTES * 2)!;
    queue.unshift(taken.chunk, taken.lines);
    assert.equal(queue.take(1 << 20)!.chunk, line(1) + line(2) + line(3));
  });

  test('a line larger than the whole bound is dropped', () => {
    const queue = new LineQueue(10);
    assert.equal(queue.push(['x'.repeat(11)]), 1);
    assert.equal(queue.length, 0);
  });
});

describe('Backoff', () => {
  test('grows exponentially within 1 s to 30 s, with jitter', () => {
    const backoff = new Backoff(1000, 30_000);
    const delays = Array.from({ length: 50 }, () => backoff.next());
    for (const delay of delays) assert.ok(delay >= 1000 && delay <= 30_000, `${delay}`);
    const highest = new Backoff(1000, 30_000, () => 1);
    assert.deepEqual(
      Array.from({ length: 8 }, () => highest.next()),
      [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000],
    );
    const lowest = new Backoff(1000, 30_000, () => 0);
    assert.ok(Array.from({ length: 8 }, () => lowest.next()).every((delay) => delay === 1000));
  });

  test('reset starts over', () => {
    const backoff = new Backoff(1000, 30_000, () => 1);
    backoff.next();
    backoff.next();
    backoff.reset();
    assert.equal(backoff.next(), 1000);
  });
});
