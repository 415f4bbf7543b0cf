import { type Exposition, type Family, familyNamed, type Labels, metricName } from '@stoker/shared';
import { aggregate, groupByApp, groupByLabel, type MeasuredContainer } from '../aggregate.js';
import type { LifecycleCounts, LifecycleNode } from '../docker/lifecycle.js';
import type { Metric } from '../metrics.js';
import type { CycleView } from '../naming/scheme.js';
import {
  ALL_LIFECYCLE,
  APP_LIFECYCLE,
  CADVISOR,
  CADVISOR_NETWORK,
  CONTAINER_LEAVES,
  CONTAINER_LIFECYCLE,
} from './names.js';

/**
 * One cycle as Prometheus series: per container cAdvisor's names from its raw counters (no rate
 * goes out: Prometheus has rate()), labelled `id`, `name`, `image` and, for a Marathon task,
 * `marathon_app` and `mesos_task`; per app, allow-listed label value, all containers and the host
 * the same aggregates Graphite gets, as `stoker_app_*`, `stoker_label_*`, `stoker_containers_*`
 * and `stoker_host_*`. Yields after each container.
 */
export function* exposeCycle(out: Exposition, view: CycleView): Generator<void> {
  for (const container of view.containers) {
    exposeContainer(out, container, containerLabels(container), view.blockDeviceName);
    yield;
  }
  for (const [appId, tasks] of groupByApp(view.containers)) {
    const labels: Labels = [['marathon_app', appId]];
    const group = aggregate(tasks);
    out.add(APP_INSTANCES, labels, group.instances);
    exposeGroup(out, 'stoker_app', group.metrics, labels);
  }
  for (const [label, values] of groupByLabel(view.containers)) {
    for (const [value, members] of values) {
      const labels: Labels = [
        ['label', label],
        ['value', value],
      ];
      const group = aggregate(members);
      out.add(LABEL_INSTANCES, labels, group.instances);
      exposeGroup(out, 'stoker_label', group.metrics, labels);
    }
  }
  const all = aggregate(view.containers);
  out.add(ALL_INSTANCES, [], all.instances);
  exposeGroup(out, 'stoker_containers', all.metrics, []);
  exposeGroup(out, 'stoker_host', view.hostMetrics, []);
  const lifecycle = view.lifecycle;
  if (!lifecycle) return;
  const running = new Map(view.containers.map((container) => [container.identity.name, container]));
  for (const { node, counts } of lifecycle.containers) {
    const container = running.get(node.name);
    exposeLifecycle(
      out,
      CONTAINER_LIFECYCLE,
      container ? containerLabels(container) : nodeLabels(node),
      counts,
    );
  }
  for (const [appId, counts] of lifecycle.apps)
    exposeLifecycle(out, APP_LIFECYCLE, [['marathon_app', appId]], counts);
  exposeLifecycle(out, ALL_LIFECYCLE, [], lifecycle.all);
}

/** Each figure the table names (one entry per figure), under `labels`. */
function exposeLifecycle(
  out: Exposition,
  families: Readonly<Partial<Record<keyof LifecycleCounts, Family>>>,
  labels: Labels,
  counts: LifecycleCounts,
): void {
  for (const [field, family] of Object.entries(families) as [keyof LifecycleCounts, Family][]) {
    const value = counts[field];
    if (value !== undefined) out.add(family, labels, value);
  }
}

/** A container the agent no longer sees (its deaths still count): its name and Marathon labels. */
function nodeLabels(node: LifecycleNode): Labels {
  const labels: [string, string][] = [['name', node.name]];
  if (node.marathon) {
    labels.push(['marathon_app', node.marathon.appId]);
    if (node.marathon.taskId) labels.push(['mesos_task', node.marathon.taskId]);
  }
  return labels;
}

const APP_INSTANCES: Family = {
  name: 'stoker_app_instances',
  type: 'gauge',
  help: "The app's tasks running on this host",
};
const LABEL_INSTANCES: Family = {
  name: 'stoker_label_instances',
  type: 'gauge',
  help: 'Containers on this host with this value of an allow-listed label',
};
const ALL_INSTANCES: Family = { name: 'stoker_containers', type: 'gauge', help: 'Containers on this host' };

/** cAdvisor's labels (`id` as its cgroupfs name), then Marathon's. */
export function containerLabels(container: MeasuredContainer): Labels {
  const { identity } = container;
  const labels: [string, string][] = [
    ['id', `/docker/${identity.id}`],
    ['name', identity.name],
    ['image', identity.image],
  ];
  if (identity.marathon) {
    labels.push(['marathon_app', identity.marathon.appId]);
    if (identity.marathon.taskId) labels.push(['mesos_task', identity.marathon.taskId]);
  }
  return labels;
}

const NS = 1e-9;

