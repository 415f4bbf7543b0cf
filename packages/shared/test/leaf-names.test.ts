import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { joinSegments, LeafNames, sanitizeSegment } from '@stoker/shared';
import { distinct, permutations } from './helpers.js';

describe('LeafNames: leaf paths named once for the life of the process', () => {
  test('a path is named as joinSegments names it, and the same path is the same object', () => {
    const tree = new LeafNames();
    const leaf = tree.root.path(['fs', 'data', '/var/lib/es', 'available_in_bytes']);
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
      for (const raw of order) tree.root.path(['fs', raw, 'free']);
      for (const [i, raw] of raws.entries())
        assert.equal(tree.root.path(['fs', raw, 'free']).dotted, `fs.${expected[i]}.free`, order.join(' '));
    }
  });

  test('a key renamed when its look-alike appears takes everything below it along', () => {
    const tree = new LeafNames();
    const below = tree.root.path(['pools', 'data.1', 'queue', 'size']);
    assert.equal(below.dotted, 'pools.data_1.queue.size');
    tree.root.path(['pools', 'data_1']);
    assert.match(below.dotted, /^pools\.data_1_[0-9a-f]{8}\.queue\.size$/);
    assert.equal(tree.root.path(['pools', 'data_1']).dotted, 'pools.data_1');
  });

  test('keys that never repeat do not grow the tree past its bound', () => {
    const tree = new LeafNames(sanitizeSegment, 1000);
    for (let i = 0; i < 10_000; i++) assert.equal(tree.root.path(['k', `key-${i}`]).dotted, `k.key-${i}`);
    assert.ok(tree.size <= 1000, `${tree.size} names kept`);
  });

  test("another tree's leaves are found here once per list, across cycles", () => {
    const raw = new LeafNames();
    const shape = [raw.root.path(['docs', 'count']), raw.root.path(['store', 'size_in_bytes'])];
    const tree = new LeafNames();
    const own = tree.translate(shape);
    assert.deepEqual(
      own.map((leaf) => leaf.tree === tree && leaf.dotted),
      ['docs.count', 'store.size_in_bytes'],
    );
    assert.equal(tree.translate(shape), own, 'the same list is not looked up again');
    assert.equal(tree.translate(own), own, "the tree's own leaves are taken as they are");
  });
});
