import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { abortedForShutdown, CycleAbort, Scheduler, type TickInfo } from '@stoker/shared';

/** A scheduler whose cycles run `body` and record the signal each got. */
function recording(timeoutMs: number, body: (tick: TickInfo) => Promise<void> = async () => {}) {
  const signals: AbortSignal[] = [];
  const scheduler = new Scheduler({
    intervalMs: 60_000,
    timeoutMs,
    run: async (tick) => {
      signals.push(tick.signal);
      await body(tick);
    },
  });
  return { scheduler, signals };
}

describe('Scheduler cycle signals', () => {
  test('a cycle that outlives its deadline sees its signal fire with a deadline reason', async () => {
    const { scheduler, signals } = recording(30, (tick) =>
      sleep(1000, undefined, { signal: tick.signal }).catch(() => {}),
    );
    const started = performance.now();
    await scheduler.runCycle();
    assert.ok(performance.now() - started < 900, 'the cycle ended at its deadline, not after its work');
    const [signal] = signals;
    assert.equal(signal?.aborted, true);
    assert.ok(signal.reason instanceof CycleAbort);
    assert.equal(signal.reason.kind, 'deadline');
    assert.equal(abortedForShutdown(signal), false);
  });

  test('each cycle has its own signal: a fired one stays with the cycle it ended', async () => {
    let overrun = true;
    const { scheduler, signals } = recording(30, async (tick) => {
      if (overrun) await sleep(1000, undefined, { signal: tick.signal }).catch(() => {});
    });
    await scheduler.runCycle();
    overrun = false;
    await scheduler.runCycle();
    assert.equal(signals[0]?.aborted, true, 'the first cycle overran its deadline');
    assert.notEqual(signals[1], signals[0]);
    assert.equal(signals[1]?.aborted, false, 'the next cycle starts unaborted');
  });

  test('stop() fires the running cycle signal with a shutdown reason', async () => {
    const { scheduler, signals } = recording(10_000, (tick) =>
      sleep(5000, undefined, { signal: tick.signal }).catch(() => {}),
    );
    const running = scheduler.runCycle();
    await sleep(10);
    await scheduler.stop(2000);
    await running;
    assert.equal(abortedForShutdown(signals[0]!), true);
  });
});
