/**
 * Differential fuzzing of the JSON walker and the index stats reader against `JSON.parse`: random
 * and mutated index stats documents, fed in random chunkings, must give exactly what `JSON.parse`
 * gives of the same bytes (read as UTF-8 by a fatal TextDecoder), or be refused when it refuses.
 * Used by json-walk.test.ts (fixed seeds) and bench/json-walk-fuzz.ts (a longer run).
 */
import { deepStrictEqual } from 'node:assert/strict';
import { LeafNames } from '@stoker/shared';
import { type IndexStats, IndicesStatsReader } from '../src/collectors/indices-stats.js';
import { forEachLeaf, isRecord } from '../src/flatten.js';
import { type JsonHandler, JsonWalk, JsonWalkError } from '../src/json-walk.js';

export type Random = () => number;

/** A seeded generator (mulberry32): the same seed, the same documents. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const below = (random: Random, n: number): number => Math.floor(random() * n);

/** Number texts JSON allows, beyond what JSON.stringify writes. */
const ODD_NUMBERS = [
  '-0',
  '0.0',
  '1e3',
  '1E+3',
  '2.5e-7',
  '-1.7976931348623157e308',
  '1e400',
  '-1e400',
  '5e-324',
  '9007199254740993',
  '18446744073709551616',
  '123456789012345678901234567890',
  '0.30000000000000004',
  '3.141592653589793238462643383279',
  '100000000000000000000e-20',
];
/** Strings JSON allows, as their JSON text: escapes, UTF-8, lone surrogates (JSON.parse takes them). */
const ODD_STRINGS = [
  '"\\n\\t\\"\\\\\\/\\b\\f\\r"',
  '"\\u00e9\\u00E9"',
  '"\\ud83d\\ude00"',
  '"\\ud800"',
  '"\\udc00x"',
  '"é ünïcödé 🙂 日本"',
  '"\\u0000"',
  '""',
];
/** Bytes inserted by mutations: JSON's own, and what it refuses (bad escapes, bad UTF-8, controls). */
const INSERTS: readonly (readonly number[])[] = [
  ...['"', '\\', '\\q', '\\u12', '\\u00e9', '\\ud83d\\ude00', '\\x', ',', ':', '{', '}', '[', ']'],
  ...['0', '01', '-', '+1', '.5', '1.', 'e', 'E+', 'NaN', 'true', 'nul', ' ', '\n'],
].map((text) => [...Buffer.from(text)]);
const RAW_INSERTS: readonly (readonly number[])[] = [
  [0x01],
  [0x1f],
  [0x7f],
  [0xc3, 0xa9],
  [0xf0, 0x9f, 0x99, 0x82],
  [0xc3],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0xe2, 0x82],
  [0xf4, 0x90, 0x80, 0x80],
  [0xff],
  [0x80],
];

/** `value` as JSON text, with the oddities JSON allows: repeated keys, escapes, odd numbers, depth. */
function write(random: Random, value: unknown, depth: number, out: string[]): void {
  if (typeof value === 'number') {
    out.push(random() < 0.03 ? pick(random, ODD_NUMBERS) : JSON.stringify(value));
  } else if (typeof value === 'string') {
    out.push(random() < 0.05 ? pick(random, ODD_STRINGS) : JSON.stringify(value));
  } else if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, i) => {
      if (i > 0) out.push(',');
      write(random, item, depth + 1, out);
    });
    out.push(']');
  } else if (isRecord(value)) {
    if (random() < 0.002) {
      // Deep nesting around an object.
      const levels = 1 + below(random, 300);
      out.push('{"deep":'.repeat(levels));
      write(random, value, depth + levels, out);
      out.push('}'.repeat(levels));
      return;
    }
    out.push('{');
    let first = true;
    const member = (key: string, item: unknown) => {
      if (!first) out.push(random() < 0.01 ? ' ,\n\t' : ',');
      first = false;
      out.push(writeKey(random, key), ':');
      write(random, item, depth + 1, out);
    };
    for (const [key, item] of Object.entries(value)) {
      // A key given twice: before the real value (which replaces it) or after it (replacing it).
      const repeat = random() < 0.03 ? replacement(random, item) : undefined;
      if (repeat !== undefined && random() < 0.5) member(key, repeat.value);
      member(key, item);
      if (repeat !== undefined && random() < 0.5) member(key, repeat.value);
    }
    out.push('}');
  } else {
    out.push(JSON.stringify(value));
  }
}

