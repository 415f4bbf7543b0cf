import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runAgentToEnd } from '../harness/agent.js';
import { type EsStandin, startEsStandin } from '../harness/es-standin.js';
import { sharedSkip } from '../harness/fixtures.js';
import { requireProgram, startCarbonCache } from '../harness/graphite.js';

/**
 * The series budget costs nothing for what it leaves out: ES stand-ins (counting every request) →
 * es-collector with several clusters, each with its own budget, in one process → a real
 * carbon-cache. An API none of whose series a cluster's budget sends is never asked, and none of
 * its names reach whisper; what the budget keeps still arrives.
 */
const CLI = 'packages/es-collector/src/cli.ts';
const skip = sharedSkip() ?? requireProgram('carbon-cache', 'graphite-carbon');

describe('es-collector series budget: excluded APIs are never asked', { skip }, () => {
  test('per-cluster budgets in one process, default and es2graphite naming', async (t) => {
    const carbon = await startCarbonCache();
    t.after(() => carbon.stop());
    const clusters = ['full', 'noidx', 'ess', 'old'] as const;
    const es = {} as Record<(typeof clusters)[number], EsStandin>;
    for (const name of clusters) {
      es[name] = await startEsStandin({ version: '8.4.2' });
      t.after(() => es[name].close());
    }
    const dir = mkdtempSync(join(tmpdir(), 'es-budget-'));
    const config = join(dir, 'es-collector.yaml');
    writeFileSync(
      config,
      [
        'clusters:',
        '  - name: full',
        `    es: [${es.full.url}]`,
        '  - name: noidx',
        `    es: [${es.noidx.url}]`,
        "    exclude: ['es.*.indices.**']",
        '  - name: ess',
        `    es: [${es.ess.url}]`,
        '    profile: essential',
        '  - name: old',
        `    es: [${es.old.url}]`,
        '    naming: es2graphite',
        "    exclude: ['es.*.indices.**']",
        '',
      ].join('\n'),
    );
    const { code, stderr } = await runAgentToEnd(CLI, [
      '--config',
      config,
      '--once',
      '--carbon',
      `127.0.0.1:${carbon.linePort}`,
    ]);
    assert.equal(code, 0, stderr);
    for (const name of clusters) await carbon.waitForPoints(`es.${name}.collector.up`);
    await carbon.waitForPoints('es.full.indices.foo_1.total.docs.count');
    // carbon-cache creates its files in its own order: what is absent must not be merely late.
    let stored = await carbon.listMetrics();
    for (let before = -1; stored.length !== before; ) {
      before = stored.length;
      await sleep(1000);
      stored = await carbon.listMetrics();
    }
    const under = (head: string) => stored.filter((metric) => metric.startsWith(head));

    // No budget: every API asked, per-index series stored (what the others are measured against).
    assert.ok(es.full.requestCount('/_all/_stats') > 0);
    assert.ok(es.full.requestCount('/_cluster/stats') > 0);
    assert.ok(under('es.full.indices.').some((metric) => !metric.startsWith('es.full.indices._all.')));

    // Every index excluded: index stats never asked, nothing under indices stored, the rest is.
    assert.equal(es.noidx.requestCount('/_all/_stats'), 0, 'index stats asked');
    assert.deepEqual(under('es.noidx.indices.'), []);
    assert.ok(es.noidx.requestCount('/_nodes/stats') > 0);
    assert.ok(under('es.noidx.nodes.').length > 100);
    assert.ok(stored.includes('es.noidx.cluster.stats.nodes.count.total'));
    assert.ok(stored.includes('es.noidx.collector.up'));

    // Essential: `_all` only (level=cluster), no cluster stats (no shipped panel reads them).
    assert.equal(es.ess.urls.get('/_all/_stats'), undefined, 'index stats asked per index');
    assert.ok((es.ess.urls.get('/_all/_stats?level=cluster') ?? 0) > 0);
    assert.equal(es.ess.requestCount('/_cluster/stats'), 0, 'cluster stats asked');
    assert.deepEqual(under('es.ess.indices.'), [
      'es.ess.indices._all.primaries.docs.count',
      'es.ess.indices._all.total.store.size_in_bytes',
    ]);
    assert.ok(stored.includes('es.ess.cluster.health.status'));

    // es2graphite (per-index health by default): neither index stats nor health per index asked.
    assert.equal(es.old.requestCount('/_all/_stats'), 0, 'index stats asked');
    assert.ok((es.old.urls.get('/_cluster/health') ?? 0) > 0);
    assert.equal(es.old.urls.get('/_cluster/health?level=indices'), undefined, 'health asked per index');
    assert.deepEqual(under('es.old.indices.'), []);
    assert.ok(stored.includes('es.old.status'));
  });

  test('with --metrics everything is still asked: /metrics shows every series whatever the budget', async (t) => {
    const es = await startEsStandin({ version: '8.4.2' });
    t.after(() => es.close());
    const { code, stdout, stderr } = await runAgentToEnd(CLI, [
      '--es',
      es.url,
      '--cluster',
      'logs',
      '--once',
      '--output',
      'stdout',
      '--metrics',
      '--http-port',
      '0',
      '--exclude',
      'es.*.indices.**',
    ]);
    assert.equal(code, 0, stderr);
    assert.ok(es.requestCount('/_all/_stats') > 0, 'index stats not asked');
    assert.ok(!stdout.includes('es.logs.indices.'), 'an excluded name was sent');
    assert.ok(stdout.includes('es.logs.cluster.health.status '));
  });
});
