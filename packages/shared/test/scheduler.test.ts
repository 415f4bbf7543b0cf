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

  test('a signal that never fired and has no listener left serves the next cycle; a fired one never does', async () => {
    let overrun = false;
    const { scheduler, signals } = recording(30, async (tick) => {
      if (overrun) await sleep(1000, undefined, { signal: tick.signal }).catch(() => {});
      else await sleep(1, undefined, { signal: tick.signal });
    });
    await scheduler.runCycle();
    await scheduler.runCycle();
    assert.equal(signals[1], signals[0], 'the unfired signal was handed on');
    assert.equal(signals[1]?.aborted, false);
    overrun = true;
    await scheduler.runCycle();
    assert.equal(signals[2], signals[0], 'still unfired when the third cycle began');
    assert.equal(signals[2]?.aborted, true, 'fired at the third cycle deadline');
    overrun = false;
    await scheduler.runCycle();
    assert.notEqual(signals[3], signals[2], 'a fired signal is never handed on');
    assert.equal(signals[3]?.aborted, false);
  });

  test('a signal someone still listens to is not handed on (the listener goes with it)', async () => {
    const { scheduler, signals } = recording(1000, async (tick) => {
      tick.signal.addEventListener('abort', () => {}); // never removed, as some libraries do
    });
    await scheduler.runCycle();
    await scheduler.runCycle();
    assert.notEqual(signals[1], signals[0]);
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