/** A key as JSON text: mostly plain, sometimes with characters escaped or non-ASCII added. */
function writeKey(random: Random, key: string): string {
  const roll = random();
  if (roll < 0.97) return JSON.stringify(key);
  if (roll < 0.98)
    return `"${[...key].map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"`;
  if (roll < 0.99) return JSON.stringify(`${key}${pick(random, ['é', '🙂', '\u0000', '"', '\\', '\ud800'])}`);
  return `"${key}\\/"`;
}

/** What a repeated key may carry instead: another kind of value, or part of the object. */
function replacement(random: Random, item: unknown): { value: unknown } {
  const roll = random();
  if (isRecord(item) && roll < 0.5) {
    const entries = Object.entries(item);
    return { value: Object.fromEntries(entries.slice(below(random, entries.length + 1))) };
  }
  if (roll < 0.7) return { value: below(random, 1000) };
  if (roll < 0.8) return { value: 'text' };
  if (roll < 0.9) return { value: null };
  return { value: [1, { a: 2 }] };
}

/** Byte-level damage: flipped, inserted, deleted bytes, or a cut end. */
function damage(random: Random, bytes: Uint8Array): Uint8Array {
  let doc = [...bytes];
  for (let n = 1 + below(random, 3); n > 0; n--) {
    const at = below(random, doc.length + 1);
    const roll = random();
    if (roll < 0.3) doc[Math.min(at, doc.length - 1)] = below(random, 256);
    else if (roll < 0.6) doc.splice(at, 0, ...pick(random, INSERTS));
    else if (roll < 0.8) doc.splice(at, 0, ...pick(random, RAW_INSERTS));
    else if (roll < 0.95) doc.splice(at, 1 + below(random, 4));
    else doc = doc.slice(0, at);
  }
  return Uint8Array.from(doc);
}

/**
 * A document from a recorded index stats answer (`template`, parsed): its `indices` cut to a few
 * (a random few of them), written with oddities, and half the time damaged.
 */
export function fuzzDocument(random: Random, template: Record<string, unknown>): Uint8Array {
  const body = { ...template };
  if (isRecord(body.indices)) {
    const entries = Object.entries(body.indices);
    const from = below(random, entries.length);
    body.indices = Object.fromEntries(entries.slice(from, from + 1 + below(random, 3)));
  }
  const out: string[] = [];
  if (random() < 0.02) out.push(' \n');
  write(random, body, 0, out);
  const bytes = Buffer.from(out.join(''));
  return random() < 0.5 ? damage(random, bytes) : bytes;
}

/**
 * Where to cut `bytes` into chunks: 1-byte chunks, small random ones, or cuts at the bytes most
 * likely to split a token (inside UTF-8 sequences, escapes and numbers), at random.
 */
export function fuzzCuts(random: Random, bytes: Uint8Array): number[] {
  const roll = random();
  if (roll < 0.15) return Array.from({ length: bytes.length }, (_, i) => i + 1);
  const cuts: number[] = [];
  if (roll < 0.5) {
    for (let at = 1 + below(random, 16); at < bytes.length; at += 1 + below(random, 16)) cuts.push(at);
    return cuts;
  }
  for (let at = 1; at < bytes.length; at++) {
    const byte = bytes[at]!;
    const inToken = byte >= 0x80 || byte === 0x5c || (byte >= 0x30 && byte <= 0x39) || byte === 0x75;
    if ((inToken && random() < 0.3) || random() < 0.01) cuts.push(at);
  }
  return cuts;
}

/** What JSON.parse makes of `bytes`, or undefined when it (or the UTF-8 decoding) refuses them. */
export function parseReference(bytes: Uint8Array): { value: unknown } | undefined {
  try {
    // ignoreBOM: a BOM stays in the text and JSON.parse refuses it, as the walker does.
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/** A tree of the numbers of a document: objects as maps, numbers and booleans as numbers. */
type NumberTree = Map<string, NumberTree | number>;

/** The tree JSON.parse's value gives (what the walker hands a handler that walks every object). */
export function referenceTree(value: unknown): NumberTree {
  const tree: NumberTree = new Map();
  if (!isRecord(value)) return tree;
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'number' && Number.isFinite(item)) tree.set(key, item);
    else if (typeof item === 'boolean') tree.set(key, item ? 1 : 0);
    else if (isRecord(item)) tree.set(key, referenceTree(item));
  }
  return tree;
}

