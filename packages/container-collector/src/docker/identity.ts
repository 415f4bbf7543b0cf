import type { ContainerInspectInfo } from 'dockerode';

/**
 * Who a container is, learnt once from `GET /containers/{id}/json` and refreshed only on events
 * (start, rename, pause...), never per cycle: inspecting 200 containers every 10 s is what makes other
 * agents slow.
 */
export interface ContainerIdentity {
  id: string;
  shortId: string;
  /** Docker name without the leading `/`. */
  name: string;
  image: string;
  /** Main process on the host (0 when not running); its `/proc/<pid>/cgroup` and `net/dev` are read. */
  pid: number;
  paused: boolean;
  /** `host` or `container:<id>` share another namespace: their interfaces are not theirs to report. */
  networkMode: string;
  ownNetwork: boolean;
  /** CPU limit Docker was given (`--cpus`, or quota/period); used when stats come from Docker's API. */
  cpuLimitCores?: number;
  marathon?: MarathonIdentity;
  /** `MESOS_TASK_ID` of the container's environment, whatever framework started it (Marathon or not). */
  mesosTaskId?: string;
  /** Mesos' Docker containerizer names containers `mesos-<container-id>` or `mesos-<agent-id>.<container-id>`. */
  mesosContainerId?: string;
  mesosAgentId?: string;
  /** Allow-listed labels/env (label wins over env) that may appear in metric names. */
  groupLabels: Record<string, string>;
}

export interface MarathonIdentity {
  /** `/es/logs/data`. */
  appId: string;
  /** `es_logs_data.f726a4c5-be85-11e4-82c2-56847afe9799`; undefined when only the app id is known. */
  taskId?: string;
  /** First port Marathon assigned (`PORT0`): tells several ES nodes of one app on one host apart. */
  port0?: number;
  ports: number[];
  resourceCpus?: number;
  resourceMemMiB?: number;
  /** `MARATHON_APP_LABEL_<NAME>` env, as `<NAME>` → value. */
  labels: Record<string, string>;
}

/**
 * `KEY=value` list to a map. Splits at the FIRST `=` only: `JAVA_OPTS=-Dx=y` keeps `-Dx=y` (pyadvisor
 * split at every `=` and crashed). An entry without `=` is a variable set to nothing.
 */
export function parseEnv(env: readonly string[] | null | undefined): Map<string, string> {
  const result = new Map<string, string>();
  for (const entry of env ?? []) {
    const at = entry.indexOf('=');
    if (at === 0) continue;
    if (at < 0) result.set(entry, '');
    else result.set(entry.slice(0, at), entry.slice(at + 1));
  }
  return result;
}

/** `mesos-<container-id>` or `mesos-<agent-id>.<container-id>`. */
export function parseMesosName(name: string): { containerId: string; agentId?: string } | undefined {
  const match = /^mesos-(?:([^.]+)\.)?([^.]+)$/.exec(name);
  if (!match) return undefined;
  return match[1] ? { containerId: match[2]!, agentId: match[1] } : { containerId: match[2]! };
}

function positiveNumber(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Reads Marathon's and Mesos' env and labels; undefined for a container Marathon did not start. */
export function marathonIdentity(
  env: ReadonlyMap<string, string>,
  labels: Readonly<Record<string, string>>,
): MarathonIdentity | undefined {
  const appId = env.get('MARATHON_APP_ID') || labels.MARATHON_APP_ID;
  // Marathon >= 1.5 sets the MESOS_TASK_ID label too; env is what older versions and pyadvisor used.
  const taskId = env.get('MESOS_TASK_ID') || labels.MESOS_TASK_ID || undefined;
  if (!appId) return undefined;
  const ports = (env.get('PORTS') ?? '')
    .split(',')
    .map((port) => positiveNumber(port))
    .filter((port): port is number => port !== undefined);
  const marathonLabels: Record<string, string> = {};
  for (const [key, value] of env) {
    if (key.startsWith('MARATHON_APP_LABEL_'))
      marathonLabels[key.slice('MARATHON_APP_LABEL_'.length)] = value;
  }
  const identity: MarathonIdentity = { appId, ports, labels: marathonLabels };
  if (taskId) identity.taskId = taskId;
  const port0 = positiveNumber(env.get('PORT0')) ?? ports[0];
  if (port0 !== undefined) identity.port0 = port0;
  const cpus = positiveNumber(env.get('MARATHON_APP_RESOURCE_CPUS'));
  if (cpus !== undefined) identity.resourceCpus = cpus;
  const mem = positiveNumber(env.get('MARATHON_APP_RESOURCE_MEM'));
  if (mem !== undefined) identity.resourceMemMiB = mem;
  return identity;
}

/**
 * Builds the identity from an inspect response. `groupLabelKeys` is the allow-list (`--group-label`):
 * only those labels (or env variables, or MARATHON_APP_LABEL_ names) may ever reach a metric name.
 */
export function identityFromInspect(
  info: ContainerInspectInfo,
  groupLabelKeys: readonly string[],
): ContainerIdentity {
  const env = parseEnv(info.Config?.Env);
  const labels = info.Config?.Labels ?? {};
  const name = (info.Name ?? '').replace(/^\//, '') || info.Id.slice(0, 12);
  const networkMode = info.HostConfig?.NetworkMode ?? 'default';
  const marathon = marathonIdentity(env, labels);
  const groupLabels: Record<string, string> = {};
  for (const key of groupLabelKeys) {
    const value = labels[key] ?? env.get(key) ?? marathon?.labels[key];
    if (value !== undefined && value !== '') groupLabels[key] = value;
  }
  const identity: ContainerIdentity = {
    id: info.Id,
    shortId: info.Id.slice(0, 12),
    name,
    image: info.Config?.Image ?? info.Image ?? '',
    pid: info.State?.Pid ?? 0,
    paused: info.State?.Paused ?? false,
    networkMode,
    ownNetwork: networkMode !== 'host' && !networkMode.startsWith('container:'),
    groupLabels,
  };
  const hostConfig = info.HostConfig ?? {};
  const cpuLimitCores = hostConfig.NanoCpus
    ? hostConfig.NanoCpus / 1e9
    : hostConfig.CpuQuota && hostConfig.CpuQuota > 0 && hostConfig.CpuPeriod
      ? hostConfig.CpuQuota / hostConfig.CpuPeriod
      : undefined;
  if (cpuLimitCores) identity.cpuLimitCores = cpuLimitCores;
  if (marathon) identity.marathon = marathon;
  const mesosTaskId = env.get('MESOS_TASK_ID');
  if (mesosTaskId) identity.mesosTaskId = mesosTaskId;
  const mesos = parseMesosName(name);
  if (mesos) {
    identity.mesosContainerId = mesos.containerId;
    if (mesos.agentId) identity.mesosAgentId = mesos.agentId;
  }
  return identity;
}

/**
 * Marathon app id as the raw value of one name segment: `/es/logs/data` → `es/logs/data`, which the
 * sanitiser turns into `es_logs_data` (Marathon's own task-id prefix). The inner `/` are left to the
 * sanitiser, so two ids it folds together (`/es/logs/data`, `/es/logs.data`) are still told apart.
 */
export function appSegment(appId: string): string {
  return appId.replace(/^\/+|\/+$/g, '');
}

/** The prefix Marathon gives an app's task ids: `/es/logs/data` → `es_logs_data`. */
export function taskIdPrefix(appId: string): string {
  return appSegment(appId).replace(/\//g, '_');
}
