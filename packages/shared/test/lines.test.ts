import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { alignTimestamp, CHUNK_BYTES, LineBatch, MAX_LINE_BYTES, toMetricValue } from '@stoker/shared';

describe('carbon lines', () => {
  test('path value timestamp, newline terminated', () => {
    const batch = new LineBatch({ prefix: ['es', 'prod'], timestampSec: 1_700_000_010 });
    batch.add(['nodes', 'n1', 'jvm', 'mem', 'heap_used_percent'], 42);
    batch.add(['ratio'], 0.25);
    assert.deepEqual(batch.lines, [
      'es.prod.nodes.n1.jvm.mem.heap_used_percent 42 1700000010\n',
      'es.prod.ratio 0.25 1700000010\n',
    ]);
  });

  test('every number is written as JavaScript prints it, whole ones below 2^64 in all their digits', () => {
    const values = [
      0,
      -0,
      7,
      -7,
      10,
      99,
      100,
      999_999_999,
      1_000_000_000,
      1_000_000_007,
      1_700_000_000,
      123_456_789_012,
      -5_000_000_000,
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
      2 ** 60,
      2 ** 63 - 4096,
      1e21,
      0.1 + 0.2,
      -1.5e-300,
      123456.789,
    ];
    // Where String() rounds the text: a kernel's u64 value (v1's "no limit") as the kernel printed it.
    const allDigits = new Map([
      [2 ** 60, '1152921504606846976'],
      [2 ** 63 - 4096, '9223372036854771712'],
    ]);
    const batch = new LineBatch({ prefix: [], timestampSec: 1 });
    for (const value of values) batch.add(['v'], value);
    assert.deepEqual(
      batch.lines,
      values.map((value) => `v ${allDigits.get(value) ?? String(value)} 1\n`),
    );
  });

  test('lines are handed on in chunks of whole lines, none over a chunk', () => {
    const chunks: string[] = [];
    let counted = 0;
    const batch = new LineBatch({
      prefix: ['es'],
      timestampSec: 1,
      tagSuffix: ';dc=eu1',
      onChunk: (chunk, lines) => {
        assert.ok(chunk.length <= CHUNK_BYTES);
        assert.equal(chunk.at(-1), 0x0a, 'a chunk ends with a whole line');
        chunks.push(chunk.toString('latin1'));
        counted += lines;
      },
    });
    for (let i = 0; i < 20_000; i++)
      batch.addBytes(Buffer.from(`node-${i % 7}.`), i, Buffer.from('jvm.heap'));
    batch.end();
    assert.ok(chunks.length > 1);
    const lines = chunks.join('').split('\n').slice(0, -1);
    assert.equal(counted, 20_000);
    assert.deepEqual(
      lines,
      Array.from({ length: 20_000 }, (_, i) => `es.node-${i % 7}.jvm.heap;dc=eu1 ${i} 1`),
    );
  });

  test('booleans become 1 and 0', () => {
    assert.equal(toMetricValue(true), 1);
    assert.equal(toMetricValue(false), 0);
  });

  test('NaN, infinities, null, undefined and strings are dropped and counted', () => {
    const batch = new LineBatch({ prefix: [], timestampSec: 1 });
    for (const value of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      null,
      undefined,
      '12',
      {},
    ]) {
      assert.equal(batch.add(['x'], value), false);
    }
    assert.equal(batch.lines.length, 0);
    assert.equal(batch.dropped.non_finite, 7);
  });

  test('a line that would reach 16 KiB is dropped and counted, never sent', () => {
    const batch = new LineBatch({ prefix: [], timestampSec: 1 });
    const segments = Array.from({ length: 200 }, () => 'x'.repeat(100));
    assert.equal(batch.add(segments, 1), false);
    assert.equal(batch.dropped.too_long, 1);
    for (const line of batch.lines) assert.ok(line.length <= MAX_LINE_BYTES);
  });

  test('timestamps are aligned down to the interval, in whole seconds', () => {
    assert.equal(alignTimestamp(1_700_000_019_999, 10_000), 1_700_000_010);
    assert.equal(alignTimestamp(1_700_000_010_000, 10_000), 1_700_000_010);
    assert.equal(alignTimestamp(1_700_000_059_000, 60_000), 1_700_000_040);
    assert.equal(alignTimestamp(1_700_000_001_500, 500), 1_700_000_001);
  });
});
