import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isRecord } from '../src/flatten.js';
import { type JsonHandler, JsonWalk, JsonWalkError } from '../src/json-walk.js';

/** Every number of a document with the dotted path of keys to it (arrays skipped), via JsonWalk. */
function walkNumbers(text: string | Uint8Array, chunks: number[] = []): [string, number][] {
  const found: [string, number][] = [];
  const handler: JsonHandler<string> = {
    object: (parent, key) => (parent === '' ? key : `${parent}.${key}`),
    number: (parent, key, value) => found.push([parent === '' ? key : `${parent}.${key}`, value]),
    close: () => {},
  };
  const walk = new JsonWalk(handler, '');
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  let at = 0;
  for (const cut of [...chunks, bytes.length]) {
    walk.write(bytes.subarray(at, cut));
    at = cut;
  }
  walk.end();
  return found;
}

/** The same, from JSON.parse: what the walk must agree with. */
function parsedNumbers(text: string): [string, number][] {
  const found: [string, number][] = [];
  const visit = (value: unknown, path: string): void => {
    if (typeof value === 'number' && Number.isFinite(value)) found.push([path, value]);
    else if (typeof value === 'boolean') found.push([path, value ? 1 : 0]);
    else if (isRecord(value))
      for (const [key, child] of Object.entries(value)) visit(child, path === '' ? key : `${path}.${key}`);
  };
  visit(JSON.parse(text), '');
  return found;
}

describe('JsonWalk: a JSON document walked as its bytes arrive', () => {
  test('numbers read exactly as JSON.parse reads them', () => {
    const texts = [
      '0',
      '-0',
      '7',
      '-12',
      '123456789012345',
      '1234567890123456',
      '9007199254740993',
      '18446744073709551616',
      '-9223372036854775808',
      '0.1',
      '-0.000001',
      '3.141592653589793238',
      '1e3',
      '1E+3',
      '2.5e-7',
      '-1.7976931348623157e308',
      '5e-324',
    ];
    let seed = 42;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let i = 0; i < 2000; i++) {
      const digits = String(Math.floor(random() * 10 ** (1 + Math.floor(random() * 15))));
      const sign = random() < 0.3 ? '-' : '';
      const fraction = random() < 0.4 ? `.${String(Math.floor(random() * 1e6)).padStart(6, '0')}` : '';
      const exponent = random() < 0.2 ? `e${Math.floor(random() * 40) - 20}` : '';
      texts.push(`${sign}${digits}${fraction}${exponent}`);
    }
    const doc = `{${texts.map((text, i) => `"n${i}":${text}`).join(',')}}`;
    const walked = walkNumbers(doc);
    assert.deepEqual(walked, parsedNumbers(doc));
    // -0 stays -0 (deepEqual uses Object.is).
    assert.ok(Object.is(walked[1]![1], -0));
  });

  test('keys with escapes and UTF-8 decoded as JSON.parse does; strings, null and arrays skipped', () => {
    const doc = JSON.stringify({
      'quote"back\\slash': { 'é\u00e9 ünïcödé 🙂': 1, 'tab\there': 2 },
      'new\nline': { '\u0000': 3 },
      skipped: ['a', { inside: 4 }, [5]],
      text: 'string "with" } and ]',
      nothing: null,
      yes: true,
      no: false,
      nested: { deeper: { deepest: -1.5 } },
    });
    assert.deepEqual(
      walkNumbers(doc),
      parsedNumbers(doc).filter(([path]) => !path.startsWith('skipped')),
    );
  });

  test('cut into chunks anywhere, the walk is the same', () => {
    const doc = JSON.stringify({
      a: { 'ké\\y': 12345678, b: [1, { c: 2 }], d: 'x\\"}y', e: { f: 1.25e-3, g: true, h: null } },
      i: -98765432101234,
    });
    const whole = walkNumbers(doc);
    assert.equal(whole.length, 4);
    const bytes = Buffer.from(doc);
    for (let cut = 0; cut <= bytes.length; cut++)
      assert.deepEqual(walkNumbers(bytes, [cut]), whole, `cut at ${cut}`);
    const oneByOne = Array.from({ length: bytes.length }, (_, i) => i);
    assert.deepEqual(walkNumbers(bytes, oneByOne), whole);
  });

  test('a malformed or incomplete document is refused, saying where', () => {
    const bad = [
      '',
      '   ',
      '{',
      '{"a":1',
      '{"a":1}}',
      '{"a" 1}',
      '{"a":tru}',
      '{"a":nul',
      '{"a":01}',
      '{"a":--1}',
      '{"a":1.}',
      '{"a":1,}',
      '{a:1}',
      '{"a":[1,]}',
      '{"a":[1,2}',
      '{"a":"x}',
      '{} x',
      '{"a":1}{"b":2}',
      '{"a":1 "b":2}',
    ];
    for (const text of bad) assert.throws(() => walkNumbers(text), JsonWalkError, JSON.stringify(text));
    assert.throws(() => walkNumbers('{"a":1,"b":x}'), /unexpected 'x' at byte 11/);
    const valid = '{"a":{"b":[1,2,{"c":"d"}],"e":true},"f":-1.5e3}';
    for (let end = 0; end < valid.length; end++) {
      // Every proper prefix is incomplete, whether or not it happens to end on a token.
      assert.throws(() => walkNumbers(valid.slice(0, end)), JsonWalkError, valid.slice(0, end));
    }
  });

  test('nesting 100,000 deep is walked without recursion', () => {
    const levels = 100_000;
    const doc = `{"x":1,"deep":${'{"d":'.repeat(levels)}2${'}'.repeat(levels)}}`;
    const numbers = walkNumbers(doc);
    assert.equal(numbers.length, 2);
    assert.equal(numbers[1]![1], 2);
  });
});
