/**
 * Logs an operator can act on. The sender against a real carbon-cache that is stopped and started:
 * one warning when carbon becomes unreachable (with its address and the error), one when it is back
 * (how long, what was queued and dropped meanwhile), one summary per period while lines are being
 * dropped, and nothing while all is well. Then the two log formats of a real agent.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CarbonSender, createLogger } from '@stoker/shared';
import { runAgentToEnd } from '../harness/agent.js';
import { startEsStandin } from '../harness/es-standin.js';
import { sharedSkip } from '../harness/fixtures.js';
import { type CarbonCache, requireProgram, startCarbonCache } from '../harness/graphite.js';

interface LogEntry {
  level: number;
  time: string;
  msg: string;
  carbon?: string;
  reason?: string;
  lasted_ms?: number;
  queued_lines?: number;
  dropped_lines?: number;
}

const WARN = 40;
/** The drop summary's period, shortened from a minute so the test sees several. */
const SUMMARY_MS = 400;

describe('carbon reachability in the log', {
  skip: requireProgram('carbon-cache', 'graphite-carbon'),
}, () => {
  let carbon: CarbonCache;
  before(async () => {
    carbon = await startCarbonCache();
  });
  after(async () => {
    await carbon?.stop();
  });

  test('one warning at each edge of an outage, a summary per period while dropping, none while healthy', {
    timeout: 120_000,
  }, async () => {
    const entries: LogEntry[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) entries.push(JSON.parse(line));
        done();
      },
    });
    const log = createLogger({ name: 'test', level: 'info', format: 'json', destination });
    const warnings = () => entries.filter((entry) => entry.level >= WARN);
    const address = `127.0.0.1:${carbon.linePort}`;

    // Unreachable from the start.
    await carbon.stop();
    const sender = new CarbonSender({
      destinations: [{ host: '127.0.0.1', port: carbon.linePort }],
      mode: 'replicate',
      protocol: 'tcp',
      queueBytes: 64 * 1024,
      connectTimeoutMs: 1000,
      log,
      dropSummaryMs: SUMMARY_MS,
    });
    let seq = 0;
    /** One cycle's worth of lines: 1,000 of about 40 bytes. */
    const sendCycle = () => {
      const lines = Array.from({ length: 1000 }, (_, i) => `logs.test.s${i} ${seq} ${1_700_000_000 + seq}\n`);
      seq++;
      sender.send(Buffer.from(lines.join(''), 'latin1'), lines.length);
    };
    /** Cycles every 50 ms for `ms`. */
    const sendFor = async (ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        sendCycle();
        await sleep(50);
      }
    };
    try {
      await sendFor(3 * SUMMARY_MS);
      const down = warnings().filter((entry) => / unreachable \(/.test(entry.msg));
      assert.equal(down.length, 1, JSON.stringify(warnings(), null, 1));
      assert.equal(down[0]!.carbon, address);
      assert.match(down[0]!.reason!, /ECONNREFUSED/);
      assert.ok(down[0]!.msg.includes(address));
      const summaries = () => warnings().filter((entry) => /dropped in the last/.test(entry.msg));
      assert.ok(summaries().length >= 2, `summaries while dropping: ${summaries().length}`);
      assert.ok(summaries().every((entry) => entry.dropped_lines! > 0));

      // Nothing sent, nothing dropped: no summary, though carbon is still away (after the summary of
      // the period in which sending stopped).
      await sleep(2 * SUMMARY_MS);
      let before = warnings().length;
      await sleep(3 * SUMMARY_MS);
      assert.equal(warnings().length, before, 'no warning while nothing is dropped');

      // Back: one warning with how long and what happened meanwhile.
      await carbon.start();
      assert.equal(await sender.flush(30_000), true, 'the backlog flushed');
      const back = warnings().filter((entry) => /reachable again/.test(entry.msg));
      assert.equal(back.length, 1, JSON.stringify(warnings(), null, 1));
      assert.equal(back[0]!.carbon, address);
      assert.ok(back[0]!.lasted_ms! > 0);
      assert.ok(back[0]!.queued_lines! > 0 && back[0]!.dropped_lines! > 0, JSON.stringify(back[0]));

      // Healthy: sending for several periods logs no warning.
      before = warnings().length;
      await sendFor(3 * SUMMARY_MS);
      assert.equal(await sender.flush(10_000), true);
      assert.equal(warnings().length, before, JSON.stringify(warnings().slice(before)));

      // Lost while connected: the same pair of warnings, once each.
      await carbon.stop();
      await sendFor(3 * SUMMARY_MS);
      await carbon.start();
      assert.equal(await sender.flush(30_000), true);
      const edges = warnings()
        .slice(before)
        .filter((entry) => !/dropped in the last/.test(entry.msg))
        .map((entry) => entry.msg.replace(/\(.*$/, '').replace(/ after .*$/, ''));
      assert.deepEqual(edges, [`carbon ${address} unreachable `, `carbon ${address} reachable again`]);
    } finally {
      await sender.close();
    }
  });
});

