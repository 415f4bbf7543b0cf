/**
 * SIGTERM to the real es-collector while a cycle is running, carbon is down and the bounded queue is
 * full: the cycle is aborted, carbon comes back within the grace period, the queue is flushed, exit 0.
 * (A second SIGTERM and SIGTERM with carbon already up are in test/runtime/.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAgent } from '../harness/agent.js';
import { startEsStandin } from '../harness/es-standin.js';
import { sharedSkip } from '../harness/fixtures.js';
import { freePort, requireProgram, startCarbonCache } from '../harness/graphite.js';
import { afterNextTick, ES_CLI, logLines, untilPhase } from './helpers.js';

const skip = sharedSkip() ?? requireProgram('carbon-cache', 'graphite-carbon');
const INTERVAL_MS = 2000;
const GRACE_MS = 15_000;

test('SIGTERM during a cycle, carbon down, queue full: flushed once carbon is back, exit 0 within the grace', {
  skip,
  timeout: 120_000,
}, async (t) => {
  const carbon = await startCarbonCache();
  t.after(() => carbon.stop());
  // The stand-in first: started after carbon stopped, it could be given carbon's freed port (seen
  // once: the agent's carbon connections then reached the stand-in, which closed them).
  const es = await startEsStandin();
  t.after(() => es.close());
  await carbon.stop();
  // Every cycle waits 1.2 s for the node stats: a cycle is running for most of each interval.
  es.fault('/_nodes/stats', { kind: 'delay', ms: 1200 });
  const httpPort = await freePort();
  const agent = startAgent(
    ES_CLI,
    [
      '--es',
      es.url,
      '--cluster',
      'term',
      '--interval',
      `${INTERVAL_MS}ms`,
      '--carbon',
      `127.0.0.1:${carbon.linePort}`,
      // About two cycles' worth of lines (~140 KB each): full after a few cycles, yet the newest
      // complete cycle always fits.
      '--queue-size',
      '256KiB',
      '--shutdown-grace',
      `${GRACE_MS}ms`,
    ],
    { httpPort },
  );
  t.after(() => agent.stop());
  const full = await agent.waitForStatus(
    (s) => s.dropped_lines.queue_full > 0 && s.jobs.term.runs >= 2,
    30_000,
  );
  assert.equal(full.sender.reachable, false);
  assert.ok(full.sender.queue_bytes > 0.9 * 262144, `queue ${full.sender.queue_bytes} bytes`);

  // Mid-cycle: 300 ms after a tick the cycle is waiting for the delayed node stats.
  await untilPhase(INTERVAL_MS, 300);
  const before = (await agent.get('/status')).body;
  const lastCompleted = Date.parse(before.jobs.term.last_start) / 1000;
  const signalled = Date.now();
  agent.child.kill('SIGTERM');
  await sleep(1000);
  assert.equal(agent.child.exitCode, null, 'still flushing while carbon is down');
  await carbon.start();
  const code = await agent.exited;
  const tookMs = Date.now() - signalled;
  assert.equal(code, 0, agent.stderr().slice(-3000));
  assert.ok(tookMs < GRACE_MS, `exit after ${tookMs} ms, grace ${GRACE_MS} ms`);

  const logs = logLines(agent.stderr());
  const bye = logs.find((entry) => entry.msg === 'queue flushed; bye');
  assert.ok(bye, `no flush line:\n${agent.stderr().slice(-3000)}`);
  assert.ok(bye.lines_sent > 0, 'the queue went out');
  assert.ok(!logs.some((entry) => entry.msg?.includes('lines still queued are lost')));
  assert.ok(!logs.some((entry) => entry.level >= 50), 'no error logs');

  // The newest cycle that completed before the signal is in whisper.
  const up = await carbon.waitForPoints('es.term.collector.up', 1, 20_000);
  assert.ok(
    up.some(([ts]) => ts === lastCompleted),
    `collector.up at ${lastCompleted}: ${JSON.stringify(up)}`,
  );
});

test('a cycle aborted by SIGTERM does not report the cluster down', { skip, timeout: 60_000 }, async (t) => {
  const es = await startEsStandin();
  t.after(() => es.close());
  const httpPort = await freePort();
  const agent = startAgent(
    ES_CLI,
    [
      '--es',
      es.url,
      '--cluster',
      'abort',
      '--interval',
      `${INTERVAL_MS}ms`,
      '--output',
      'stdout',
      '--self-metrics',
      'false',
    ],
    { httpPort },
  );
  t.after(() => agent.stop());
  await agent.waitForStatus((s) => s.jobs.abort.runs >= 1, 20_000);
  // From now on every request takes 1.5 s: at the signal, all of the cycle's requests are in flight.
  es.fault('*', { kind: 'delay', ms: 1500 });
  const asked = es.requestCount('/_cluster/health');
  await afterNextTick(INTERVAL_MS, 500);
  assert.equal(await agent.stop('SIGTERM'), 0);
  assert.equal(es.requestCount('/_cluster/health'), asked + 1, 'the signal came while a cycle waited for ES');
  // The cluster answered every request; only the agent stopped. A `collector.up 0` here would page
  // whoever alerts on it at every deploy of the collector.
  const down = agent
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('es.abort.collector.up 0 '));
  assert.deepEqual(down, [], `stderr:\n${agent.stderr().slice(-1500)}`);
});
