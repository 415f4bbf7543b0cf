import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sharedSkip } from '../../../test/harness/fixtures.js';
import { isRecord } from '../src/flatten.js';
import { type JsonHandler, JsonWalk, JsonWalkError } from '../src/json-walk.js';
import { fixtureFiles, readFixture } from './helpers.js';
import {
  checkDocument,
  fuzzCuts,
  fuzzDocument,
  parseReference,
  readIndicesStatsTree,
  referenceIndicesStats,
  referenceTree,
  seededRandom,
  walkTree,
} from './json-fuzz.js';

/** Every number of a document with the dotted path of keys to it (arrays skipped), via JsonWalk. */
function walkNumbers(text: string | Uint8Array, chunks: number[] = []): [string, number][] {
  let found: [string, number][] = [];
  const path = (parent: string, key: string) => (parent === '' ? key : `${parent}.${key}`);
  const handler: JsonHandler<string> = {
    object: path,
    number: (parent, key, value) => found.push([path(parent, key), value]),
    repeated: (parent, key) => {
      const gone = path(parent, key);
      found = found.filter(([each]) => each !== gone && !each.startsWith(`${gone}.`));
    },
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

  test('what JSON.parse refuses is refused wherever it stands, skipped parts included, in any chunks', () => {
    const bad: (string | number[])[] = [
      // Escapes: unknown, cut \u digits, not hex; in a value, a key, a skipped object and array.
      '{"s":"\\q","n":1}',
      '{"s\\x":1}',
      '{"skipped":{"s":"\\q"}}',
      '{"skipped":[{"s\\q":1}]}',
      '{"s":"\\u12"}',
      '{"s":"\\u12g4"}',
      '{"s":"\\U0041"}',
      // Raw control characters in keys and values.
      '{"a\u0001":1}',
      '{"a":"tab\there"}',
      '{"skipped":{"line\nbreak":1}}',
      // Numbers: leading zeros, signs, bare dots and exponents, what is not JSON.
      '{"n":01}',
      '{"n":-01}',
      '{"n":+1}',
      '{"n":1.}',
      '{"n":.5}',
      '{"n":1.e3}',
      '{"n":1e}',
      '{"n":1e+}',
      '{"n":-}',
      '{"n":NaN}',
      '{"n":Infinity}',
      '{"n":0x10}',
      '1 2',
      '-',
    ];
    // Invalid UTF-8 in a value, a key, a skipped part: a lone continuation byte, an overlong form,
    // an encoded surrogate, past U+10FFFF, a sequence cut by the quote, a byte no UTF-8 has.
    const utf8 = [
      [0x80],
      [0xc0, 0x80],
      [0xe0, 0x80, 0x80],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe2, 0x82],
      [0xff],
    ];
    for (const sequence of utf8)
      for (const [before, after] of [
        ['{"s":"a', '"}'],
        ['{"', '":1}'],
        ['{"skipped":["', '"]}'],
      ] as const)
        bad.push([...Buffer.from(before!), ...sequence, ...Buffer.from(after!)]);
    for (const each of bad) {
      const bytes = typeof each === 'string' ? Buffer.from(each) : Uint8Array.from(each);
      const label = Buffer.from(bytes).toString('latin1');
      assert.equal(parseReference(bytes), undefined, `JSON.parse takes ${label}`);
      const oneByOne = Array.from({ length: bytes.length }, (_, i) => i);
      for (const cuts of [[], oneByOne])
        assert.throws(() => walkTree(bytes, cuts), JsonWalkError, `${label} in ${cuts.length + 1} chunks`);
    }
    // What JSON.parse takes of the same kinds: lone surrogates as escapes, UTF-8 of every length.
    const good = [
      '{"s":"\\ud800","\\udc00":1,"n":-0,"e":1E+2,"f":-0.5e-3,"big":123456789012345678901234567890}',
      '{"é":1,"日本":2,"🙂":3,"\\u00e9\\/":4,"s":"\\"\\\\\\/\\b\\f\\n\\r\\t\\uABCD"}',
    ];
    for (const text of good) {
      const bytes = Buffer.from(text);
      const expected = referenceTree(JSON.parse(text));
      for (let cut = 0; cut <= bytes.length; cut++) assert.deepEqual(walkTree(bytes, [cut]), expected, text);
    }
  });

  test('a key given twice: the last value replaces the earlier one whole, as with JSON.parse', () => {
    const texts = [
      '{"a":{"x":1,"y":2},"a":{"x":3}}',
      '{"a":{"x":1},"a":5}',
      '{"a":5,"a":{"x":1}}',
      '{"a":5,"a":"text"}',
      '{"a":5,"a":null}',
      '{"a":{"x":1},"a":[1]}',
      // The same key in nested objects (the key cache's stamps move from one object to another).
      '{"total":{"total":1,"b":{"total":2}},"total":null,"x":{"total":4}}',
      '{"a":1,"b":{"a":2},"a":"text"}',
      // Many keys in one object (more than the key cache has slots), the first one repeated last.
      `{${Array.from({ length: 5000 }, (_, i) => `"k${i}":${i}`).join(',')},"k0":"again"}`,
    ];
    for (const text of texts) {
      const bytes = Buffer.from(text);
      assert.deepEqual(walkTree(bytes, []), referenceTree(JSON.parse(text)), text.slice(0, 80));
      assert.deepEqual(walkTree(bytes, [7, 8, 9, 20]), referenceTree(JSON.parse(text)), text.slice(0, 80));
    }
  });

  test('a token cut by chunks is continued, not read again: the bytes read grow with the document', () => {
    const walkCounting = (text: string, size: number): { read: number; length: number } => {
      const bytes = Buffer.from(text);
      const handler: JsonHandler<number> = {
        object: () => 1,
        number: () => {},
        repeated: () => {},
        close: () => {},
      };
      const walk = new JsonWalk(handler, 0);
      for (let at = 0; at < bytes.length; at += size) walk.write(bytes.subarray(at, at + size));
      walk.end();
      return { read: walk.bytesRead, length: bytes.length };
    };
    // A 4 MiB string value in 1 KiB chunks: each byte read once, nothing kept.
    const string = walkCounting(`{"s":"${'x'.repeat(4 * 1024 * 1024)}","n":1}`, 1024);
    assert.equal(string.read, string.length);
    // Keys and numbers keep their bytes so far: each copied a bounded number of times.
    for (const [text, size] of [
      [`{"${'k'.repeat(1024 * 1024)}":1}`, 1024],
      [`{"${'k'.repeat(16 * 1024)}":1}`, 1],
      [`{"n":${'9'.repeat(1024 * 1024)}}`, 1024],
      [`{"n":1.${'5'.repeat(16 * 1024)}e5}`, 1],
    ] as const) {
      const { read, length } = walkCounting(text, size);
      assert.ok(read <= 5 * length, `${read} bytes read for ${length} in chunks of ${size}`);
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

/** Documents per seed of the fuzz test (bench/json-walk-fuzz.ts runs as many as it is given time for). */
const FUZZ_DOCUMENTS_PER_SEED = 250;

describe('IndicesStatsReader over the strict walker', { skip: sharedSkip() }, () => {
  test('a name, scope, section or leaf given twice: only the last counts, whole, as with JSON.parse', () => {
    const entry = (count: number) =>
      `{"primaries":{"docs":{"count":${count},"deleted":1},"store":{"size_in_bytes":${count * 10}}},"total":{"docs":{"count":${count}}}}`;
    const texts = [
      // The same index twice (the second without store), primaries twice, a section twice.
      `{"_all":${entry(1)},"indices":{"a":${entry(2)},"b":${entry(3)},"a":{"primaries":{"docs":{"count":9}}}}}`,
      `{"_all":{"primaries":{"docs":{"count":1}},"total":{"docs":{"count":2}},"primaries":{"store":{"size_in_bytes":3}}},"indices":{}}`,
      `{"_all":{"primaries":{"docs":{"count":1,"deleted":2},"store":{"size_in_bytes":3},"docs":{"count":4}}},"indices":{}}`,
      // A leaf twice, a number replaced by an object and the reverse, a value that is not a number.
      `{"_all":{"primaries":{"docs":{"count":1,"count":2},"store":5,"store":{"size_in_bytes":6},"get":{"total":7},"get":8,"merges":{"current":1},"merges":null}}}`,
      // _all and indices replaced.
      `{"_all":${entry(1)},"_all":5,"indices":{"a":${entry(2)}}}`,
      `{"_all":${entry(1)},"indices":{"a":${entry(2)}},"indices":{"b":${entry(3)}}}`,
      `{"_all":${entry(1)},"indices":{"a":${entry(2)}},"indices":[]}`,
      `{"indices":{"a":${entry(2)},"a":"gone"}}`,
    ];
    for (const text of texts) {
      const expected = referenceIndicesStats(JSON.parse(text));
      for (const cuts of [[], [13, 50, 51, 90]])
        assert.deepEqual(readIndicesStatsTree(Buffer.from(text), cuts), expected, text);
    }
    // What the reference says in one case, so the comparison above is not between two mistakes.
    const replaced = readIndicesStatsTree(Buffer.from(texts[0]!), []).indices.get('a');
    assert.deepEqual(replaced, new Map([['["primaries","docs","count"]', 9]]));
  });

  test('differential fuzz: random and damaged index stats documents, in random chunks, as JSON.parse', () => {
    const templates = fixtureFiles(/^indices_stats.*\.json$/).map(
      (file) => readFixture(file) as Record<string, unknown>,
    );
    let refused = 0;
    for (const seed of [1, 2, 3, 4]) {
      const random = seededRandom(seed);
      for (let i = 0; i < FUZZ_DOCUMENTS_PER_SEED; i++) {
        const bytes = fuzzDocument(random, templates[Math.floor(random() * templates.length)]!);
        const cuts = fuzzCuts(random, bytes);
        if (!parseReference(bytes)) refused++;
        const problem = checkDocument(bytes, cuts);
        assert.equal(
          problem,
          undefined,
          `seed ${seed} document ${i}: ${Buffer.from(bytes).toString('latin1')}`,
        );
      }
    }
    // Both kinds were met in numbers: documents JSON.parse takes and documents it refuses.
    const total = 4 * FUZZ_DOCUMENTS_PER_SEED;
    assert.ok(refused > total / 5 && refused < (total * 4) / 5, `${refused} of ${total} refused`);
  });
});
