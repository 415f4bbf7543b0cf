import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, ProblemLog } from '@stoker/shared';

function capture() {
  const lines: Array<{ level: number; msg: string; problem?: string; repeats?: number }> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, log: createLogger({ name: 'test', level: 'info', format: 'json', destination }) };
}

test('a problem is logged when it starts, changes and ends, and summed up every period, not every cycle', () => {
  const { lines, log } = capture();
  let now = 0;
  const problems = new ProblemLog(log, { summaryMs: 600_000, now: () => now });
  const cycle = (reason: string | undefined) => {
    problems.report('cluster logs: indices_stats', reason);
    problems.report('cluster logs: nodes_stats', undefined);
    now += 10_000;
  };
  for (let i = 0; i < 100; i++) cycle('HTTP 404');
  // 100 cycles of 10 s: 1000 s, so one summary after 600 s.
  assert.deepEqual(
    lines.map((line) => [line.level, line.msg.replace(/\(.*\)/, '(…)')]),
    [
      [40, 'cluster logs: indices_stats: HTTP 404'],
      [40, 'cluster logs: indices_stats: still HTTP 404 (…)'],
    ],
  );
  assert.equal(lines[1]!.repeats, 60);
  cycle('HTTP 500');
  cycle('HTTP 500');
  cycle(undefined);
  cycle(undefined);
  assert.deepEqual(
    lines.slice(2).map((line) => [line.level, line.msg]),
    [
      [40, 'cluster logs: indices_stats: HTTP 500'],
      [30, 'cluster logs: indices_stats: recovered after 2 failed time(s) over 20 s'],
    ],
  );
});

test('a problem whose subject went away is forgotten without a "recovered" line', () => {
  const { lines, log } = capture();
  const problems = new ProblemLog(log);
  problems.fail('container abc def cgroup', 'unreadable');
  problems.forget('container abc ');
  problems.fail('container abc def cgroup', 'unreadable');
  assert.deepEqual(
    lines.map((line) => line.level),
    [40, 40],
  );
});