function exposeContainer(
  out: Exposition,
  container: MeasuredContainer,
  labels: Labels,
  blockDeviceName: CycleView['blockDeviceName'],
): void {
  const { cpu, memory } = container.raw;
  const put = (family: Family, value: number | undefined, scale = 1, extra?: Labels) => {
    if (value !== undefined) out.add(family, extra ? [...labels, ...extra] : labels, value * scale);
  };
  put(CADVISOR.cpuUsage, cpu.usageNs, NS, [['cpu', 'total']]);
  put(CADVISOR.cpuUser, cpu.userNs, NS);
  put(CADVISOR.cpuSystem, cpu.systemNs, NS);
  put(CADVISOR.cfsPeriods, cpu.periods);
  put(CADVISOR.cfsThrottledPeriods, cpu.throttledPeriods);
  put(CADVISOR.cfsThrottledSeconds, cpu.throttledNs, NS);
  put(CADVISOR.memoryUsage, memory.usageBytes);
  put(CADVISOR.memoryRss, memory.rssBytes);
  put(CADVISOR.memoryCache, memory.cacheBytes);
  put(CADVISOR.memoryMappedFile, memory.mappedFileBytes);
  put(CADVISOR.memorySwap, memory.swapBytes);
  // cAdvisor sends the three limits of every container with a memory cgroup, 0 where none is set
  // (its specMemoryValue); Docker's stats API, the fallback, shows no limit file, so nothing then.
  const spec = container.raw.source === 'docker-api' ? undefined : 0;
  put(CADVISOR.memoryLimit, memory.limitBytes ?? spec);
  put(CADVISOR.memorySwapLimit, memory.swapLimitBytes ?? spec);
  put(CADVISOR.memoryReservationLimit, memory.reservationBytes ?? spec);
  for (const device of container.raw.blockIo) {
    // cAdvisor names the device by its node (`/dev/sda`); `major:minor` when sysfs does not list it.
    const name = blockDeviceName(device.device);
    const extra: Labels = [['device', name === undefined ? device.device : `/dev/${name}`]];
    put(CADVISOR.fsReadBytes, device.readBytes, 1, extra);
    put(CADVISOR.fsWriteBytes, device.writeBytes, 1, extra);
    put(CADVISOR.fsReads, device.reads, 1, extra);
    put(CADVISOR.fsWrites, device.writes, 1, extra);
  }
  for (const nic of container.interfaces ?? []) {
    const extra: Labels = [['interface', nic.name]];
    for (const field of NETWORK_FIELDS) put(CADVISOR_NETWORK[field], nic[field], 1, extra);
  }
  for (const metric of container.metrics) {
    const path = dotted(metric.path);
    // The working set as Graphite got it (usage minus inactive file), so both show one number.
    if (path === 'memory.working_set_bytes') out.add(CADVISOR.memoryWorkingSet, labels, metric.value);
    const family = CONTAINER_LEAVES[path];
    if (family) out.add(family, labels, metric.value);
  }
}

const NETWORK_FIELDS = Object.keys(CADVISOR_NETWORK) as (keyof typeof CADVISOR_NETWORK)[];

/**
 * An aggregate's metrics as `<scope>_<path>` gauges (rates and sums as Graphite has them), a device
 * or interface in the path as a label.
 */
function exposeGroup(out: Exposition, scope: string, metrics: readonly Metric[], labels: Labels): void {
  for (const metric of metrics) {
    const path = dotted(metric.path);
    const { name: pathName, extra } = groupName(metric.path);
    // `_count` is a summary's suffix to Prometheus: `cpu.count` is `cpus`.
    const name = pathName.replace(/_count$/, 's');
    out.add(
      familyNamed(
        `${scope}_${name}`,
        name.endsWith('_total') ? 'counter' : 'gauge',
        `Graphite's ${path.replace(/\.(devices|interfaces)\.[^.]+/, '.$1.<name>')}`,
      ),
      extra ? [...labels, extra] : labels,
      metric.value,
    );
  }
}

/** `io.devices.8_0.read_bytes_per_second` → `io_read_bytes_per_second` with `device="8_0"`. */
function groupName(path: readonly string[]): { name: string; extra?: readonly [string, string] } {
  const at = path.findIndex((segment) => segment === 'devices' || segment === 'interfaces');
  if (at < 0 || at + 1 >= path.length) return { name: metricName(path.join('_')) };
  const label = path[at] === 'devices' ? 'device' : 'interface';
  return {
    name: metricName([...path.slice(0, at), ...path.slice(at + 2)].join('_')),
    extra: [label, path[at + 1]!],
  };
}

const dottedByPath = new WeakMap<readonly string[], string>();
function dotted(path: readonly string[]): string {
  let joined = dottedByPath.get(path);
  if (joined === undefined) {
    joined = path.join('.');
    dottedByPath.set(path, joined);
  }
  return joined;
}