describe('--log-format', () => {
  const run = (format: string[]) =>
    runAgentToEnd('test/agents/tick-agent.ts', ['--once', '--output', 'stdout', '--fail', ...format]);

  test('json (the default off a terminal): one object per line with an ISO time', async () => {
    for (const args of [[], ['--log-format', 'json']]) {
      const { code, stderr } = await run(args);
      assert.equal(code, 1, stderr);
      const lines = stderr.trim().split('\n');
      const failed = lines.map((line) => JSON.parse(line) as LogEntry).find((entry) => entry.level === WARN);
      assert.ok(failed, stderr);
      assert.match(failed.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(failed.msg, 'job job0: cycle failed: told to fail');
    }
  });

  test('text: one readable line per event with an ISO time, no colours off a terminal', async () => {
    const { code, stderr } = await run(['--log-format', 'text']);
    assert.equal(code, 1, stderr);
    const line = stderr.split('\n').find((each) => each.includes('told to fail'));
    assert.ok(line, stderr);
    assert.match(
      line,
      /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}\] WARN: job job0: cycle failed: told to fail \{.*"job":"job0".*\}$/,
    );
    assert.ok(!stderr.includes('\u001b['), 'no escape sequences');
  });
});

describe('what debug and trace add', () => {
  const entries = (stderr: string) =>
    stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as LogEntry & Record<string, unknown>);

  test('debug names the samples not sent for want of a finite value: the first five, then a count', async () => {
    const { code, stderr } = await runAgentToEnd('test/agents/tick-agent.ts', [
      '--once',
      '--output',
      'stdout',
      '--non-finite',
      '8',
      '--log-level',
      'debug',
    ]);
    assert.equal(code, 0, stderr);
    const dropped = entries(stderr).filter((entry) => /not a finite number/.test(entry.msg));
    assert.equal(dropped.length, 1, stderr);
    assert.equal(
      dropped[0]!.msg,
      '8 samples not sent (not a finite number): test.tick.job0.nan.0 (NaN), test.tick.job0.nan.1 (NaN), test.tick.job0.nan.2 (NaN), test.tick.job0.nan.3 (NaN), test.tick.job0.nan.4 (NaN) and 3 more',
    );
  });

  test('trace shows every request to Elasticsearch with its duration', { skip: sharedSkip() }, async () => {
    const es = await startEsStandin({ version: '8.4.2' });
    try {
      const args = ['--es', es.url, '--cluster', 'c', '--once', '--output', 'stdout'];
      const { code, stderr } = await runAgentToEnd('packages/es-collector/src/cli.ts', [
        ...args,
        '--log-level',
        'trace',
      ]);
      assert.equal(code, 0, stderr);
      const requests = entries(stderr).filter((entry) => entry.level === 10);
      const paths = requests.map((entry) => new URL(String(entry.url)).pathname);
      for (const path of ['/', '/_cluster/health', '/_nodes/stats', '/_cluster/pending_tasks'])
        assert.ok(paths.includes(path), `${path} in ${paths.join(', ')}`);
      for (const entry of requests) {
        assert.match(entry.msg, /^GET http:\/\/127\.0\.0\.1:\d+\/\S*: \d+\.\d ms$/);
        assert.equal(typeof entry.duration_ms, 'number');
      }
      const quiet = await runAgentToEnd('packages/es-collector/src/cli.ts', args);
      assert.ok(!entries(quiet.stderr).some((entry) => entry.level === 10), 'none at info');
    } finally {
      await es.close();
    }
  });
});
