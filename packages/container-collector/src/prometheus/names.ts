import type { Family, FamilyType } from '@stoker/shared';

/**
 * cAdvisor's names (google/cadvisor metrics/prometheus.go) for the figures it also has, with its
 * units and types, so dashboards and alerts written against cAdvisor keep working; Stoker's own
 * figures and the app, label, host and all-container aggregates go under `stoker_*`.
 */
const family = (name: string, type: FamilyType, help: string): Family => ({ name, type, help });

/** Figures read from a container's raw counters (cumulative, base units), never from its rates. */
export const CADVISOR = {
  cpuUsage: family(
    'container_cpu_usage_seconds_total',
    'counter',
    'Cumulative cpu time consumed in seconds.',
  ),
  cpuUser: family(
    'container_cpu_user_seconds_total',
    'counter',
    'Cumulative user cpu time consumed in seconds.',
  ),
  cpuSystem: family(
    'container_cpu_system_seconds_total',
    'counter',
    'Cumulative system cpu time consumed in seconds.',
  ),
  cfsPeriods: family(
    'container_cpu_cfs_periods_total',
    'counter',
    'Number of elapsed enforcement period intervals.',
  ),
  cfsThrottledPeriods: family(
    'container_cpu_cfs_throttled_periods_total',
    'counter',
    'Number of throttled period intervals.',
  ),
  cfsThrottledSeconds: family(
    'container_cpu_cfs_throttled_seconds_total',
    'counter',
    'Total time duration the container has been throttled.',
  ),
  memoryUsage: family(
    'container_memory_usage_bytes',
    'gauge',
    'Current memory usage in bytes, including all memory regardless of when it was accessed',
  ),
  memoryWorkingSet: family('container_memory_working_set_bytes', 'gauge', 'Current working set in bytes.'),
  memoryRss: family('container_memory_rss', 'gauge', 'Size of RSS in bytes.'),
  memoryCache: family('container_memory_cache', 'gauge', 'Number of bytes of page cache memory.'),
  memoryMappedFile: family('container_memory_mapped_file', 'gauge', 'Size of memory mapped files in bytes.'),
  memorySwap: family('container_memory_swap', 'gauge', 'Container swap usage in bytes.'),
  memoryLimit: family('container_spec_memory_limit_bytes', 'gauge', 'Memory limit for the container.'),
  memorySwapLimit: family(
    'container_spec_memory_swap_limit_bytes',
    'gauge',
    'Memory swap limit for the container.',
  ),
  memoryReservationLimit: family(
    'container_spec_memory_reservation_limit_bytes',
    'gauge',
    'Memory reservation limit for the container.',
  ),
  fsReadBytes: family('container_fs_reads_bytes_total', 'counter', 'Cumulative count of bytes read'),
  fsWriteBytes: family('container_fs_writes_bytes_total', 'counter', 'Cumulative count of bytes written'),
  fsReads: family('container_fs_reads_total', 'counter', 'Cumulative count of reads completed'),
  fsWrites: family('container_fs_writes_total', 'counter', 'Cumulative count of writes completed'),
} as const;

/** Network counters per interface, by the field of `/proc/<pid>/net/dev` they come from. */
export const CADVISOR_NETWORK = {
  rxBytes: family('container_network_receive_bytes_total', 'counter', 'Cumulative count of bytes received'),
  txBytes: family(
    'container_network_transmit_bytes_total',
    'counter',
    'Cumulative count of bytes transmitted',
  ),
  rxPackets: family(
    'container_network_receive_packets_total',
    'counter',
    'Cumulative count of packets received',
  ),
  txPackets: family(
    'container_network_transmit_packets_total',
    'counter',
    'Cumulative count of packets transmitted',
  ),
  rxErrors: family(
    'container_network_receive_errors_total',
    'counter',
    'Cumulative count of errors encountered while receiving',
  ),
  txErrors: family(
    'container_network_transmit_errors_total',
    'counter',
    'Cumulative count of errors encountered while transmitting',
  ),
  rxDropped: family(
    'container_network_receive_packets_dropped_total',
    'counter',
    'Cumulative count of packets dropped while receiving',
  ),
  txDropped: family(
    'container_network_transmit_packets_dropped_total',
    'counter',
    'Cumulative count of packets dropped while transmitting',
  ),
} as const;

