import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type CatEndpoint, synthesizeCat } from '../../../../test/harness/es-cat.js';
import { sharedSkip } from '../../../../test/harness/fixtures.js';
import type { EsApi } from '../../src/collectors/api.js';
import { catAllocation } from '../../src/collectors/cat-allocation.js';
import { catNodes } from '../../src/collectors/cat-nodes.js';
import { pythonNumber } from '../../src/collectors/cat-rows.js';
import { catThreadPool } from '../../src/collectors/cat-thread-pool.js';
import type { EsVersion } from '../../src/collectors/root.js';
import { NAMING_SCHEMES } from '../../src/naming/index.js';
import { byName, fixtureFiles, mapContext, namedLines, readFixture } from '../helpers.js';

const es2graphite = mapContext({ naming: 'es2graphite' }).options;
const version = (major: number): EsVersion => ({
  number: `${major}.0.0`,
  major,
  minor: 0,
  distribution: 'elasticsearch',
});

/** What es-collector would send from one `_cat` API, as the stand-in answers it for these node stats. */
function catLines(api: EsApi, nodes: unknown, major: number): Map<string, number> {
  const path = api.path(version(major), es2graphite)!;
  const rows = synthesizeCat(
    api.name as CatEndpoint,
    new URL(path, 'http://es').searchParams,
    major,
    nodes,
    {},
  );
  const { samples } = api.map(rows, mapContext({ naming: 'es2graphite' }));
  return byName(namedLines(NAMING_SCHEMES.es2graphite, 'c', samples, 1).lines);
}

interface Node {
  name: string;
  jvm: { mem: { heap_used_percent: number; heap_max_in_bytes: number } };
  fs?: { total?: { total_in_bytes?: number; available_in_bytes?: number } };
  thread_pool: Record<string, { queue: number }>;
  host?: string;
}

const lowerWord = NAMING_SCHEMES.es2graphite.sanitize!;

describe('_cat APIs (es2graphite scheme)', () => {
  test('asked under --naming es2graphite only, and never before ES 1.0 (no _cat there)', () => {
    for (const api of [catAllocation, catNodes, catThreadPool]) {
      assert.match(api.path(version(7), es2graphite)!, /^\/_cat\/[a-z_]+\?format=json/);
      assert.equal(api.path(version(0), es2graphite), undefined);
      for (const naming of ['default', 'es2graphite-2013'] as const)
        assert.equal(api.path(version(7), mapContext({ naming }).options), undefined, naming);
    }
    assert.equal(
      catNodes.path(version(1), es2graphite),
      '/_cat/nodes?format=json&bytes=b&h=heapPercent,heapMax,ramPercent,ramMax,load,name',
    );
  });

  test('every recorded node stats (ES ≥ 1.0): the figures agree with node stats, per version', {
    skip: sharedSkip(),
  }, () => {
    const files = fixtureFiles(/^nodes_stats\.json$/).filter((file) => !file.includes('opensearch'));
    assert.ok(files.length >= 10, `${files.length} recordings`);
    for (const file of files) {
      const body = readFixture(file) as { nodes: Record<string, Node> };
      const major = Number(/\/(\d+)\.\d+/.exec(`/${file}`)?.[1] ?? 1);
      const memory = catLines(catNodes, body, major);
      const disk = catLines(catAllocation, body, major);
      const pools = catLines(catThreadPool, body, major);
      for (const node of Object.values(body.nodes)) {
        const at = `es.c.${lowerWord(node.name)}`;
        assert.equal(memory.get(`${at}.memory.heappercent`), node.jvm.mem.heap_used_percent, file);
        assert.equal(memory.get(`${at}.memory.heapmax`), node.jvm.mem.heap_max_in_bytes, file);
        // `_cat/allocation` lists data nodes only.
        const total = node.fs?.total?.total_in_bytes;
        if (total !== undefined && disk.has(`${at}.disk.disk_total`)) {
          assert.equal(disk.get(`${at}.disk.disk_total`), total, file);
          assert.equal(
            disk.get(`${at}.disk.disk_used`),
            total - node.fs!.total!.available_in_bytes!,
            `${file}: used = total - available`,
          );
        }
        // ES 5.0 renamed `load` and rewrote `_cat/thread_pool`: es2graphite's columns are gone.
        if (major >= 5) assert.equal(memory.get(`${at}.os.load`), undefined, file);
        if (major < 5 && node.host && node.thread_pool.bulk)
          assert.equal(
            pools.get(`es.c.${lowerWord(node.host)}.thread_pool.bulk_queue`),
            node.thread_pool.bulk.queue,
            file,
          );
      }
      assert.ok(
        [...disk.keys()].some((name) => name.endsWith('.disk.disk_total')),
        `${file}: disk`,
      );
      if (major >= 5) assert.equal(pools.size, 0, `${file}: no thread pool figure from 5.x`);
      else assert.ok(pools.size > 0, `${file}: thread pools by host`);
    }
  });

  test("cells as es2graphite read them: Python's int() or float(), else nothing", () => {
    assert.equal(pythonNumber('12'), 12);
    assert.equal(pythonNumber(' 1.50 '), 1.5);
    assert.equal(pythonNumber('1e3'), 1000);
    assert.equal(pythonNumber('-3'), -3);
    assert.equal(pythonNumber(true), 1);
    for (const none of ['2.6kb', '', 'null', null, undefined, '1.2.3'])
      assert.equal(pythonNumber(none), undefined, String(none));
  });

  test('the row name, host and ip are not sent; two rows with one name get distinct series', () => {
    const rows = [
      { shards: '3', 'disk.used': '10', host: 'h1', ip: '10.0.0.1', node: 'Data 1' },
      { shards: '4', 'disk.used': '20', host: 'h2', ip: '10.0.0.2', node: 'Data 1' },
      { shards: '5', node: 'UNASSIGNED', host: null, ip: null, 'disk.used': null },
    ];
    const { samples } = catAllocation.map(rows, mapContext({ naming: 'es2graphite' }));
    assert.deepEqual(namedLines(NAMING_SCHEMES.es2graphite, 'c', samples, 1).lines.sort(), [
      'es.c.data_1.disk.disk_used 10 1\n',
      'es.c.data_1.disk.shards 3 1\n',
      'es.c.data_1_2.disk.disk_used 20 1\n',
      'es.c.data_1_2.disk.shards 4 1\n',
      'es.c.unassigned.disk.shards 5 1\n',
    ]);
    assert.throws(() => catAllocation.map({ error: 'x' }, mapContext()), /expected a JSON array of rows/);
  });
});
