import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Backoff, BLOCK_BYTES, LineQueue } from '@stoker/shared';

const line = (n: number) => `m.${String(n).padStart(4, '0')} 1 1\n`;
const LINE_BYTES = line(0).length;

/** Pushes lines as the sender does: one chunk of whole lines. */
const push = (queue: LineQueue, lines: readonly string[]) =>
  queue.push(Buffer.from(lines.join(''), 'latin1'), lines.length);

describe('LineQueue', () => {
  test('keeps lines in order', () => {
    const queue = new LineQueue(1024);
    push(queue, [line(1), line(2), line(3)]);
    assert.equal(queue.take(1024)?.chunk.toString(), line(1) + line(2) + line(3));
    assert.equal(queue.length, 0);
    assert.equal(queue.bytes, 0);
  });

  test('never grows past its bound: the oldest lines are dropped and counted', () => {
    const queue = new LineQueue(LINE_BYTES * 10);
    const dropped = push(
      queue,
      Array.from({ length: 25 }, (_, i) => line(i)),
    );
    assert.equal(dropped, 15);
    assert.equal(queue.droppedLines, 15);
    assert.equal(queue.length, 10);
    assert.ok(queue.bytes <= queue.maxBytes);
    const rest = queue.take(1 << 20)!.chunk.toString();
    assert.equal(
      rest,
      Array.from({ length: 10 }, (_, i) => line(i + 15)).join(''),
      'exactly the newest ten remain',
    );
  });

  test('bound holds across many pushes', () => {
    const queue = new LineQueue(1000);
    for (let i = 0; i < 10_000; i++) {
      push(queue, [line(i % 10_000)]);
      assert.ok(queue.bytes <= 1000);
    }
    assert.equal(queue.length, Math.floor(1000 / LINE_BYTES));
    assert.equal(queue.droppedLines, 10_000 - Math.floor(1000 / LINE_BYTES));
  });

  test('take returns whole lines up to the chunk size', () => {
    const queue = new LineQueue(1 << 20);
    push(
      queue,
      Array.from({ length: 10 }, (_, i) => line(i)),
    );
    const taken = queue.take(LINE_BYTES * 2 + 5)!;
    assert.equal(taken.lines, 2);
    assert.equal(taken.chunk.toString(), line(0) + line(1));
    assert.equal(queue.length, 8);
  });

  test('a chunk that could not be written goes back to the front, in order', () => {
    const queue = new LineQueue(1 << 20);
    push(queue, [line(1), line(2), line(3)]);
    const taken = queue.take(LINE_BYTES * 2)!;
    queue.unshift(taken.chunk, taken.lines);
    assert.equal(queue.take(1 << 20)!.chunk.toString(), line(1) + line(2) + line(3));
  });

  test('a block filled to its last byte is taken whole, and the next one is not cut', () => {
    const queue = new LineQueue(1 << 20);
    const exact = `${'x'.repeat(BLOCK_BYTES / 16 - 1)}\n`;
    const full = Array.from({ length: 16 }, () => exact);
    push(queue, [...full, line(1), line(2)]);
    const first = queue.take(BLOCK_BYTES)!;
    assert.equal(first.chunk.toString(), full.join(''));
    assert.equal(first.lines, 16);
    assert.equal(queue.take(BLOCK_BYTES)!.chunk.toString(), line(1) + line(2));
    assert.equal(queue.length, 0);
  });

  test('agrees with a plain list of lines over random pushes, takes and put-backs across blocks', () => {
    // Lines of 5 to 2,000 bytes against a bound of ~3 blocks: drops, takes and put-backs cross block
    // boundaries. The reference model is an array of strings.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const bound = 3 * BLOCK_BYTES + 1234;
    const queue = new LineQueue(bound);
    const model: string[] = [];
    let modelDropped = 0;
    const modelBytes = () => model.reduce((sum, each) => sum + each.length, 0);
    let next = 0;
    for (let step = 0; step < 3000; step++) {
      const action = random();
      if (action < 0.6) {
        const batch = Array.from(
          { length: 1 + Math.floor(random() * 200) },
          () => `n${next++}.${'x'.repeat(Math.floor(random() * 2000))} 1 1\n`,
        );
        push(queue, batch);
        model.push(...batch);
        while (modelBytes() > bound) {
          model.shift();
          modelDropped++;
        }
      } else if (action < 0.9) {
        const max = 1 + Math.floor(random() * 80_000);
        const taken = queue.take(max);
        if (model.length === 0) {
          assert.equal(taken, undefined);
          continue;
        }
        let count = 1;
        let bytes = model[0]!.length;
        while (count < model.length && bytes + model[count]!.length <= max) bytes += model[count++]!.length;
        const expected = model.splice(0, count);
        assert.equal(taken?.lines, expected.length, `step ${step}: lines taken`);
        assert.equal(taken?.chunk.toString(), expected.join(''), `step ${step}: chunk`);
        if (random() < 0.3) {
          queue.unshift(taken!.chunk, taken!.lines);
          model.unshift(...expected);
          while (modelBytes() > bound) {
            model.shift();
            modelDropped++;
          }
        }
      }
      assert.equal(queue.length, model.length, `step ${step}: length`);
      assert.equal(queue.bytes, modelBytes(), `step ${step}: bytes`);
      assert.ok(queue.bytes <= bound);
      assert.equal(queue.droppedLines, modelDropped, `step ${step}: dropped`);
    }
  });

  test('a line larger than the whole bound is dropped', () => {
    const queue = new LineQueue(10);
    assert.equal(push(queue, ['x'.repeat(11)]), 1);
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
