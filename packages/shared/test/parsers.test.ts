import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { closestName, editDistance } from '../src/runtime/did-you-mean.js';
import { formatBytes, InvalidValue, parsers } from '../src/runtime/parsers.js';

describe('sizes', () => {
  const size = parsers.bytes();
  const KiB = 1024;
  const MiB = 1024 ** 2;
  const GiB = 1024 ** 3;
  // What an operator writes, and the bytes it means: k/M/G and KiB/MiB/GiB (and Ki/Mi/Gi) are powers
  // of 1024, KB/MB/GB powers of 1000, any case, a space allowed; a bare number is bytes.
  const table: Array<[unknown, number]> = [
    ['1000', 1000],
    [1000, 1000],
    ['512B', 512],
    ['1k', KiB],
    ['1K', KiB],
    ['100M', 100 * MiB],
    ['100m', 100 * MiB],
    ['1G', GiB],
    ['1.5G', 1.5 * GiB],
    ['64KiB', 64 * KiB],
    ['64MiB', 64 * MiB],
    ['64mib', 64 * MiB],
    ['1GiB', GiB],
    ['256Mi', 256 * MiB],
    ['512KB', 512_000],
    ['512MB', 512_000_000],
    ['512mb', 512_000_000],
    ['2GB', 2_000_000_000],
    [' 64 MiB ', 64 * MiB],
  ];
  for (const [written, bytes] of table) {
    test(`${JSON.stringify(written)} is ${bytes} bytes`, () => {
      assert.equal(size(written), bytes);
    });
  }

  for (const bad of ['lots', '1T', '1 GiBs', '-1M', '', 'M', '1e6', true, null]) {
    test(`${JSON.stringify(bad)} is refused, saying what a size looks like`, () => {
      assert.throws(
        () => size(bad),
        (error: unknown) =>
          error instanceof InvalidValue && /a size like 64MiB or 64M .*500MB/.test(error.expected),
      );
    });
  }

  test('the minimum is said in the units a person types', () => {
    assert.throws(
      () => parsers.bytes({ min: 64 * KiB })('1k'),
      (error: unknown) => error instanceof InvalidValue && /at least 64KiB$/.test(error.expected),
    );
  });

  test('formatBytes gives the largest binary unit that divides, which parses back', () => {
    for (const [bytes, text] of [
      [64 * MiB, '64MiB'],
      [GiB, '1GiB'],
      [1536 * KiB, '1536KiB'],
      [1000, '1000B'],
    ] as const) {
      assert.equal(formatBytes(bytes), text);
      assert.equal(size(text), bytes);
    }
  });
});

describe('value types for --help', () => {
  test('each parser says what it takes', () => {
    assert.equal(parsers.bytes().valueType, 'size');
    assert.equal(parsers.duration().valueType, 'duration');
    assert.equal(parsers.integer().valueType, 'number');
    assert.equal(parsers.boolean().valueType, 'boolean');
    assert.equal(parsers.oneOf(['tcp', 'udp']).valueType, 'tcp|udp');
    const list = parsers.list(parsers.url());
    assert.equal(list.valueType, 'url');
    assert.equal(list.listOf, true);
  });
});

describe('did you mean', () => {
  const flags = ['interval', 'es-timeout', 'password-env', 'password-file', 'carbon-mode', 'ca', 'cert'];
  const cases: Array<[string, string | undefined]> = [
    ['intervall', 'interval'],
    ['interva', 'interval'],
    ['es-timeuot', 'es-timeout'],
    ['es-timout', 'es-timeout'],
    ['passwrod', 'password-env'],
    ['carbon-mod', 'carbon-mode'],
    ['cs', 'ca'],
    ['verbose', undefined],
    ['x', undefined],
    ['completely-different', undefined],
  ];
  for (const [written, expected] of cases) {
    test(`${written} → ${expected ?? 'no suggestion'}`, () => {
      assert.equal(closestName(written, flags), expected);
    });
  }

  test('edit distance counts a swap of neighbours as one edit', () => {
    assert.equal(editDistance('timeuot', 'timeout'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
  });
});
