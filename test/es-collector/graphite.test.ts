import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runAgentToEnd, startAgent } from '../harness/agent.js';
import { startEsStandin } from '../harness/es-standin.js';
import { sharedSkip } from '../harness/fixtures.js';
import { freePort, requireProgram, startCarbonCache } from '../harness/graphite.js';

/**
 * End to end: ES stand-in → es-collector (real CLI, real sender) → a real carbon-cache; the points
 * are read back from whisper.
 */
const CLI = 'packages/es-collector/src/cli.ts';
const skip = sharedSkip() ?? requireProgram('carbon-cache', 'graphite-carbon');

describe('es-collector into carbon-cache', { skip }, () => {
  test('--once: health, node and index points stored', async (t) => {
    const carbon = await startCarbonCache();
    t.after(() => carbon.stop());
    const es = await startEsStandin({ version: '7.13.1' });
    t.after(() => es.close());
    const { code, stderr } = await runAgentToEnd(CLI, [
      '--es',
      es.url,
      '--cluster',
      'prod',
      '--once',
      '--carbon',
      `127.0.0.1:${carbon.linePort}`,
    ]);
    assert.equal(code, 0, stderr);
    const [[, status]] = (await carbon.waitForPoints('es.prod.cluster.health.status')) as [[number, number]];
    assert.equal(status, 1, '7.13.1 recording is yellow');
    const [[, up]] = (await carbon.waitForPoints('es.prod.collector.up')) as [[number, number]];
    assert.equal(up, 1);
    assert.ok((await carbon.waitForPoints('es.prod.indices._all.primaries.docs.count')).length > 0);
    // The recorded 7.13.1 node is named after its container id.
    const [[, heap]] = (await carbon.waitForPoints(
      'es.prod.nodes.aaf5a8a0bceb.jvm.mem.heap_used_in_bytes',
    )) as [[number, number]];
    assert.ok(heap > 0);
    const metrics = await carbon.listMetrics();
    assert.ok(!metrics.some((name) => name.includes('http.clients')), '7.13 http.clients skipped');
  });

  test('two clusters, one hanging: the healthy one reports on time, the dead one reports collector.up 0', async (t) => {
    const carbon = await startCarbonCache();
    t.after(() => carbon.stop());
    const healthy = await startEsStandin({ version: '8.4.2' });
    t.after(() => healthy.close());
    const dead = await startEsStandin({ version: '8.4.2' });
    dead.fault('*', { kind: 'hang' });
    t.after(() => dead.close());

    const dir = mkdtempSync(join(tmpdir(), 'es-collector-e2e-'));
    const config = join(dir, 'es-collector.yaml');
    writeFileSync(
      config,
      [
        'interval: 2s',
        'es-timeout: 1500ms',
        'clusters:',
        '  - name: healthy',
        `    es: [${healthy.url}]`,
        '  - name: dead',
        `    es: [${dead.url}]`,
        '',
      ].join('\n'),
    );
    const httpPort = await freePort();
    const agent = startAgent(CLI, ['--config', config, '--carbon', `127.0.0.1:${carbon.linePort}`], {
      httpPort,
    });
    t.after(() => agent.stop());

    const upHealthy = await carbon.waitForPoints('es.healthy.collector.up', 2, 20_000);
    assert.ok(upHealthy.every(([, value]) => value === 1));
    const durations = await carbon.waitForPoints('es.healthy.collector.duration_ms', 2, 20_000);
    assert.ok(
      durations.every(([, ms]) => ms < 1000),
      `healthy cycles are not held up by the dead cluster: ${JSON.stringify(durations)}`,
    );
    // Consecutive healthy points are one interval apart: no cycle was skipped waiting for the dead one.
    const stamps = upHealthy.map(([ts]) => ts);
    for (let i = 1; i < stamps.length; i++) assert.equal(stamps[i]! - stamps[i - 1]!, 2);
    assert.ok((await carbon.waitForPoints('es.healthy.cluster.health.status', 2, 20_000)).length >= 2);

    const upDead = await carbon.waitForPoints('es.dead.collector.up', 1, 20_000);
    assert.ok(upDead.every(([, value]) => value === 0));
    const deadErrors = await carbon.waitForPoints('es.dead.collector.errors.root', 1, 20_000);
    assert.ok(deadErrors.every(([, value]) => value === 1));

    const status = await agent.waitForStatus((s) => JSON.stringify(s).includes('"up":false'), 15_000);
    assert.match(JSON.stringify(status), /timed out after 1500 ms/);
    assert.equal(await agent.stop(), 0);
    const stderr = agent.stderr() + agent.stdout();
    assert.ok(!/unhandled|uncaught/i.test(stderr));
  });
});
