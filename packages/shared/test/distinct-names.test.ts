import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DistinctNames,
  joinSegments,
  LeafNames,
  lowerWordSanitizer,
  MAX_SEGMENT_LENGTH,
  sanitizeSegment,
} from '@stoker/shared';
import { distinct, permutations } from './helpers.js';

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

describe('DistinctNames groups: many samples under one head', () => {
  const collect = (names: DistinctNames, slice = Number.POSITIVE_INFINITY): string[] => {
    const out: string[] = [];
    while (!names.drain((name, value, leaf = Buffer.alloc(0)) => out.push(`${name}${leaf}=${value}`), slice));
    return out;
  };

  test('a group gives the lines emit would give, and one head is one group', () => {
    const paths = [
      ['jvm', 'mem', 'heap_used_in_bytes'],
      ['thread_pool', 'search', 'queue'],
    ];
    const grouped = new DistinctNames();
    const plain = new DistinctNames();
    for (const node of ['data.1', 'data_1', 'ノード']) {
      for (const [i, path] of paths.entries()) {
        const group = grouped.group(['logs', 'nodes', node]);
        group.add(group.root.path(path), i);
        plain.add(['logs', 'nodes', node, ...path], i);
      }
    }
    assert.equal(grouped.group(['logs', 'nodes', 'data.1']).size, 2);
    assert.deepEqual(collect(grouped).sort(), collect(plain).sort());
  });

  test('drained in slices, every sample comes out once, in order, whether added one by one or as runs', () => {
    // Leaves of a tree of raw keys, as a reader makes them before the cycle.
    const raw = new LeafNames();
    const leaves = Array.from({ length: 10 }, (_, i) => raw.root.child(`leaf${i}`));
    const fill = (names: DistinctNames, runs: boolean): DistinctNames => {
      names.add(['a', 'first'], 0);
      const group = names.group(['a', 'g']);
      if (runs) {
        // Singly added, then a run, then singly again (a new own run), then an empty run and one more.
        group.add(leaves[0]!, 0);
        group.addRun(leaves.slice(1, 6), [1, 2, 3, 4, 5]);
        for (let i = 6; i < 9; i++) group.add(leaves[i]!, i);
        group.addRun([], []);
        group.addRun([leaves[9]!], [9]);
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
    const names = new DistinctNames(lowerWordSanitizer);
    const group = names.group(['c', 'n']);
    group.add(group.root.path(['jvm', 'heap']), 1);
    names.add(['c', 'n', 'jvm', 'heap'], 2);
    names.add(['c', 'n', 'JVM', 'heap'], 3);
    const lines = collect(names);
    assert.equal(lines[0], 'c.n.jvm.heap=1');
    assert.equal(lines[1], 'c.n.jvm.heap=2', 'the same raw path is the same series');
    assert.match(lines[2]!, /^c\.n\.jvm_[0-9a-f]{8}\.heap=3$/);
  });

  test("leaves read into another tree are named by the group's sanitiser", () => {
    const raw = new LeafNames();
    const shape = [raw.root.path(['JVM', 'Heap']), raw.root.path(['Thread Pool', 'queue'])];
    const names = new DistinctNames(lowerWordSanitizer);
    names.group(['c', 'n1']).addRun(shape, [1, 2]);
    names.group(['c', 'n2']).addRun(shape, [3, 4]);
    names.group(['c', 'n2']).add(raw.root.path(['JVM', 'Heap']), 5);
    assert.deepEqual(collect(names), [
      'c.n1.jvm.heap=1',
      'c.n1.thread_pool.queue=2',
      'c.n2.jvm.heap=3',
      'c.n2.thread_pool.queue=4',
      'c.n2.jvm.heap=5',
    ]);
  });
});
