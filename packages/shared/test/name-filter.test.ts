import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ANY_SEGMENT,
  DistinctNames,
  LeafNames,
  NameFilter,
  sanitizeSegment,
  splitGlobs,
  UnknownSegment,
} from '@stoker/shared';

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

describe('NameFilter: whether anything below a name can be sent', () => {
  /** Whether some name below `es` + `segments` (`?` an unknown segment, `?!_all` any but `_all`) can be sent. */
  const below = (budget: NameFilter, dotted: string) =>
    budget.sendsBelow(
      dotted
        .split('.')
        .map((each) =>
          each === '?' ? ANY_SEGMENT : each.startsWith('?!') ? new UnknownSegment([each.slice(2)]) : each,
        ),
      sanitizeSegment,
    );
  const budget = (include: string[], exclude: string[] = []) => filter(include, exclude, ['es']);

  test('an exclude ending in `**` kills what is below it; one without `**` only its own name', () => {
    const noIndices = budget([], ['es.*.indices.**']);
    assert.equal(below(noIndices, 'logs.indices'), false);
    assert.equal(below(noIndices, 'logs.indices.?'), false);
    assert.equal(below(noIndices, 'logs.nodes'), true);
    assert.equal(below(noIndices, 'logs'), true);
    const oneName = budget([], ['es.*.indices']);
    assert.equal(below(oneName, 'logs.indices'), true);
    assert.equal(below(oneName, 'logs.indices.?'), true);
    const deep = budget([], ['es.**.jvm.**']);
    assert.equal(below(deep, 'logs.nodes.n1.jvm'), false);
    assert.equal(below(deep, 'logs.nodes.n1'), true);
  });

  test('includes: dead where none can match any more, `*`, `**`, braces and classes alike', () => {
    const some = budget([
      'es.*.cluster.health.*',
      'es.*.nodes.*.{jvm.mem,os}.*',
      'es.[lm]ogs.indices.*.docs.count',
      'es.**.heap_used_percent',
    ]);
    assert.equal(below(some, 'logs.cluster'), true);
    assert.equal(below(some, 'logs.cluster.health'), true);
    assert.equal(below(some, 'logs.nodes.n1.jvm.mem'), true);
    // Only through `**.heap_used_percent`: `jvm.gc` itself can still lead there.
    assert.equal(below(some, 'logs.nodes.n1.jvm.gc'), true);
    const exact = budget([
      'es.*.cluster.health.*',
      'es.*.nodes.*.{jvm.mem,os}.*',
      'es.[lm]ogs.indices.*.docs.count',
    ]);
    assert.equal(below(exact, 'logs.nodes.n1.jvm.gc'), false);
    assert.equal(below(exact, 'logs.nodes.n1.http'), false);
    assert.equal(below(exact, 'logs.cluster.stats'), false);
    assert.equal(below(exact, 'logs.indices.?'), true);
    assert.equal(below(exact, 'mogs.indices.?'), true);
    assert.equal(below(exact, 'other.indices.?'), false);
    assert.equal(below(exact, 'logs.indices.?.docs.deleted'), false);
  });

  test('an unknown segment: alive while an include may match it, dead only where an exclude must', () => {
    const onlyAll = budget(['es.*.indices._all.docs.count', 'es.*.nodes.*.os.*']);
    assert.equal(below(onlyAll, 'logs.indices.?'), true);
    assert.equal(below(onlyAll, 'logs.indices._all'), true);
    // Any index but `_all`: the literal `_all` cannot match it.
    assert.equal(below(onlyAll, 'logs.indices.?!_all'), false);
    assert.equal(below(onlyAll, 'logs.nodes.?'), true);
    assert.equal(below(onlyAll, 'logs.nodes.?.jvm'), false);
    assert.equal(below(budget(['es.*.indices.{_all,logs-*}.**']), 'logs.indices.?!_all'), true);
    // An exclude naming one index does not cover every index.
    assert.equal(below(budget([], ['es.*.indices.logs.**']), 'c.indices.?'), true);
    assert.equal(below(budget([], ['es.*.indices.*.**']), 'c.indices.?'), false);
    // An exclude starting below an unknown segment: whatever it is, it is covered.
    assert.equal(below(budget([], ['es.*.*.*.jvm.**']), 'c.nodes.?.jvm'), false);
  });

  test('an exclude wins over an include; the name itself counts as below it', () => {
    const both = budget(['es.**'], ['es.*.indices.**', 'es.*.cluster.stats']);
    assert.equal(below(both, 'logs.indices.?'), false);
    assert.equal(below(both, 'logs.cluster'), true);
    assert.equal(below(both, 'logs.cluster.stats'), true);
    assert.equal(below(budget(['es.a.b'], []), 'a.b'), true);
    assert.equal(below(budget(['es.a.b'], []), 'a.b.c'), false);
    assert.equal(below(new NameFilter({ include: [], exclude: ['**'], prefix: ['es'] }), 'a'), false);
  });
});

describe('NameFilter: "nothing below can be sent" is never wrong (random globs and names)', () => {
  test('no name below a dead prefix is kept, whatever the unknown segments turn out to be', () => {
    let seed = 18;
    // xorshift32: reproducible, and no weak low bits.
    const random = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const pick = <T>(items: readonly T[]): T => items[random(items.length)]!;
    const words = ['a', 'b', 'ab', '_all'];
    const globSegments = [...words, '*', '**', '?', 'a*', '[ab]', '{a,b}', '{a.b,_all}'];
    const glob = () => Array.from({ length: 1 + random(4) }, () => pick(globSegments)).join('.');
    for (let round = 0; round < 300; round++) {
      const include = Array.from({ length: random(3) }, glob);
      const exclude = Array.from({ length: random(3) }, glob);
      const budget = new NameFilter({ include, exclude, prefix: [] });
      for (let n = 0; n < 30; n++) {
        const name = Array.from({ length: 1 + random(5) }, () => pick(words));
        if (!budget.keeps(name.join('.'))) continue;
        for (let cut = 0; cut <= name.length; cut++) {
          const prefix = name
            .slice(0, cut)
            .map((each) =>
              random(3) === 0
                ? ANY_SEGMENT
                : random(4) === 0
                  ? new UnknownSegment([each === 'a' ? 'b' : 'a'])
                  : each,
            );
          assert.ok(
            budget.sendsBelow(prefix, sanitizeSegment),
            `${name.join('.')} is kept, yet nothing below ${cut} of its segments was said to be: include ${include}, exclude ${exclude}`,
          );
        }
      }
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
