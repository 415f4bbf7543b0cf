import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CounterTracker, summarize, summarizeBy } from '@stoker/shared';

describe('CounterTracker', () => {
  test('per-second rate between consecutive samples', () => {
    const counters = new CounterTracker();
    assert.equal(counters.rate('a', 100, 0), undefined, 'first sample has no rate');
    assert.equal(counters.rate('a', 150, 10_000), 5);
  });

  test('a counter reset gives no rate, never a negative one, and becomes the baseline', () => {
    const counters = new CounterTracker();
    counters.rate('a', 1000, 0);
    assert.equal(counters.rate('a', 10, 10_000), undefined);
    assert.equal(counters.rate('a', 30, 20_000), 2);
  });

  test('ratio of two deltas (average latency, throttled ratio)', () => {
    const counters = new CounterTracker();
    counters.ratio('latency', 1000, 100, 0);
    assert.equal(counters.ratio('latency', 1600, 130, 10_000), 20);
    assert.equal(counters.ratio('latency', 1600, 130, 20_000), undefined, 'nothing happened: no latency');
  });

  test('sweep forgets what was not seen in the last cycle', () => {
    const counters = new CounterTracker();
    counters.rate('gone', 1, 0);
    counters.rate('kept', 1, 0);
    counters.sweep();
    counters.rate('kept', 2, 1000);
    counters.sweep();
    assert.equal(counters.size, 1);
    assert.equal(counters.rate('gone', 5, 2000), undefined, 'a name that comes back starts anew');
  });
});

describe('aggregation', () => {
  test('summarize ignores missing values', () => {
    assert.deepEqual(summarize([1, undefined, 3, Number.NaN]), { count: 2, sum: 4, avg: 2, min: 1, max: 3 });
    assert.equal(summarize([undefined]), undefined);
  });

  test('summarizeBy puts an item in each of its groups', () => {
    const nodes = [
      { roles: ['master', 'data'], heap: 50 },
      { roles: ['data'], heap: 70 },
    ];
    const result = summarizeBy(nodes, (node) => ['all', ...node.roles], { heap: (node) => node.heap });
    assert.equal(result.get('all')?.get('heap')?.max, 70);
    assert.equal(result.get('master')?.get('heap')?.count, 1);
    assert.equal(result.get('data')?.get('heap')?.avg, 60);
  });
});
