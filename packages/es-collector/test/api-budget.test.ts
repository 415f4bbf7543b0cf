import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lowerWordSanitizer, NameFilter, sanitizeSegment } from '@stoker/shared';
import { recordingCycle } from '../../../test/harness/cycle.js';
import { sharedSkip } from '../../../test/harness/fixtures.js';
import { budgetRequests } from '../src/api-budget.js';
import { API_NAMES, type ApiName } from '../src/collectors/index.js';
import { nodesStats } from '../src/collectors/nodes-stats.js';
import { ES_ESSENTIAL_SERIES } from '../src/essential-series.js';
import { DEFAULT_INDEX_SELECTION } from '../src/index-selection.js';
import { NAMING_SCHEMES, type NamingSchemeName, nameSamples } from '../src/naming/index.js';
import { fixtureFiles, mapContext, readFixture } from './helpers.js';

/** What a cycle of cluster `cluster` asks under a budget (as the runtime builds it, prefix `es`). */
function asked(
  budget: { include?: string[]; exclude?: string[]; essential?: boolean },
  naming: NamingSchemeName = 'default',
  cluster = 'logs',
) {
  const include = [
    ...(budget.essential ? ES_ESSENTIAL_SERIES.map((glob) => `es.${glob}`) : []),
    ...(budget.include ?? []),
  ];
  const filter = new NameFilter({ include, exclude: budget.exclude ?? [], prefix: ['es'] });
  const sanitize = naming === 'default' ? sanitizeSegment : lowerWordSanitizer;
  const options = { local: false, healthLevelIndices: true, indices: DEFAULT_INDEX_SELECTION, naming };
  const { apis, options: budgeted } = budgetRequests(
    new Set(API_NAMES),
    options,
    NAMING_SCHEMES[naming],
    cluster,
    {
      sendsBelow: (segments) => filter.sendsBelow(segments, sanitize),
    },
  );
  return {
    apis: [...apis].sort(),
    allIndicesOnly: budgeted.allIndicesOnly,
    healthLevelIndices: budgeted.healthLevelIndices,
  };
}

const sorted = (...apis: ApiName[]) => apis.sort();

describe('budgetRequests: an API none of whose series can be sent is not asked', () => {
  test('no budget: everything, per index (the `_cat` APIs are for the es2graphite scheme only)', () => {
    assert.deepEqual(asked({ exclude: ['es.nothing'] }), {
      // `_status` would have series in this scheme too: its path is what keeps it to es2graphite-2013.
      apis: sorted(
        'cluster_health',
        'cluster_stats',
        'indices_stats',
        'indices_status',
        'nodes_stats',
        'pending_tasks',
      ),
      allIndicesOnly: false,
      healthLevelIndices: true,
    });
    assert.deepEqual(asked({ exclude: ['es.nothing'] }, 'es2graphite').apis, [...API_NAMES].sort());
  });

  test('every index excluded: no index stats, no per-index health; the rest asked', () => {
    const { apis, healthLevelIndices } = asked({ exclude: ['es.*.indices.**'] });
    assert.ok(!apis.includes('indices_stats'));
    assert.ok(
      apis.includes('nodes_stats') && apis.includes('cluster_health') && apis.includes('cluster_stats'),
    );
    assert.equal(healthLevelIndices, false);
  });

  test('essential: `_all` only, no cluster stats; node stats and health stay', () => {
    assert.deepEqual(asked({ essential: true }), {
      apis: sorted('cluster_health', 'indices_stats', 'nodes_stats', 'pending_tasks'),
      allIndicesOnly: true,
      healthLevelIndices: false,
    });
    // Two series per index brought back: every index is asked for again.
    const perIndex = asked({
      essential: true,
      include: ['es.*.indices.*.{primaries.docs.count,total.store.size_in_bytes}'],
    });
    assert.equal(perIndex.allIndicesOnly, false);
  });

  test('what is worked out from an answer keeps its API: aggregates alone keep node stats', () => {
    assert.deepEqual(asked({ include: ['es.*.aggregates.all.heap_used_percent.max'] }).apis, ['nodes_stats']);
    assert.deepEqual(asked({ include: ['es.*.nodes.*.rates.**'] }).apis, ['nodes_stats']);
    // Only per-index health: health per index is asked, index stats are not (`_status`, whose
    // figures could be named so too, is asked under es2graphite-2013 only: its path says so).
    assert.deepEqual(asked({ include: ['es.*.indices.*.health.status'] }), {
      apis: ['cluster_health', 'indices_status'],
      allIndicesOnly: true,
      healthLevelIndices: true,
    });
  });

  test('es2graphite names: health fields and nodes straight under the cluster, _cat below nodes', () => {
    const old = asked({ exclude: ['es.*.indices.**'] }, 'es2graphite');
    assert.ok(!old.apis.includes('indices_stats'));
    assert.ok(old.apis.includes('cat_nodes') && old.apis.includes('nodes_stats'));
    assert.equal(old.healthLevelIndices, false);
    // Only the cluster status: es2graphite's `<cluster>.status` comes from health; a node could be
    // named `status` (node stats are judged by their head), but no `_cat` cell is that short.
    assert.deepEqual(asked({ include: ['es.*.status'] }, 'es2graphite').apis, [
      'cluster_health',
      'nodes_stats',
    ]);
  });

  test('a budget naming one cluster applies to that cluster only', () => {
    const budget = { exclude: ['es.logs.indices.**', 'es.logs.cluster.stats.**'] };
    assert.ok(!asked(budget, 'default', 'logs').apis.includes('indices_stats'));
    assert.ok(!asked(budget, 'default', 'logs').apis.includes('cluster_stats'));
    assert.ok(asked(budget, 'default', 'metrics').apis.includes('indices_stats'));
    assert.ok(asked(budget, 'default', 'metrics').apis.includes('cluster_stats'));
  });
});

describe('the node stats walk skips what the budget cannot send, and nothing else', () => {
  test('every recorded node stats answer: the same lines as walking everything', {
    skip: sharedSkip(),
  }, () => {
    const budgets = [
      { include: ES_ESSENTIAL_SERIES.map((glob) => `es.${glob}`), exclude: [] },
      { include: [], exclude: ['es.*.nodes.*.{jvm,fs,thread_pool}.**', 'es.**.indices.**'] },
      { include: ['es.*.*.*.os.**', 'es.*.*.*.jvm.mem.*'], exclude: ['es.*.*.*.os.cpu.*'] },
      { include: ['es.*.aggregates.**'], exclude: [] },
    ];
    const files = fixtureFiles(/nodes.*stats.*\.json$/);
    assert.ok(files.length >= 20, `found ${files.length} recordings`);
    let skipped = 0;
    for (const naming of ['default', 'es2graphite'] as const) {
      const scheme = NAMING_SCHEMES[naming];
      for (const file of files) {
        const body = readFixture(file);
        const mapped = nodesStats.map(body, mapContext({ naming }));
        for (const budget of budgets) {
          const filter = new NameFilter({ ...budget, prefix: ['es'] });
          const lines = (pruned: boolean) => {
            const cycle = recordingCycle({
              prefix: ['es'],
              filter,
              sanitize: scheme.sanitize ?? sanitizeSegment,
            });
            nameSamples(
              pruned ? cycle : { ...cycle, sendsBelow: () => true },
              scheme,
              'logs',
              mapped.samples,
            );
            return cycle.lines();
          };
          const everything = lines(false);
          assert.deepEqual(lines(true), everything, `${file}, ${naming}, ${JSON.stringify(budget)}`);
          skipped += Number(everything.length > 0);
        }
      }
    }
    assert.ok(skipped > 0);
  });
});
