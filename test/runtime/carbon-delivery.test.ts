/**
 * The shared sender end to end, through a real agent process into a real carbon-cache: delivery,
 * an outage with zero loss within the bound, exactly-oldest drops beyond it, and the flush on SIGTERM.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTickAgent } from '../harness/agent.js';
import { type CarbonCache, requireProgram, startCarbonCache } from '../harness/graphite.js';

const skip = requireProgram('carbon-cache', 'graphite-carbon');

/** Every seq value from `from` to `to` must be stored, each exactly one second after the previous. */
function assertContiguous(points: Array<[number, number]>, from: number, to: number) {
  const bySeq = new Map(points.map(([ts, value]) => [value, ts]));
  const missing: number[] = [];
  for (let seq = from; seq <= to; seq++) if (!bySeq.has(seq)) missing.push(seq);
  assert.deepEqual(
    missing,
    [],
    `points missing for seq ${missing.join(',')} (stored: ${points.map((p) => p[1]).join(',')})`,
  );
}

describe('carbon delivery', { skip }, () => {
  let carbon: CarbonCache;
  before(async () => {
    carbon = await startCarbonCache();
  });
  after(async () => {
    await carbon?.stop();
  });

  test('lines sent come back from whisper with aligned timestamps', async () => {
    const agent = await startTickAgent('deliver', ['--carbon', `127.0.0.1:${carbon.linePort}`]);
    try {
      const points = await carbon.waitForPoints('deliver.tick.job0.seq', 3);
      for (const [ts] of points) assert.equal(ts % 1, 0);
      const stamps = await carbon.waitForPoints('deliver.tick.job0.ts', 3);
      for (const [ts, value] of stamps)
        assert.equal(ts, value, 'the line carries the aligned cycle timestamp');
      const health = await agent.get('/healthz');
      assert.equal(health.status, 200);
    } finally {
      assert.equal(await agent.stop(), 0);
    }
  });

  test('self-metrics arrive under <prefix>.<agent>.<instance>.self', async () => {
    const agent = await startTickAgent('selfm', [
      '--carbon',
      `127.0.0.1:${carbon.linePort}`,
      '--instance',
      'node-a',
    ]);
    try {
      const sent = await carbon.waitForPoints('selfm.tick-agent.node-a.self.lines_sent_total', 2);
      assert.ok(sent.at(-1)![1] > 0);
      await carbon.waitForPoints('selfm.tick-agent.node-a.self.jobs.job0.duration_ms', 1);
      const up = await carbon.waitForPoints('selfm.tick-agent.node-a.self.jobs.job0.up', 1);
      assert.equal(up.at(-1)![1], 1);
      await carbon.waitForPoints('selfm.tick-agent.node-a.self.queue_bytes', 1);
      await carbon.waitForPoints('selfm.tick-agent.node-a.self.lines_dropped_total.queue_full', 1);
    } finally {
      assert.equal(await agent.stop(), 0);
    }
  });

  test('outage: every point produced while carbon was down is delivered, in order, once it is back', async () => {
    const agent = await startTickAgent('outage', [
      '--carbon',
      `127.0.0.1:${carbon.linePort}`,
      '--interval',
      '2s',
      '--self-metrics',
      'false',
    ]);
    try {
      // Stop carbon right after a point is persisted and before the next cycle, so that carbon's own
      // shutdown cannot lose a point it had only in its cache.
      const first = await carbon.waitForPoints('outage.tick.job0.seq', 2);
      const seenSeq = first.at(-1)![1];
      await agent.waitForStatus((s) => s.jobs.job0.runs === seenSeq, 3000);
      await carbon.stop();
      const down = await agent.waitForStatus(
        (s) => s.jobs.job0.runs >= seenSeq + 4 && s.sender.queued_lines > 0,
        30_000,
      );
      assert.equal(down.sender.reachable, false);
      assert.equal((await agent.get('/healthz')).status, 200, 'buffering within the bound is healthy');
      await carbon.start();
      const back = await agent.waitForStatus(
        (s) => s.sender.reachable && s.sender.queued_lines === 0,
        45_000,
      );
      assert.equal(back.dropped_lines.queue_full, 0);
      const lastSeq = back.jobs.job0.runs;
      const points = await carbon.waitForPoints('outage.tick.job0.seq', lastSeq - 1, 20_000);
      assertContiguous(points, 1, lastSeq - 1);
      // In order: seq grows with time.
      const sorted = [...points].sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i]![1] > sorted[i - 1]![1]);
    } finally {
      assert.equal(await agent.stop(), 0);
      if (!(await isListening(carbon))) await carbon.start();
    }
  });

  test('with a bound smaller than the backlog, exactly the oldest lines are dropped and counted', async () => {
    await carbon.stop();
    const extra = 20;
    const agent = await startTickAgent('bound', [
      '--carbon',
      `127.0.0.1:${carbon.linePort}`,
      '--self-metrics',
      'false',
      '--lines',
      String(extra),
      '--queue-size',
      '2KiB',
    ]);
    try {
      const before = await agent.waitForStatus(
        (s) => s.jobs.job0.runs >= 5 && s.dropped_lines.queue_full > 0,
        30_000,
      );
      assert.ok(before.sender.queue_bytes <= 2048, 'the queue never grows past its bound');
      await carbon.start();
      await agent.waitForStatus((s) => s.sender.reachable && s.sender.queued_lines === 0, 45_000);
      assert.equal(await agent.stop(), 0);
      const bye = agent
        .stderr()
        .split('\n')
        .filter((line) => line.includes('queue flushed'))
        .map((line) => JSON.parse(line))[0];
      assert.ok(bye, `no shutdown line in:\n${agent.stderr()}`);
      const dropped = bye.dropped_queue_full as number;
      const lastSeq = Math.max(
        ...(await carbon.waitForPoints('bound.tick.job0.seq', 1)).map(([, value]) => value),
      );
      const emitted = lastSeq * (2 + extra);
      // Everything not dropped is in whisper; the dropped count says exactly how many are not.
      let stored = 0;
      const seqBy = new Map<string, number[]>();
      const metrics = (await carbon.listMetrics()).filter((name) => name.startsWith('bound.'));
      for (const name of metrics) {
        const points = await carbon.fetch(name);
        stored += points.length;
        seqBy.set(
          name,
          points.map(([, value]) => value).sort((a, b) => a - b),
        );
      }
      assert.equal(stored + dropped, emitted, `stored ${stored} + dropped ${dropped} = emitted ${emitted}`);
      // Oldest first: for every series the surviving seq values are one run that reaches the last cycle.
      for (const [name, seqs] of seqBy) {
        if (name.endsWith('.ts')) continue;
        assert.equal(seqs.at(-1), lastSeq, `${name} has the newest point`);
        assert.equal(
          seqs.at(-1)! - seqs[0]! + 1,
          seqs.length,
          `${name}: no gap among kept points (${seqs.join(',')})`,
        );
        assert.ok(seqs[0]! > 1, `${name}: its oldest points were the ones dropped`);
      }
    } finally {
      await agent.stop();
    }
  });

  test('SIGTERM with a non-empty queue and carbon back up: the queue is flushed before exit 0', async () => {
    await carbon.stop();
    const agent = await startTickAgent('term', [
      '--carbon',
      `127.0.0.1:${carbon.linePort}`,
      '--self-metrics',
      'false',
    ]);
    const status = await agent.waitForStatus(
      (s) => s.jobs.job0.runs >= 3 && s.sender.queued_lines > 0,
      30_000,
    );
    assert.equal(status.sender.reachable, false);
    await carbon.start();
    // At once, before the agent's backoff would have reconnected on its own.
    const code = await agent.stop('SIGTERM');
    assert.equal(code, 0);
    assert.match(agent.stderr(), /queue flushed/);
    const runs = status.jobs.job0.runs as number;
    const points = await carbon.waitForPoints('term.tick.job0.seq', runs, 20_000);
    assertContiguous(points, 1, runs);
  });
});

async function isListening(carbon: CarbonCache): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect({ host: carbon.host, port: carbon.linePort });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