/** The tree the walker gives of `bytes` cut at `cuts`, walking every object; throws if it refuses. */
export function walkTree(bytes: Uint8Array, cuts: readonly number[]): NumberTree {
  const root: NumberTree = new Map();
  const handler: JsonHandler<NumberTree> = {
    object: (parent, key) => {
      const child: NumberTree = new Map();
      parent.set(key, child);
      return child;
    },
    number: (parent, key, value) => parent.set(key, value),
    repeated: (parent, key) => parent.delete(key),
    close: () => {},
  };
  const walk = new JsonWalk(handler, root);
  feed(bytes, cuts, (chunk) => walk.write(chunk));
  walk.end();
  return root;
}

function feed(bytes: Uint8Array, cuts: readonly number[], write: (chunk: Uint8Array) => void): void {
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    write(bytes.subarray(at, cut));
    at = cut;
  }
}

/** One entry's leaves by raw path, from JSON.parse's value (what the reader must give). */
function referenceLeaves(entry: unknown): Map<string, number> {
  const values = new Map<string, number>();
  const tree = new LeafNames();
  // A scope that is not an object gives nothing (the reader reads numbers inside primaries/total only).
  for (const scope of ['primaries', 'total'])
    forEachLeaf(
      isRecord(entry) && isRecord(entry[scope]) ? entry[scope] : undefined,
      { skipKeys: new Set(['indices', 'shards', 'uuid']) },
      tree.root.child(scope),
      (leaf, value) => values.set(JSON.stringify(leaf.keys), value),
    );
  return values;
}

/** The index stats JSON.parse's value holds, as the reader reads them (0.90: indices inside `_all`). */
export function referenceIndicesStats(value: unknown): {
  all: Map<string, number> | undefined;
  indices: Map<string, Map<string, number>>;
} {
  const body = isRecord(value) ? value : {};
  const all = isRecord(body._all) ? body._all : undefined;
  const perIndex = isRecord(body.indices) ? body.indices : isRecord(all?.indices) ? all.indices : {};
  const indices = new Map<string, Map<string, number>>();
  for (const [name, entry] of Object.entries(perIndex))
    if (isRecord(entry)) indices.set(name, referenceLeaves(entry));
  return { all: all && referenceLeaves(all), indices };
}

/** An entry the reader gave, by raw path (keys JSON-encoded: a key may hold a dot); a leaf twice throws. */
export function readerLeaves(stats: IndexStats): Map<string, number> {
  const values = new Map<string, number>();
  stats.shape.leaves.forEach((leaf, i) => {
    const path = JSON.stringify(leaf.keys);
    if (values.has(path)) throw new Error(`${path} twice`);
    values.set(path, stats.values[i]!);
  });
  return values;
}

/** The reader's answer for `bytes` cut at `cuts`, in the reference's terms; throws if it refuses. */
export function readIndicesStatsTree(
  bytes: Uint8Array,
  cuts: readonly number[],
): ReturnType<typeof referenceIndicesStats> {
  const reader = new IndicesStatsReader();
  feed(bytes, cuts, (chunk) => reader.write(chunk));
  const parsed = reader.end();
  const indices = new Map<string, Map<string, number>>();
  for (const [name, stats] of parsed.indices) indices.set(name, readerLeaves(stats));
  return { all: parsed.all && readerLeaves(parsed.all), indices };
}

/** One differential case: undefined when walker and reader agree with JSON.parse, else what differs. */
export function checkDocument(bytes: Uint8Array, cuts: readonly number[]): string | undefined {
  const reference = parseReference(bytes);
  const outcome = <T>(run: () => T): { value: T } | { refused: unknown } => {
    try {
      return { value: run() };
    } catch (error) {
      return { refused: error };
    }
  };
  const walked = outcome(() => walkTree(bytes, cuts));
  const read = outcome(() => readIndicesStatsTree(bytes, cuts));
  for (const [what, result] of [
    ['walker', walked],
    ['reader', read],
  ] as const) {
    if ('refused' in result) {
      if (!(result.refused instanceof JsonWalkError)) return `${what} threw ${String(result.refused)}`;
      if (reference) return `${what} refused what JSON.parse takes: ${result.refused.message}`;
    } else if (!reference) {
      return `${what} took what JSON.parse refuses`;
    }
  }
  if (!reference || 'refused' in walked || 'refused' in read) return undefined;
  const differs = (a: unknown, b: unknown): boolean => {
    try {
      deepStrictEqual(a, b);
      return false;
    } catch {
      return true;
    }
  };
  if (differs(walked.value, referenceTree(reference.value))) return 'walker numbers differ from JSON.parse';
  if (differs(read.value, referenceIndicesStats(reference.value)))
    return 'reader stats differ from JSON.parse';
  return undefined;
}
