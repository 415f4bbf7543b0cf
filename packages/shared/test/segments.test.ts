import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  joinSegments,
  LineBatch,
  lowerWordSanitizer,
  MAX_SEGMENT_LENGTH,
  parsePrefix,
  sanitizeSegment,
} from '@stoker/shared';

/** What carbon accepts as one well-formed plaintext line from us: safe dotted name, number, integer time. */
const WELL_FORMED_LINE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)* -?\d+(\.\d+)?(e[+-]\d+)? \d+\n$/;

describe('sanitizeSegment', () => {
  test('keeps safe names as they are', () => {
    assert.equal(sanitizeSegment('es-data-1_a'), 'es-data-1_a');
  });

  test('replaces every unsafe character, so no directory, glob, hidden file or new line can appear', () => {
    assert.equal(sanitizeSegment('a/b'), 'a_b');
    assert.equal(sanitizeSegment('logs-*'), 'logs-_');
    assert.equal(sanitizeSegment('..'), '__');
    assert.equal(sanitizeSegment('.hidden'), '_hidden');
    assert.equal(sanitizeSegment('x\ny 1 2\n'), 'x_y_1_2_');
    assert.equal(sanitizeSegment('node;tag=1'), 'node_tag_1');
    assert.equal(sanitizeSegment('zürich'), 'z_rich');
  });

  test('an empty value still makes a segment', () => {
    assert.equal(sanitizeSegment(''), '_');
    assert.equal(joinSegments(['a', '', 'b']), 'a._.b');
  });

  test('long values are shortened but stay distinct', () => {
    const a = sanitizeSegment('x'.repeat(10_000));
    const b = sanitizeSegment(`${'x'.repeat(9_999)}y`);
    assert.ok(a.length <= MAX_SEGMENT_LENGTH);
    assert.ok(b.length <= MAX_SEGMENT_LENGTH);
    assert.notEqual(a, b);
    assert.match(a, /^[A-Za-z0-9_-]+$/);
  });

  test('es2graphite style: lower case, runs of non-word characters become one underscore', () => {
    assert.equal(lowerWordSanitizer('Data-Node 01..X'), 'data_node_01_x');
    assert.equal(lowerWordSanitizer('///'), '_');
    // es2graphite stripped before lower-casing: surrounding blanks leave no `_`.
    assert.equal(lowerWordSanitizer('  Data Node 1\t'), 'data_node_1');
  });

  test('prefixes are split on dots and sanitised segment by segment', () => {
    assert.deepEqual(parsePrefix('es.prod'), ['es', 'prod']);
    assert.deepEqual(parsePrefix('a/b.c d'), ['a_b', 'c_d']);
    assert.deepEqual(parsePrefix(''), []);
  });
});

describe('injection', () => {
  const nasty = [
    '\n',
    '\r',
    ' ',
    '\t',
    '/',
    '*',
    '..',
    ';',
    '=',
    '~',
    '\u0000',
    'é',
    '😀',
    '',
    'a\nfoo.bar 1 2',
  ];

  test('names from random bytes always give exactly one well-formed line each', () => {
    const batch = new LineBatch({ prefix: ['es'], timestampSec: 1_700_000_000 });
    const count = 2000;
    for (let i = 0; i < count; i++) {
      const raw = randomBytes(1 + (i % 64)).toString(i % 2 ? 'latin1' : 'utf8');
      const extra = nasty[i % nasty.length]!;
      batch.add(['cluster', raw + extra, extra, 'docs'], i);
    }
    assert.equal(batch.lines.length, count);
    for (const line of batch.lines) {
      assert.match(line, WELL_FORMED_LINE);
      assert.ok(line.startsWith('es.'), 'nothing lands outside the prefix');
      assert.equal(line.split('\n').length, 2, 'exactly one line');
    }
  });

  test('a 10 KB name stays one line below the 16 KiB limit', () => {
    const batch = new LineBatch({ prefix: ['es'], timestampSec: 1 });
    batch.add(['x'.repeat(10_000), 'y\n'.repeat(5_000)], 1);
    assert.equal(batch.lines.length, 1);
    assert.match(batch.lines[0]!, WELL_FORMED_LINE);
  });
});
