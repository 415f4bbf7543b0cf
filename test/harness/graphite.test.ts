import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CarbonCache,
  requireProgram,
  startCarbonCache,
  startCarbonCRelay,
  startGraphiteWeb,
} from './graphite.js';

const noCarbon = requireProgram('carbon-cache', 'graphite-carbon');
const noWeb = noCarbon ?? requireProgram('graphite-manage', 'graphite-web');
const noRelay = noCarbon ?? requireProgram('carbon-c-relay', 'carbon-c-relay');

/** Sends plaintext lines on one connection and waits until the peer has seen the close. */
function sendLines(port: number, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.end(`${lines.join('\n')}\n`));
    socket.once('error', reject);
    socket.once('close', () => resolve());
    socket.resume();
  });
}

const nowSec = () => Math.floor(Date.now() / 1000);

test('carbon-cache stores plaintext lines and keeps them across a restart', { skip: noCarbon }, async (t) => {
  const carbon = await startCarbonCache();
  t.after(() => carbon.stop());
  const ts = nowSec() - 10;
  await sendLines(carbon.linePort, [
    `harness.a 1 ${ts}`,
    `harness.a 2.5 ${ts + 1}`,
    `harness.a -3 ${ts + 2}`,
    `harness.b 42 ${ts}`,
    `harness.nan nan ${ts}`,
  ]);
  const before = [
    [ts, 1],
    [ts + 1, 2.5],
    [ts + 2, -3],
  ];
  assert.deepEqual(await carbon.waitForPoints('harness.a', 3), before);
  assert.deepEqual(await carbon.waitForPoints('harness.b'), [[ts, 42]]);
  assert.deepEqual(await carbon.fetch('harness.a', ts + 1, ts + 1), [[ts + 1, 2.5]]);
  assert.ok((await carbon.listMetrics()).includes('harness.a'));
  await assert.rejects(carbon.waitForPoints('harness.missing', 1, 300), /"harness\.missing".*harness\.a/s);

  const ports = [carbon.linePort, carbon.picklePort, carbon.cacheQueryPort];
  await carbon.stop();
  await carbon.stop(); // idempotent
  await assert.rejects(sendLines(carbon.linePort, ['harness.a 9 1']), /ECONNREFUSED/);
  await carbon.start();
  assert.deepEqual([carbon.linePort, carbon.picklePort, carbon.cacheQueryPort], ports);
  assert.deepEqual(await carbon.fetch('harness.a'), before);

  await sendLines(carbon.linePort, [`harness.a 4 ${ts + 3}`]);
  assert.deepEqual(await carbon.waitForPoints('harness.a', 4), [...before, [ts + 3, 4]]);
  // carbon drops NaN silently: a file may exist but it holds no points.
  assert.deepEqual(await carbon.fetch('harness.nan'), []);
});

test('graphite-web renders what carbon stored, [] for a missing metric', { skip: noWeb }, async (t) => {
  const carbon = await startCarbonCache();
  t.after(() => carbon.stop());
  const web = await startGraphiteWeb(carbon);
  t.after(() => web.stop());

  assert.deepEqual(await web.render('web.sent'), []); // before it exists (and must not be cached as missing)
  const ts = nowSec() - 5;
  await sendLines(carbon.linePort, [`web.sent 7 ${ts}`]);
  await carbon.waitForPoints('web.sent');

  const series = await web.render('web.sent');
  assert.equal(series.length, 1);
  assert.equal(series[0]!.target, 'web.sent');
  assert.deepEqual(
    series[0]!.datapoints.filter(([v]) => v !== null),
    [[7, ts]],
  );
  assert.deepEqual(await web.render('web.missing'), []);
});

test('carbon-c-relay spreads metrics over two caches, each landing on exactly one', {
  skip: noRelay,
}, async (t) => {
  const caches = [await startCarbonCache(), await startCarbonCache()];
  t.after(() => Promise.all(caches.map((c) => c.stop())));

  for (const hashing of ['fnv1a_ch', 'carbon_ch'] as const) {
    await t.test(hashing, async (t) => {
      const relay = await startCarbonCRelay(caches, hashing);
      t.after(() => relay.stop());
      const ts = nowSec() - 5;
      const names = Array.from({ length: 200 }, (_, i) => `relay.${hashing}.m${i}`);
      await sendLines(
        relay.port,
        names.map((n, i) => `${n} ${i} ${ts}`),
      );

      const owners = await waitForOwners(caches, names, 20_000);
      for (const [i, name] of names.entries()) {
        const on = owners[i]!;
        assert.equal(on.length, 1, `${name} is on caches [${on}]`);
        assert.deepEqual(await caches[on[0]!]!.waitForPoints(name), [[ts, i]]);
      }
      const perCache = caches.map((_, c) => owners.filter((on) => on[0] === c).length);
      assert.ok(
        perCache.every((n) => n > 0),
        `expected both caches to get metrics, got ${perCache}`,
      );
      // Nothing turned up late on the other cache either.
      assert.deepEqual(await waitForOwners(caches, names, 0), owners);
    });
  }
});

/** For each metric, the indexes of the caches holding it; polls until every metric is somewhere. */
async function waitForOwners(caches: CarbonCache[], names: string[], timeoutMs: number): Promise<number[][]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stored = await Promise.all(caches.map(async (c) => new Set(await c.listMetrics())));
    const owners = names.map((n) => stored.flatMap((s, i) => (s.has(n) ? [i] : [])));
    const missing = names.filter((_, i) => owners[i]!.length === 0);
    if (missing.length === 0) return owners;
    if (Date.now() > deadline)
      throw new Error(`${missing.length} metrics never arrived, e.g. ${missing.slice(0, 5)}`);
    await sleep(100);
  }
}
