/** Several carbon destinations (replicate, failover) and UDP, against real carbon-caches. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { runAgentToEnd, startTickAgent } from '../harness/agent.js';
import { type CarbonCache, requireProgram, startCarbonCache } from '../harness/graphite.js';

const skip = requireProgram('carbon-cache', 'graphite-carbon');

describe('destinations', { skip }, () => {
  let first: CarbonCache;
  let second: CarbonCache;
  before(async () => {
    [first, second] = await Promise.all([startCarbonCache(), startCarbonCache()]);
  });
  after(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
  });

  test('replicate: every line reaches each destination', async () => {
    const agent = await startTickAgent('replicate', [
      '--carbon',
      `127.0.0.1:${first.linePort}`,
      '--carbon',
      `127.0.0.1:${second.linePort}`,
      '--self-metrics',
      'false',
    ]);
    try {
      const onFirst = await first.waitForPoints('replicate.tick.job0.seq', 3);
      await second.waitForPoints('replicate.tick.job0.seq', 3);
      assert.equal(await agent.stop(), 0);
      const a = await first.fetch('replicate.tick.job0.seq');
      const b = await second.fetch('replicate.tick.job0.seq');
      assert.ok(onFirst.length >= 3);
      assert.deepEqual(a, b, 'both destinations hold the same points');
    } finally {
      await agent.stop();
    }
  });

  test('failover: the first destination while it is up, the next one while it is down', async () => {
    await first.stop();
    const agent = await startTickAgent('failover', [
      '--carbon',
      `127.0.0.1:${first.linePort}`,
      '--carbon',
      `127.0.0.1:${second.linePort}`,
      '--carbon-mode',
      'failover',
      '--self-metrics',
      'false',
    ]);
    try {
      await second.waitForPoints('failover.tick.job0.seq', 2);
      await first.start();
      // Back on the preferred destination once it reconnects (backoff: at most a few seconds here).
      await first.waitForPoints('failover.tick.job0.seq', 2, 40_000);
      const status = (await agent.get('/status')).body;
      assert.equal(status.sender.mode, 'failover');
      assert.equal(status.dropped_lines.queue_full, 0);
      assert.equal(await agent.stop(), 0);
      // Between them the two caches hold every cycle exactly once.
      const seqs = [
        ...(await first.fetch('failover.tick.job0.seq')),
        ...(await second.fetch('failover.tick.job0.seq')),
      ]
        .map(([, value]) => value)
        .sort((x, y) => x - y);
      const last = seqs.at(-1)!;
      assert.deepEqual(
        seqs,
        Array.from({ length: last }, (_, i) => i + 1),
      );
    } finally {
      await agent.stop();
    }
  });

  test('udp: lines arrive as datagrams', async () => {
    const agent = await startTickAgent('udp', [
      '--carbon',
      `127.0.0.1:${second.udpPort}`,
      '--carbon-protocol',
      'udp',
      '--lines',
      '100',
      '--self-metrics',
      'false',
    ]);
    try {
      await second.waitForPoints('udp.tick.job0.seq', 2);
      await second.waitForPoints('udp.tick.job0.extra.99', 2);
    } finally {
      assert.equal(await agent.stop(), 0);
    }
  });

  test('tagged mode: carbon stores the series under its canonical tagged name', async () => {
    const result = await runAgentToEnd('test/agents/tick-agent.ts', [
      '--once',
      '--carbon',
      `127.0.0.1:${second.linePort}`,
      '--prefix',
      'tagged',
      '--tag',
      'team=search',
      '--tag',
      'dc=eu1',
    ]);
    assert.equal(result.code, 0, result.stderr);
    // Carbon keeps a tagged series in _tagged/<sha256[0:3]>/<sha256[3:6]>/<sha256> of its canonical
    // name: the name, then the tags sorted by name.
    const hash = createHash('sha256').update('tagged.tick.job0.seq;dc=eu1;team=search').digest('hex');
    const points = await second.waitForPoints(`_tagged.${hash.slice(0, 3)}.${hash.slice(3, 6)}.${hash}`, 1);
    assert.equal(points[0]![1], 1);
  });
});
