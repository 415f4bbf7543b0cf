import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DistinctNames, LeafNames, NameFilter, splitGlobs } from '@stoker/shared';

const filter = (include: string[], exclude: string[] = [], prefix: string[] = []) =>
  new NameFilter({ include, exclude, prefix });

describe('NameFilter: Graphite globs on final names', () => {
  test('`*` stays within a segment, `**` spans any number of them (none too)', () => {
    const star = filter(['es.*.cluster.health.status']);
    assert.equal(star.keeps('es.logs.cluster.health.status'), true);
    assert.equal(star.keeps('es.logs.x.cluster.health.status'), false);
    assert.equal(star.keeps('es.logs.cluster.health.status.more'), false);
    const any = filter(['es.**.heap_used_percent']);
    assert.equal(any.keeps('es.heap_used_percent'), true);
    assert.equal(any.keeps('es.logs.nodes.n1.derived.heap_used_percent'), true);
    assert.equal(any.keeps('es.logs.nodes.n1.derived.heap_used_percent.max'), false);
  });

  test('braces hold alternatives, dotted ones too; ? and [..] match as in Graphite', () => {
    const braces = filter(['es.*.indices.{docs.count,store.size_in_bytes}', 'x.node-?.[ab]c']);
    assert.equal(braces.keeps('es.l.indices.docs.count'), true);
    assert.equal(braces.keeps('es.l.indices.store.size_in_bytes'), true);
    assert.equal(braces.keeps('es.l.indices.docs.deleted'), false);
    assert.equal(braces.keeps('x.node-1.bc'), true);
    assert.equal(braces.keeps('x.node-12.bc'), false);
    assert.equal(braces.keeps('x.node-1.cc'), false);
  });

  test('no include keeps everything; an exclude wins over any include', () => {
    const onlyExclude = filter([], ['es.*.nodes.*.jvm.**']);
    assert.equal(onlyExclude.keeps('es.l.nodes.n1.os.cpu.percent'), true);
    assert.equal(onlyExclude.keeps('es.l.nodes.n1.jvm.mem.heap_used_in_bytes'), false);
    const both = filter(['es.**'], ['es.*.indices.**']);
    assert.equal(both.keeps('es.l.cluster.health.status'), true);
    assert.equal(both.keeps('es.l.indices.logs-1.docs.count'), false);
  });

  test('globs from a list: commas inside braces belong to the glob; bad globs are refused', () => {
    assert.deepEqual(splitGlobs('a.{b,c}.d,e.*'), ['a.{b,c}.d', 'e.*']);
    assert.deepEqual(splitGlobs(['a.{b,c}', 'f']), ['a.{b,c}', 'f']);
    for (const bad of ['a.{b', 'a.}b', 'a..b', '.a', 'a.', '']) {
      const parsed = splitGlobs(bad);
      assert.ok(!Array.isArray(parsed), `${JSON.stringify(bad)} accepted`);
    }
  });
});

describe('DistinctNames with a budget: left-out samples are never handed on', () => {
  function named(include: string[], exclude: string[]): string[] {
    const leafNames = new LeafNames();
    const names = new DistinctNames(undefined, leafNames, filter(include, exclude, ['es']));
    names.add(['logs', 'cluster', 'health', 'status'], 0);
    names.add(['logs', 'collector', 'up'], 1);
    for (const node of ['n1', 'n2']) {
      const group = names.group(['logs', 'nodes', node]);
      group.add(group.root.path(['jvm', 'mem', 'heap_used_in_bytes']), 1);
      group.add(group.root.path(['jvm', 'gc', 'young', 'count']), 2);
      group.add(group.root.path(['os', 'cpu', 'percent']), 3);
    }
    const out: string[] = [];
    names.flush((name, _value, leaf) => out.push(`es.${name}${leaf ? leaf.toString('latin1') : ''}`));
    return out;
  }

  test('lone samples and leaves of groups are both filtered by their full name', () => {
    assert.deepEqual(named(['es.*.cluster.**', 'es.*.nodes.*.jvm.mem.*'], []), [
      'es.logs.cluster.health.status',
      'es.logs.nodes.n1.jvm.mem.heap_used_in_bytes',
      'es.logs.nodes.n2.jvm.mem.heap_used_in_bytes',
    ]);
    assert.deepEqual(named([], ['es.logs.nodes.n2.**', 'es.*.*.*.jvm.gc.**', 'es.*.collector.up']), [
      'es.logs.cluster.health.status',
      'es.logs.nodes.n1.jvm.mem.heap_used_in_bytes',
      'es.logs.nodes.n1.os.cpu.percent',
    ]);
  });
});
