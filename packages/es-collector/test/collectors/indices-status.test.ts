import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { indicesStatus } from '../../src/collectors/indices-status.js';
import { type EsVersion, parseVersion } from '../../src/collectors/root.js';
import { NAMING_SCHEMES } from '../../src/naming/index.js';
import type { NamingSchemeName } from '../../src/naming/scheme.js';
import { schemeDefaults } from '../../src/targets.js';
import { byName, mapContext, namedLines } from '../helpers.js';

/** The scheme's own defaults: every index, no rollup, no cap. */
const context2013 = () =>
  mapContext({
    naming: 'es2graphite-2013',
    indices: { include: [], exclude: [], ...schemeDefaults('es2graphite-2013') },
  });
const scheme2013 = context2013().options;
const es = (number: string): EsVersion => parseVersion(number);

/**
 * One index of a `_status` answer in ES 1.x's shape, with what es2graphite 2013 treated specially:
 * a shard group with a primary (STARTED) and a replica still recovering (INITIALIZING routing,
 * POST_RECOVERY state: es2graphite had codes for neither), a copy on a node the node stats do not
 * list, an unassigned copy (no node), a list of numbers, and a `timestamp`.
 */
const STATUS = {
  _shards: { total: 4, successful: 3, failed: 0 },
  indices: {
    'Logs-2014.01.01': {
      index: { primary_size_in_bytes: 100, size_in_bytes: 250 },
      translog: { operations: 7 },
      docs: { num_docs: 10, max_doc: 12, deleted_docs: 2 },
      refresh: { total: 3, total_time_in_millis: 40 },
      shards: {
        '0': [
          {
            routing: {
              state: 'STARTED',
              primary: true,
              node: 'id-a',
              relocating_node: null,
              shard: 0,
              index: 'Logs-2014.01.01',
            },
            state: 'STARTED',
            index: { size_in_bytes: 100 },
            translog: { id: 1390777285888, operations: 7 },
            docs: { num_docs: 10, max_doc: 12, deleted_docs: 2 },
          },
          {
            routing: { state: 'INITIALIZING', primary: false, node: 'id-b', relocating_node: null, shard: 0 },
            state: 'POST_RECOVERY',
            index: { size_in_bytes: 150 },
          },
          { routing: { state: 'RELOCATING', primary: false, node: 'id-gone', shard: 0 }, state: 'RELOCATED' },
          { routing: { state: 'UNASSIGNED', primary: false, node: null, shard: 0 }, state: 'CREATED' },
        ],
      },
      samples: [4, 5],
      timestamp: 1_400_000_000_000,
    },
  },
};

function lines(body: unknown, context = context2013()): Map<string, number> {
  context.nodeNames = new Map([
    ['id-a', 'Data-1'],
    ['id-b', 'data 2'],
  ]);
  const { samples } = indicesStatus.map(body, context);
  return byName(namedLines(NAMING_SCHEMES['es2graphite-2013'], 'prod', samples, 1).lines);
}

describe('_status (es2graphite-2013 scheme, ES < 2.0)', () => {
  test('asked under --naming es2graphite-2013 on ES 0.90 and 1.x only: never in other schemes, never from 2.0', () => {
    assert.equal(indicesStatus.path(es('0.90.13'), scheme2013), '/_status');
    assert.equal(indicesStatus.path(es('1.7.5'), scheme2013), '/_status');
    for (const number of ['2.4.5', '5.6.16', '8.4.2'])
      assert.equal(indicesStatus.path(es(number), scheme2013), undefined, number);
    assert.equal(indicesStatus.path(parseVersion('1.3.0', 'opensearch'), scheme2013), undefined);
    for (const naming of ['default', 'es2graphite'] as NamingSchemeName[])
      assert.equal(indicesStatus.path(es('1.7.5'), mapContext({ naming }).options), undefined, naming);
  });

  test('sends what es2graphite ac8bbf9 sent for it, value for value', () => {
    // Every name below is read off es2graphite's process_section/add_metric: numbers and booleans
    // (0/1) anywhere; `translog.id` skipped; `state` coded CREATED 0 … STARTED 2, RELOCATED 3 and
    // unknown states (INITIALIZING, POST_RECOVERY) dropped; each copy under its node's name;
    // other lists by position; keys named `timestamp` dropped; every segment lower-cased, non-word
    // runs to `_`.
    assert.deepEqual(
      Object.fromEntries([...lines(STATUS)].sort()),
      Object.fromEntries(
        [
          ['es.prod.indices.logs_2014_01_01.docs.deleted_docs', 2],
          ['es.prod.indices.logs_2014_01_01.docs.max_doc', 12],
          ['es.prod.indices.logs_2014_01_01.docs.num_docs', 10],
          ['es.prod.indices.logs_2014_01_01.index.primary_size_in_bytes', 100],
          ['es.prod.indices.logs_2014_01_01.index.size_in_bytes', 250],
          ['es.prod.indices.logs_2014_01_01.refresh.total', 3],
          ['es.prod.indices.logs_2014_01_01.refresh.total_time_in_millis', 40],
          ['es.prod.indices.logs_2014_01_01.samples.0', 4],
          ['es.prod.indices.logs_2014_01_01.samples.1', 5],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_1.docs.deleted_docs', 2],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_1.docs.max_doc', 12],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_1.docs.num_docs', 10],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_1.index.size_in_bytes', 100],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_1.routing.primary', 1],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_1.routing.shard', 0],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_1.routing.state', 2],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_1.state', 2],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_1.translog.operations', 7],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_2.index.size_in_bytes', 150],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_2.routing.primary', 0],
          ['es.prod.indices.logs_2014_01_01.shards.0.data_2.routing.shard', 0],
          ['es.prod.indices.logs_2014_01_01.shards.0.id_gone.routing.primary', 0],
          ['es.prod.indices.logs_2014_01_01.shards.0.id_gone.routing.shard', 0],
          ['es.prod.indices.logs_2014_01_01.shards.0.id_gone.state', 3],
          ['es.prod.indices.logs_2014_01_01.translog.operations', 7],
        ].sort(),
      ),
    );
  });

  test('follows the index selection: a rolled-up or left-out index gets no status series', () => {
    const rollup = mapContext({
      naming: 'es2graphite-2013',
      indices: { ...schemeDefaults('es2graphite-2013'), include: [], exclude: [], rollup: true },
    });
    assert.equal(lines(STATUS, rollup).size, 0, 'rolled up into `Logs`');
    const excluded = mapContext({
      naming: 'es2graphite-2013',
      indices: { ...schemeDefaults('es2graphite-2013'), include: [], exclude: ['Logs-*'], rollup: false },
    });
    assert.equal(lines(STATUS, excluded).size, 0, 'excluded by a glob');
    const unselected = context2013();
    unselected.reportedAs = new Map([['other', 'other']]);
    assert.equal(lines(STATUS, unselected).size, 0, 'not among the indices index stats kept');
  });

  test('an answer of another shape fails this API with a clear error', () => {
    assert.throws(() => indicesStatus.map({ error: 'x' }, mapContext()), /_status: expected \{"indices"/);
    assert.throws(() => indicesStatus.map([], mapContext()), /_status: expected/);
  });
});
