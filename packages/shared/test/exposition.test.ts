import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Exposition,
  escapeLabelValue,
  type Family,
  negotiateFormat,
  ScrapeSource,
  SeriesScope,
} from '@stoker/shared';

const GAUGE: Family = { name: 'x_bytes', type: 'gauge', help: 'a "gauge"\nwith \\ help' };
const COUNTER: Family = { name: 'x_events_total', type: 'counter', help: 'events' };
const PEER_COUNTER: Family = { name: 'x_rejected_count', type: 'counter', help: 'a peer name' };

describe('Exposition', () => {
  test('label values: backslash, quote and newline escaped, unicode kept', () => {
    assert.equal(escapeLabelValue('a\\b"c\nd ü🔥'), 'a\\\\b\\"c\\nd ü🔥');
    const out = new Exposition();
    out.add(GAUGE, [['node', 'n"1\n']], 5);
    assert.equal(out.render('text').split('\n')[2], 'x_bytes{node="n\\"1\\n"} 5');
  });

  test('text 0.0.4: HELP escapes backslash and newline; a family once, its samples together', () => {
    const out = new Exposition();
    out.add(GAUGE, [['a', '1']], 1);
    out.add(COUNTER, [], 7);
    out.add(GAUGE, [['a', '2']], 2);
    assert.equal(
      out.render('text'),
      '# HELP x_bytes a "gauge"\\nwith \\\\ help\n# TYPE x_bytes gauge\nx_bytes{a="1"} 1\nx_bytes{a="2"} 2\n' +
        '# HELP x_events_total events\n# TYPE x_events_total counter\nx_events_total 7\n',
    );
  });

  test('OpenMetrics: counter family without _total, a peer counter without it as unknown, # EOF', () => {
    const out = new Exposition();
    out.add(COUNTER, [], 7);
    out.add(PEER_COUNTER, [], 3);
    assert.equal(
      out.render('openmetrics'),
      '# HELP x_events events\n# TYPE x_events counter\nx_events_total 7\n' +
        '# HELP x_rejected_count a peer name\n# TYPE x_rejected_count unknown\nx_rejected_count 3\n# EOF\n',
    );
  });

  test('a repeated series and non-finite values are left out; a summary gets _sum and _count', () => {
    const out = new Exposition();
    const summary: Family = { name: 'gc_seconds', type: 'summary', help: 'gc' };
    out.add(GAUGE, [['a', '1']], 1);
    out.add(GAUGE, [['a', '1']], 9);
    out.add(GAUGE, [['a', '2']], Number.NaN);
    out.add(summary, [], 1.5, '_sum');
    out.add(summary, [], 3, '_count');
    assert.equal(out.sampleCount, 3);
    assert.match(
      out.render('text'),
      /x_bytes\{a="1"\} 1\n# HELP gc_seconds gc\n# TYPE gc_seconds summary\ngc_seconds_sum 1.5\ngc_seconds_count 3\n$/,
    );
  });

  test('entities of a scope: each series once, whatever repeats; other writers of a family refused', () => {
    const nodes = new SeriesScope('nodes');
    const heap = nodes.leaf('jvm.mem.heap', GAUGE, 'area="heap"');
    assert.ok(heap);
    assert.equal(
      nodes.leaf('jvm-mem.heap', GAUGE, 'area="heap"'),
      undefined,
      'another leaf, the same series',
    );
    assert.ok(nodes.leaf('jvm.mem.heap', GAUGE, 'area="heap"'), 'the same leaf again (a leaf tree afresh)');
    const out = new Exposition();
    for (const node of ['n1', 'n2', 'n1']) {
      const entity = out.claimEntity(nodes, `node="${node}"`);
      if (entity !== undefined) out.addLeaf(heap, entity, node === 'n1' ? 1 : 2);
    }
    out.add(GAUGE, [['node', 'n3']], 3); // the family belongs to the scope
    const indices = new SeriesScope('indices');
    const other = indices.leaf('x', GAUGE, '');
    assert.ok(other);
    const n1 = out.claimEntity(indices, 'node="n1"');
    assert.notEqual(n1, undefined, 'entities are unique per scope');
    const cluster = new SeriesScope('cluster');
    const total = cluster.leaf('x', COUNTER, 'kind="all"');
    const unlabelled = out.claimEntity(cluster, '');
    assert.ok(total && unlabelled !== undefined);
    out.addLeaf(total, unlabelled, 4); // an entity with no labels of its own
    out.addLeaf(other, n1!, 9);
    assert.equal(out.sampleCount, 3);
    assert.match(out.render('text'), /\nx_events_total\{kind="all"\} 4\n/);
    assert.match(
      out.render('text'),
      /\nx_bytes\{node="n1",area="heap"\} 1\nx_bytes\{node="n2",area="heap"\} 2\n/,
    );
  });

  test('OpenMetrics only when Accept asks for it', () => {
    assert.equal(
      negotiateFormat('application/openmetrics-text;version=1.0.0,text/plain;q=0.5'),
      'openmetrics',
    );
    assert.equal(negotiateFormat('text/plain;version=0.0.4;q=1,*/*;q=0.1'), 'text');
    assert.equal(negotiateFormat(undefined), 'text');
  });
});

describe('ScrapeSource', () => {
  test('renders once per published cycle, and gives the event loop back during a long render', async () => {
    let renders = 0;
    const source = new ScrapeSource(() => {});
    source.publish('job', function* (out) {
      renders++;
      for (let part = 0; part < 3; part++) {
        const until = performance.now() + 10; // a big node's worth of work
        while (performance.now() < until);
        out.add(GAUGE, [['part', String(part)]], part);
        yield;
      }
    });
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const text = Buffer.concat(await source.scrape('text')).toString();
    clearInterval(ticker);
    assert.ok(turns > 0, 'timers ran while the render was under way');
    assert.match(text, /x_bytes\{part="2"\} 2/);
    assert.equal(
      Buffer.concat(await source.scrape('openmetrics'))
        .toString()
        .endsWith('# EOF\n'),
      true,
    );
    assert.equal(renders, 1, 'a second scrape of the same cycle is served from the cache');
    source.publish('job', () => undefined);
    assert.doesNotMatch(
      Buffer.concat(await source.scrape('text')).toString(),
      /x_bytes/,
      "a new cycle's samples replace the old",
    );
  });
});
