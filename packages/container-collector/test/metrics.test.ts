import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CounterTracker } from '@stoker/shared';
import { aggregate, type MeasuredContainer } from '../src/aggregate.js';
import type { RawCgroupStats } from '../src/cgroup/raw.js';
import type { ContainerIdentity } from '../src/docker/identity.js';
import { deriveContainerMetrics, type Metric, workingSetBytes } from '../src/metrics.js';

const GiB = 2 ** 30;

function raw(cpuSeconds: number, overrides: Partial<RawCgroupStats['memory']> = {}): RawCgroupStats {
  return {
    source: 'cgroup-v1',
    cpu: {
      usageNs: cpuSeconds * 1e9,
      userNs: cpuSeconds * 0.8e9,
      systemNs: cpuSeconds * 0.2e9,
      periods: cpuSeconds * 100,
      throttledPeriods: cpuSeconds * 25,
      throttledNs: 0,
      limitCores: 2,
    },
    memory: {
      usageBytes: 3 * GiB,
      inactiveFileBytes: 1 * GiB,
      limitBytes: 4 * GiB,
      ...overrides,
    },
    blockIo: [
      { device: '8:0', readBytes: cpuSeconds * 1000, writeBytes: cpuSeconds * 2000, reads: 1, writes: 2 },
    ],
    pids: { current: 10 },
    pressure: { cpu: { someTotalUs: cpuSeconds * 1e5 } },
    texts: new Map(),
  };
}

const value = (metrics: readonly Metric[], path: string) =>
  metrics.find((metric) => metric.path.join('.') === path)?.value;

describe('derived metrics', () => {
  test('two samples 10 s apart: cores, percent, throttled ratio, I/O and pressure rates', () => {
    const tracker = new CounterTracker();
    const first = deriveContainerMetrics({ raw: raw(100), atMs: 0, hostCpus: 8 }, tracker);
    assert.equal(value(first, 'cpu.cores'), undefined, 'no rate from one sample');
    assert.equal(value(first, 'memory.working_set_bytes'), 2 * GiB, 'gauges need one sample');
    const second = deriveContainerMetrics({ raw: raw(115), atMs: 10_000, hostCpus: 8 }, tracker);
    assert.equal(value(second, 'cpu.cores'), 1.5);
    assert.equal(value(second, 'cpu.user_cores'), 1.2);
    assert.equal(value(second, 'cpu.percent_of_limit'), 75);
    assert.equal(value(second, 'cpu.percent_of_host'), 18.75);
    assert.equal(value(second, 'cpu.throttled_ratio'), 0.25);
    assert.equal(value(second, 'memory.percent_of_limit'), 50);
    assert.equal(value(second, 'io.write_bytes_per_second'), 3000);
    assert.equal(value(second, 'io.devices.8_0.read_bytes_per_second'), 1500);
    assert.equal(value(second, 'pressure.cpu.some_stalled_ratio'), 0.15);
  });

  test('a counter reset (container restarted under the same id) gives no rate, never a negative one', () => {
    const tracker = new CounterTracker();
    deriveContainerMetrics({ raw: raw(100), atMs: 0, hostCpus: 8 }, tracker);
    const after = deriveContainerMetrics({ raw: raw(1), atMs: 10_000, hostCpus: 8 }, tracker);
    assert.equal(value(after, 'cpu.cores'), undefined);
    assert.ok(after.every((metric) => metric.value >= 0));
  });

  test('working set floors at 0 and ignores a missing inactive_file', () => {
    assert.equal(workingSetBytes(100, 150), 0);
    assert.equal(workingSetBytes(100, undefined), 100);
    assert.equal(workingSetBytes(undefined, 5), undefined);
  });

  test('network: per interface, and a total without lo', () => {
    const tracker = new CounterTracker();
    const nic = (name: string, bytes: number) => ({
      name,
      rxBytes: bytes,
      rxPackets: bytes / 100,
      rxErrors: 0,
      rxDropped: 0,
      txBytes: bytes,
      txPackets: 1,
      txErrors: 0,
      txDropped: 0,
    });
    deriveContainerMetrics(
      { raw: raw(1), interfaces: [nic('lo', 0), nic('eth0', 0)], atMs: 0, hostCpus: 1 },
      tracker,
    );
    const metrics = deriveContainerMetrics(
      { raw: raw(2), interfaces: [nic('lo', 5000), nic('eth0', 1000)], atMs: 1000, hostCpus: 1 },
      tracker,
    );
    assert.equal(value(metrics, 'network.interfaces.lo.rx_bytes_per_second'), 5000);
    assert.equal(value(metrics, 'network.rx_bytes_per_second'), 1000);
  });
});

/** A measured container; aggregation looks at its metrics only. */
function container(name: string, metrics: Metric[]): MeasuredContainer {
  const identity: ContainerIdentity = {
    id: name,
    shortId: name,
    name,
    image: 'x',
    pid: 1,
    paused: false,
    networkMode: 'none',
    ownNetwork: true,
    groupLabels: {},
  };
  return { identity, raw: raw(10), metrics };
}

// How groups are named: testcases/app-aggregate-v2.
describe('aggregation', () => {
  const task = (n: number, cores: number) =>
    container(`t${n}`, [
      { path: ['cpu', 'cores'], value: cores, combine: 'sum' },
      { path: ['cpu', 'limit_cores'], value: 1, combine: 'sum' },
      { path: ['cpu', 'throttled_ratio'], value: cores / 10, combine: 'max' },
      { path: ['cpu', 'percent_of_limit'], value: cores * 100 },
    ]);

  test('sums additive metrics, takes the worst ratio, recomputes percent of limit from sums', () => {
    const group = aggregate([task(1, 0.5), task(2, 1)]);
    assert.equal(group.instances, 2);
    assert.equal(value(group.metrics, 'cpu.cores'), 1.5);
    assert.equal(value(group.metrics, 'cpu.limit_cores'), 2);
    assert.equal(value(group.metrics, 'cpu.throttled_ratio'), 0.1);
    assert.equal(value(group.metrics, 'cpu.percent_of_limit'), 75);
  });
});
