import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LeafNames } from '@stoker/shared';
import { sharedSkip } from '../../../test/harness/fixtures.js';
import {
  type IndexStats,
  IndicesStatsReader,
  type ParsedIndicesStats,
} from '../src/collectors/indices-stats.js';
import { forEachLeaf, isRecord } from '../src/flatten.js';
import { type JsonHandler, JsonWalk, JsonWalkError } from '../src/json-walk.js';
import { fixtureFiles, readFixtureBytes } from './helpers.js';

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

/** What the index stats reader must give: JSON.parse, then every numeric leaf of primaries and total. */
function referenceIndices(text: string): {
  all: Map<string, number>;
  indices: Map<string, Map<string, number>>;
} {
  const body = JSON.parse(text) as Record<string, unknown>;
  const tree = new LeafNames();
  const leaves = (entry: unknown): Map<string, number> => {
    const values = new Map<string, number>();
    for (const scope of ['primaries', 'total'])
      forEachLeaf(
        isRecord(entry) ? entry[scope] : undefined,
        { skipKeys: new Set(['indices', 'shards', 'uuid']) },
        tree.root.child(scope),
        (leaf, value) => values.set(leaf.rawPath, value),
      );
    return values;
  };
  const all = body._all as Record<string, unknown>;
  const perIndex = (
    isRecord(body.indices) ? body.indices : isRecord(all.indices) ? all.indices : {}
  ) as Record<string, unknown>;
  const indices = new Map<string, Map<string, number>>();
  for (const [name, entry] of Object.entries(perIndex)) if (isRecord(entry)) indices.set(name, leaves(entry));
  return { all: leaves(all), indices };
}

function leafMap(stats: IndexStats): Map<string, number> {
  const values = new Map<string, number>();
  stats.shape.leaves.forEach((leaf, i) => {
    assert.ok(!values.has(leaf.rawPath), `${leaf.rawPath} twice`);
    values.set(leaf.rawPath, stats.values[i]!);
  });
  return values;
}

function readInChunks(bytes: Uint8Array, size: number): ParsedIndicesStats {
  const reader = new IndicesStatsReader();
  for (let at = 0; at < bytes.length; at += size) reader.write(bytes.subarray(at, at + size));
  return reader.end();
}

describe('IndicesStatsReader', { skip: sharedSkip() }, () => {
  test('every recorded index stats answer reads as JSON.parse and a walk of it would, in any chunks', () => {
    const files = fixtureFiles(/^indices_stats.*\.json$/);
    assert.ok(files.length >= 36, `found ${files.length}`);
    for (const file of files) {
      const bytes = readFixtureBytes(file);
      const expected = referenceIndices(bytes.toString('utf8'));
      for (const size of [bytes.length, 4096, 97]) {
        const parsed = readInChunks(bytes, size);
        assert.deepEqual(leafMap(parsed.all!), expected.all, `${file} _all, chunks of ${size}`);
        assert.deepEqual(
          [...parsed.indices.keys()].sort(),
          [...expected.indices.keys()].sort(),
          `${file} indices, chunks of ${size}`,
        );
        for (const [name, stats] of parsed.indices)
          assert.deepEqual(leafMap(stats), expected.indices.get(name), `${file} ${name}, chunks of ${size}`);
      }
    }
  });

  test('indices with the same keys share one shape; a key given twice counts once, the last value', () => {
    const entry = (docs: number) => ({
      primaries: { docs: { count: docs, deleted: 0 } },
      total: { docs: { count: docs * 2 } },
    });
    const text = JSON.stringify({
      _all: entry(0),
      indices: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`logs-${i}`, entry(i)])),
    }).replace('"deleted":0}', '"deleted":0,"count":-1}');
    const parsed = readInChunks(Buffer.from(text), 1000);
    assert.equal(parsed.indices.size, 100);
    // `_all` got the duplicate count (the first entry in the text).
    assert.deepEqual(
      leafMap(parsed.all!),
      new Map([
        ['primaries.docs.count', -1],
        ['primaries.docs.deleted', 0],
        ['total.docs.count', 0],
      ]),
    );
    const shapes = new Set([...parsed.indices.values()].map((stats) => stats.shape));
    assert.equal(shapes.size, 1, 'one shape for 100 indices of the same keys');
    assert.equal(leafMap(parsed.indices.get('logs-42')!).get('total.docs.count'), 84);
  });

  test('an answer without _all reads, and is refused when mapped; a cut one is refused', () => {
    assert.equal(readInChunks(Buffer.from('{"error":"x","status":500}'), 7).all, undefined);
    const cut = Buffer.from(JSON.stringify({ _all: { primaries: { docs: { count: 1 } } } })).subarray(0, 30);
    assert.throws(() => readInChunks(cut, 8), /unexpected end of the document/);
  });
});
