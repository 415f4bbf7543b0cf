import type { MeasuredContainer } from '../aggregate.js';
import type { Emit, NamingScheme } from './scheme.js';

/**
 * pyadvisor's tree, for dashboards that still read it: `<prefix>.<task>.<cgroup file-ish name>` with raw
 * cumulative counters as pyadvisor sent them (Graphite's `perSecond()` / `nonNegativeDerivative()` on
 * the dashboard side). `<task>` is MESOS_TASK_ID, or the container name for a container Marathon did not
 * start; its dots are kept as separators, as pyadvisor wrote them, so existing paths keep resolving.
 */
export const pyadvisorNaming: NamingScheme = {
  name: 'pyadvisor',
  defaultPrefix: 'pycadvisor',
  needs: { perCpu: true, memswFailcnt: true },
  render(view, out) {
    for (const container of view.containers) renderContainer(container, out.emit);
  },
};

export function pyadvisorNode(container: MeasuredContainer): string[] {
  const id = container.identity.marathon?.taskId ?? container.identity.name;
  return id.split('.').filter((part) => part !== '');
}

function renderContainer(container: MeasuredContainer, emit: Emit): void {
  const node = pyadvisorNode(container);
  const { cpu, memory } = container.raw;
  const put = (path: readonly (string | number)[], value: number | undefined) => {
    if (value !== undefined && Number.isFinite(value)) emit([...node, ...path], value);
  };
  put(['cpu', 'usage'], cpu.usageNs);
  for (const [index, usage] of (cpu.perCpuNs ?? []).entries()) put(['cpu', 'usage_percpu', index], usage);
  put(['memory', 'usage_in_bytes'], memory.usageBytes);
  put(['memory', 'limit_in_bytes'], memory.limitBytes);
  put(['memory', 'failcnt'], memory.failcnt);
  put(['memory', 'memsw', 'failcnt'], memory.memswFailcnt);
  for (const device of container.raw.blockIo) {
    // `8:0` → `8_0`: a colon is not safe in a Graphite path.
    const name = device.device.replace(':', '_');
    put([name, 'Read', 'bytes'], device.readBytes);
    put([name, 'Write', 'bytes'], device.writeBytes);
    put([name, 'Total', 'bytes'], device.readBytes + device.writeBytes);
  }
}
