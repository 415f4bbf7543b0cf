import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  DistinctNames,
  joinSegments,
  LeafNames,
  LineBatch,
  lowerWordSanitizer,
  MAX_SEGMENT_LENGTH,
  parsePrefix,
  sanitizeSegment,
  tagProblem,
  tagSuffix,
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
  });

  test('prefixes are split on dots and sanitised segment by segment', () => {
    assert.deepEqual(parsePrefix('es.prod'), ['es', 'prod']);
    assert.deepEqual(parsePrefix('a/b.c d'), ['a_b', 'c_d']);
    assert.deepEqual(parsePrefix(''), []);
  });
});

/** The dotted names `DistinctNames` gives these raw paths, in order. */
function distinct(paths: readonly (readonly (string | number)[])[], sanitize = sanitizeSegment): string[] {
  const names = new DistinctNames(sanitize);
  for (const [i, path] of paths.entries()) names.add(path, i);
  const out: string[] = [];
  names.flush((raw, value) => {
    const name = String(raw);
    assert.equal(value, out.length, 'samples come out in the order they went in, with their values');
    for (const segment of name.split('.')) assert.equal(sanitize(segment), segment, 'already sanitised');
    out.push(name);
  });
  return out;
}

/** Every order of a short list. */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('DistinctNames: raw names that sanitise alike never share a series', () => {
  test('names that collide with nothing are exactly what joinSegments makes of them', () => {
    const paths = [
      ['logs', 'nodes', 'es-data-1.example.com', 'jvm', 'heap_used_percent'],
      ['logs', 'nodes', 'es-data-2.example.com', 'jvm', 'heap_used_percent'],
      ['logs', 'indices', '.kibana', 'primaries', 'docs', 'count'],
      ['logs', 'indices', '_all', 'primaries', 'docs', 'count'],
      ['logs', 'nodes', 'es-data-1.example.com', 'fs', 'data', '/var/lib/es', 'available_in_bytes'],
      ['logs', 'nodes', 'zürich', 'thread_pool', 'search', 'queue'],
      ['logs', 'cpu', 'usage_percpu', 3],
      ['logs', '', 'x'.repeat(10_000)],
    ];
    assert.deepEqual(
      distinct(paths),
      paths.map((path) => joinSegments(path)),
    );
  });

  test('data.1 and data_1: the one already safe keeps its name, the other gets a hash of its raw name', () => {
    const names = distinct([
      ['nodes', 'data_1', 'up'],
      ['nodes', 'data.1', 'up'],
    ]);
    assert.equal(names[0], 'nodes.data_1.up');
    assert.match(names[1]!, /^nodes\.data_1_[0-9a-f]{8}\.up$/);
  });

  test('names that are all changed by the sanitiser each get a suffix, and all differ', () => {
    const names = distinct([['ノード'], ['节点点'], ['logs app'], ['logs/app']]);
    assert.equal(new Set(names).size, 4);
    for (const name of names) assert.match(name, /^(___|logs_app)_[0-9a-f]{8}$/);
  });

  test('the same names whatever order they are listed in', () => {
    const raws = ['data.1', 'data_1', 'data/1', 'ノード', '节点点', 'other'];
    const expected = new Map(raws.map((raw, i) => [raw, distinct(raws.map((r) => [r]))[i]!]));
    for (const order of permutations(raws)) {
      const names = distinct(order.map((raw) => [raw]));
      for (const [i, raw] of order.entries())
        assert.equal(names[i], expected.get(raw), `${raw} in ${order.join(' ')}`);
    }
  });

  test("a name's suffix depends on its raw value only, not on what it collides with", () => {
    const [, withUnderscore] = distinct([['data_1'], ['data.1']]);
    const [, withSlash] = distinct([['data/1'], ['data.1']]);
    assert.equal(withUnderscore, withSlash);
  });

  test('only names under the same parent in the same cycle are told apart', () => {
    const names = distinct([
      ['logs', 'nodes', 'data.1', 'jvm', 'heap'],
      ['logs', 'indices', 'data_1', 'docs'],
      ['search', 'nodes', 'data_1', 'jvm', 'heap'],
    ]);
    assert.deepEqual(names, [
      'logs.nodes.data_1.jvm.heap',
      'logs.indices.data_1.docs',
      'search.nodes.data_1.jvm.heap',
    ]);
  });

  test('every series of a renamed node moves together, and nothing below it is touched', () => {
    const names = distinct([
      ['nodes', 'data.1', 'jvm', 'heap'],
      ['nodes', 'data_1', 'jvm', 'heap'],
      ['nodes', 'data.1', 'os', 'cpu'],
      ['nodes', 'data.1', 'thread_pool', 'search', 'queue'],
    ]);
    const node = names[0]!.split('.')[1]!;
    assert.notEqual(node, 'data_1');
    assert.deepEqual(names.slice(2), [`nodes.${node}.os.cpu`, `nodes.${node}.thread_pool.search.queue`]);
  });

  test('a real name that looks like a suffixed one is still told apart', () => {
    const [, suffixed] = distinct([['data_1'], ['data.1']]);
    const names = distinct([['data_1'], ['data.1'], [suffixed!]]);
    assert.equal(new Set(names).size, 3);
    assert.equal(names[2], suffixed, 'the name that is already safe keeps it');
  });

  test('long names stay within the segment limit when told apart', () => {
    const long = 'x'.repeat(MAX_SEGMENT_LENGTH);
    const names = distinct([
      [long],
      [`${'x'.repeat(MAX_SEGMENT_LENGTH - 1)}.`],
      [`${'x'.repeat(MAX_SEGMENT_LENGTH - 1)}/`],
    ]);
    assert.equal(new Set(names).size, 3);
    for (const name of names) assert.ok(name.length <= MAX_SEGMENT_LENGTH);
    assert.equal(names[0], long);
  });

  test('with the es2graphite sanitiser, names that only differ in case are told apart too', () => {
    const names = distinct([['Data-1'], ['data_1'], ['DATA.1']], lowerWordSanitizer);
    assert.equal(names[1], 'data_1');
    assert.equal(new Set(names).size, 3);
    for (const name of names) assert.match(name, /^data_1(_[0-9a-f]{8})?$/);
  });

  test('random names: one series per distinct raw path; a segment changes only where a sibling sanitises alike', () => {
    const alphabet = ['a', 'b', '.', '_', '/', ' ', 'ü', '-'];
    const pick = (n: number) =>
      Array.from({ length: n }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
    const paths = Array.from({ length: 3000 }, () => [pick(1), pick(1 + Math.floor(Math.random() * 3)), 'v']);
    const names = distinct(paths);
    const byRaw = new Map<string, string>();
    paths.forEach((path, i) => {
      const key = JSON.stringify(path);
      const before = byRaw.get(key);
      if (before !== undefined) assert.equal(names[i], before, 'one raw path, one name');
      byRaw.set(key, names[i]!);
    });
    assert.equal(new Set(byRaw.values()).size, byRaw.size, 'distinct raw paths, distinct names');
    // Raw siblings (same raw parent) by their sanitised form.
    const siblings = new Map<string, Set<string>>();
    for (const path of paths)
      path.forEach((raw, depth) => {
        const key = JSON.stringify([path.slice(0, depth), sanitizeSegment(raw)]);
        siblings.set(key, (siblings.get(key) ?? new Set()).add(raw));
      });
    paths.forEach((path, i) => {
      const segments = names[i]!.split('.');
      path.forEach((raw, depth) => {
        const safe = sanitizeSegment(raw);
        const alike = siblings.get(JSON.stringify([path.slice(0, depth), safe]))!;
        if (alike.size === 1 || raw === safe) assert.equal(segments[depth], safe);
        else assert.match(segments[depth]!, new RegExp(`^${safe}_[0-9a-f]{8}$`));
      });
    });
  });
});

describe('LeafNames: leaf paths named once for the life of the process', () => {
  test('a path is named as joinSegments names it, and the same path is the same object', () => {
    const tree = new LeafNames();
    const leaf = tree.path(['fs', 'data', '/var/lib/es', 'available_in_bytes']);
    assert.equal(leaf.dotted, joinSegments(['fs', 'data', '/var/lib/es', 'available_in_bytes']));
    assert.equal(leaf.rawPath, 'fs.data./var/lib/es.available_in_bytes');
    assert.deepEqual(leaf.keys, ['fs', 'data', '/var/lib/es', 'available_in_bytes']);
    assert.equal(tree.root.child('fs').child('data').child('/var/lib/es').child('available_in_bytes'), leaf);
  });

  test('look-alike sibling keys are told apart as DistinctNames does, whatever order they came in', () => {
    const raws = ['data.1', 'data_1', 'data/1', 'other'];
    const expected = distinct(raws.map((raw) => [raw]));
    for (const order of permutations(raws)) {
      const tree = new LeafNames();
      for (const raw of order) tree.path(['fs', raw, 'free']);
      for (const [i, raw] of raws.entries())
        assert.equal(tree.path(['fs', raw, 'free']).dotted, `fs.${expected[i]}.free`, order.join(' '));
    }
  });

  test('a key renamed when its look-alike appears takes everything below it along', () => {
    const tree = new LeafNames();
    const below = tree.path(['pools', 'data.1', 'queue', 'size']);
    assert.equal(below.dotted, 'pools.data_1.queue.size');
    tree.path(['pools', 'data_1']);
    assert.match(below.dotted, /^pools\.data_1_[0-9a-f]{8}\.queue\.size$/);
    assert.equal(tree.path(['pools', 'data_1']).dotted, 'pools.data_1');
  });

  test('keys that never repeat do not grow the tree past its bound', () => {
    const tree = new LeafNames(sanitizeSegment, 1000);
    for (let i = 0; i < 10_000; i++) assert.equal(tree.path(['k', `key-${i}`]).dotted, `k.key-${i}`);
    assert.ok(tree.size <= 1000, `${tree.size} names kept`);
  });
});

describe('DistinctNames groups: many samples under one head', () => {
  const collect = (names: DistinctNames, slice = Number.POSITIVE_INFINITY): string[] => {
    const out: string[] = [];
    while (!names.drain((name, value, leaf = Buffer.alloc(0)) => out.push(`${name}${leaf}=${value}`), slice));
    return out;
  };

  test('a group gives the lines emit would give, and one head is one group', () => {
    const tree = new LeafNames();
    const paths = [
      ['jvm', 'mem', 'heap_used_in_bytes'],
      ['thread_pool', 'search', 'queue'],
    ];
    const grouped = new DistinctNames();
    const plain = new DistinctNames();
    for (const node of ['data.1', 'data_1', 'ノード']) {
      for (const [i, path] of paths.entries()) {
        grouped.group(['logs', 'nodes', node], tree).add(tree.path(path), i);
        plain.add(['logs', 'nodes', node, ...path], i);
      }
    }
    assert.equal(grouped.group(['logs', 'nodes', 'data.1'], tree).size, 2);
    assert.deepEqual(collect(grouped).sort(), collect(plain).sort());
  });

  test('drained in slices, every sample comes out once, in order, whether added one by one or as runs', () => {
    const tree = new LeafNames();
    const leaves = Array.from({ length: 10 }, (_, i) => tree.path([`leaf${i}`]));
    const fill = (names: DistinctNames, runs: boolean): DistinctNames => {
      names.add(['a', 'first'], 0);
      const group = names.group(['a', 'g'], tree);
      if (runs) {
        // Singly added, then a run, then singly again (a new own run), then an empty run and one more.
        group.add(leaves[0]!, 0);
        group.addRun({ leaves: leaves.slice(1, 6), values: [1, 2, 3, 4, 5] });
        for (let i = 6; i < 9; i++) group.add(leaves[i]!, i);
        group.addRun({ leaves: [], values: [] });
        group.addRun({ leaves: [leaves[9]!], values: [9] });
      } else {
        for (let i = 0; i < 10; i++) group.add(leaves[i]!, i);
      }
      names.add(['a', 'last'], 1);
      return names;
    };
    const whole = collect(fill(new DistinctNames(), false));
    assert.equal(whole.length, 12);
    assert.equal(whole[1], 'a.g.leaf0=0');
    assert.equal(whole[10], 'a.g.leaf9=9');
    for (const runs of [false, true]) {
      for (const slice of [1, 3, 5, 7, 100]) {
        const again = fill(new DistinctNames(), runs);
        assert.deepEqual(collect(again, slice), whole, `slices of ${slice}${runs ? ', runs' : ''}`);
      }
    }
  });

  test('a path emitted beside a group that only looks like one of its leaves is told apart', () => {
    // es2graphite's sanitiser lower-cases: `JVM` looks like the group's `jvm`.
    const tree = new LeafNames(lowerWordSanitizer);
    const names = new DistinctNames(lowerWordSanitizer);
    names.group(['c', 'n'], tree).add(tree.path(['jvm', 'heap']), 1);
    names.add(['c', 'n', 'jvm', 'heap'], 2);
    names.add(['c', 'n', 'JVM', 'heap'], 3);
    const lines = collect(names);
    assert.equal(lines[0], 'c.n.jvm.heap=1');
    assert.equal(lines[1], 'c.n.jvm.heap=2', 'the same raw path is the same series');
    assert.match(lines[2]!, /^c\.n\.jvm_[0-9a-f]{8}\.heap=3$/);
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

describe('tags', () => {
  test('valid tags render sorted as a suffix', () => {
    assert.equal(tagSuffix({ dc: 'eu1', app: 'es' }), ';app=es;dc=eu1');
  });

  test('invalid tags are refused with the reason', () => {
    assert.match(tagProblem('a;b', 'x') ?? '', /tag name/);
    assert.match(tagProblem('a!b', 'x') ?? '', /tag name/);
    assert.match(tagProblem('a^b', 'x') ?? '', /tag name/);
    assert.match(tagProblem('a=b', 'x') ?? '', /tag name/);
    assert.match(tagProblem('', 'x') ?? '', /tag name/);
    assert.match(tagProblem('a', '') ?? '', /tag value/);
    assert.match(tagProblem('a', 'x;y') ?? '', /tag value/);
    assert.match(tagProblem('a', '~x') ?? '', /tag value/);
    assert.match(tagProblem('a', 'two words') ?? '', /tag value/);
    assert.equal(tagProblem('a', 'x~y=z'), undefined);
    assert.throws(() => tagSuffix({ 'a;': 'b' }), /tag name/);
  });

  test('tagged lines carry the suffix between name and value', () => {
    const batch = new LineBatch({ prefix: ['es'], timestampSec: 10, tagSuffix: tagSuffix({ dc: 'eu1' }) });
    batch.add(['up'], 1);
    assert.deepEqual(batch.lines, ['es.up;dc=eu1 1 10\n']);
  });
});
