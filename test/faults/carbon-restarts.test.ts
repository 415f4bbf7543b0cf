/**
 * Carbon faults beyond a single outage (test/runtime/carbon-delivery.test.ts has that one): a
 * carbon-cache restarted three times under a running agent, and /healthz staying 200 but "degraded",
 * with the reasons, while carbon is unreachable and the bounded queue drops: a restart cannot bring
 * carbon back, so Marathon must not be told to restart the agent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, startTickAgent } from '../harness/agent.js';
import { type CarbonCache, requireProgram, startCarbonCache } from '../harness/graphite.js';
import { untilPhase } from './helpers.js';

const skip = requireProgram('carbon-cache', 'graphite-carbon');
const INTERVAL_MS = 3000;

describe('carbon restarted and full', { skip }, () => {
  let carbon: CarbonCache;
  before(async () => {
    carbon = await startCarbonCache();
  });
  after(async () => {
    await carbon?.stop();
  });

  /**
   * Stops carbon between two cycles, once everything sent so far is in whisper: what the kernel had
   * accepted when carbon dies is lost by the plaintext protocol itself (README, Delivery), so the test
   * must not stop it with lines in flight.
   */
  async function stopBetweenCycles(agent: AgentProcess, series: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      // Just after a tick; then poll until that cycle's point is in whisper (carbon writes it
      // asynchronously, later on a loaded machine), leaving carbon time to stop before the next tick.
      await untilPhase(INTERVAL_MS, 200);
      const runs = (await agent.get('/status')).body.jobs.job0.runs as number;
      const windowEnd = Date.now() + INTERVAL_MS - 1200;
      let stored: Array<[number, number]> = [];
      while (Date.now() < windowEnd) {
        stored = await carbon.fetch(series);
        if (
          stored.some(([, seq]) => seq === runs) &&
          !(await agent.get('/status')).body.sender.queued_lines
        ) {
          const started = Date.now();
          await carbon.stop();
          if ((await agent.get('/status')).body.jobs.job0.runs === runs) return;
          throw new Error(`carbon took ${Date.now() - started} ms to stop: a cycle ran meanwhile`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (Date.now() > deadline)
        throw new Error(`seq ${runs} never reached whisper in time: ${JSON.stringify(stored.slice(-5))}`);
    }
  }

  test('three restarts during a run: every point kept and stored, in order', {
    timeout: 150_000,
  }, async () => {
    const agent = await startTickAgent('restarts', [
      '--carbon',
      `127.0.0.1:${carbon.linePort}`,
      '--interval',
      `${INTERVAL_MS}ms`,
      '--self-metrics',
      'false',
    ]);
    const series = 'restarts.tick.job0.seq';
    try {
      await carbon.waitForPoints(series, 2, 20_000);
      for (let restart = 1; restart <= 3; restart++) {
        await stopBetweenCycles(agent, series);
        const down = (await agent.get('/status')).body.jobs.job0.runs as number;
        const waiting = await agent.waitForStatus(
          (s) => s.jobs.job0.runs >= down + 2 && s.sender.queued_lines > 0,
          20_000,
        );
        assert.equal(waiting.sender.reachable, false, `restart ${restart}: carbon seen as down`);
        await carbon.start();
        await agent.waitForStatus((s) => s.sender.reachable && s.sender.queued_lines === 0, 45_000);
      }
      const last = await agent.waitForStatus((s) => s.sender.queued_lines === 0);
      assert.equal(last.dropped_lines.queue_full, 0);
      assert.ok(last.sender.reconnects >= 3, `reconnects ${last.sender.reconnects}`);
      const runs = last.jobs.job0.runs as number;
      const points = await carbon.waitForPoints(series, runs, 20_000);
      const bySeq = new Map(points.map(([ts, seq]) => [seq, ts]));
      const missing = Array.from({ length: runs }, (_, i) => i + 1).filter((seq) => !bySeq.has(seq));
      assert.deepEqual(missing, [], `seq missing from whisper (have ${points.map((p) => p[1]).join(',')})`);
      // In order, one interval apart: seq n sits exactly (n - 1) intervals after seq 1.
      const t1 = bySeq.get(1)!;
      for (let seq = 1; seq <= runs; seq++)
        assert.equal(bySeq.get(seq), t1 + ((seq - 1) * INTERVAL_MS) / 1000, `timestamp of seq ${seq}`);
    } finally {
      assert.equal(await agent.stop(), 0);
    }
  });

  test('/healthz: 200 "degraded" naming carbon and the dropping queue while both hold, "ok" once carbon is back', {
    timeout: 90_000,
  }, async () => {
    await carbon.stop();
    const agent = await startTickAgent('healthz', [
      '--carbon',
      `127.0.0.1:${carbon.linePort}`,
      '--lines',
      '20',
      '--queue-size',
      '2KiB',
      '--self-metrics',
      'false',
    ]);
    try {
      await agent.waitForStatus((s) => s.jobs.job0.runs >= 1);
      const early = await agent.get('/healthz');
      assert.equal(early.status, 200, 'carbon unreachable: degraded, never 503');
      assert.equal(early.body.status, 'degraded');
      await agent.waitForStatus((s) => s.dropped_lines.queue_full > 0, 20_000);
      const dropping = await agent.get('/healthz');
      assert.equal(dropping.status, 200, 'a restart would only lose what is queued: still 200');
      assert.equal(dropping.body.status, 'degraded');
      const reason = (dropping.body.reasons as string[]).join('\n');
      assert.match(reason, new RegExp(`carbon 127\\.0\\.0\\.1:${carbon.linePort} unreachable \\(.+\\)`));
      assert.match(
        reason,
        /queue full: oldest lines being dropped \(\d+ since start; \d+ of 2048 bytes queued\)/,
      );
      const status = (await agent.get('/status')).body;
      assert.equal(status.health.status, 'degraded', '/status shows the same health');
      assert.ok(status.sender.queue_bytes <= 2048);

      await carbon.start();
      await agent.waitForStatus((s) => s.sender.reachable && s.sender.queued_lines === 0, 45_000);
      // Drops are news for three intervals after the last one.
      await agent.waitForStatus((s) => s.health.status === 'ok', 45_000);
      const well = await agent.get('/healthz');
      assert.equal(well.status, 200);
      assert.deepEqual(well.body, { status: 'ok', reasons: [] });
    } finally {
      assert.equal(await agent.stop(), 0);
    }
  });
});