/**
 * A container's Graphite leaves (dotted path below the container) that Prometheus gets as they are:
 * gauges and counts Graphite already receives unrated. One entry per figure; a leaf not listed here
 * is a rate of a counter exposed from the raw read above, or a percent worked out from two figures
 * (Prometheus divides for itself).
 */
export const CONTAINER_LEAVES: Readonly<Record<string, Family>> = {
  'cpu.limit_cores': family('stoker_container_cpu_limit_cores', 'gauge', 'CPU limit (CFS quota / period)'),
  'memory.failcnt': family(
    'stoker_container_memory_limit_hits_total',
    'counter',
    'Times the memory limit was hit (memory.failcnt, memory.events max)',
  ),
  'memory.oom_kills': family(
    'stoker_container_memory_oom_kills_total',
    'counter',
    "Processes the kernel OOM-killed in the container's cgroup (while it exists)",
  ),
  'pids.current': family('stoker_container_pids', 'gauge', 'Processes and threads in the container'),
  'pids.limit': family('stoker_container_pids_limit', 'gauge', 'Limit of processes and threads'),
};

/**
 * Deaths and restarts Docker's events showed (docker/lifecycle.ts), by the field they come from:
 * one entry per figure, for a container, an app and all containers on the host.
 */
export type LifecycleField = 'oomKillsTotal' | 'exitsTotal' | 'restartsTotal' | 'lastExitCode';
export const CONTAINER_LIFECYCLE: Readonly<Record<LifecycleField, Family>> = {
  oomKillsTotal: family(
    'container_oom_events_total',
    'counter',
    'Count of out of memory events observed for the container',
  ),
  exitsTotal: family('stoker_container_exits_total', 'counter', 'Deaths of the container seen by the agent'),
  restartsTotal: family(
    'stoker_container_restarts_total',
    'counter',
    "Restarts of the container by Docker's restart policy",
  ),
  lastExitCode: family('stoker_container_last_exit_code', 'gauge', 'Exit code of its last death'),
};
export const APP_LIFECYCLE: Readonly<Record<LifecycleField | 'taskStartsTotal' | 'taskExitsTotal', Family>> =
  {
    oomKillsTotal: family(
      'stoker_app_oom_kills_total',
      'counter',
      "OOM kills in the app's tasks on this host",
    ),
    exitsTotal: family('stoker_app_exits_total', 'counter', "Deaths of the app's tasks on this host"),
    restartsTotal: family('stoker_app_restarts_total', 'counter', "Restarts of the app's tasks on this host"),
    lastExitCode: family('stoker_app_last_exit_code', 'gauge', "Exit code of the app's last task death"),
    taskStartsTotal: family(
      'stoker_app_task_starts_total',
      'counter',
      'Tasks of the app started on this host',
    ),
    taskExitsTotal: family('stoker_app_task_exits_total', 'counter', 'Tasks of the app ended on this host'),
  };
export const ALL_LIFECYCLE: Readonly<Record<LifecycleField, Family>> = {
  oomKillsTotal: family(
    'stoker_containers_oom_kills_total',
    'counter',
    'OOM kills in containers on this host',
  ),
  exitsTotal: family('stoker_containers_exits_total', 'counter', 'Deaths of containers on this host'),
  restartsTotal: family('stoker_containers_restarts_total', 'counter', 'Restarts of containers on this host'),
  lastExitCode: family('stoker_containers_last_exit_code', 'gauge', 'Exit code of the last container death'),
};
