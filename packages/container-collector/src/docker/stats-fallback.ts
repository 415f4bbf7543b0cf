import type { ContainerStats } from 'dockerode';
import type { RawBlockDevice, RawCgroupStats } from '../cgroup/raw.js';
import { getOrCreate } from '../map-util.js';
import type { InterfaceCounters } from '../procfs/net-dev.js';

/**
 * Docker's one-shot stats (`GET /containers/{id}/stats?stream=false&one-shot=true`) in the same shape as
 * a cgroup read. Used only for a container whose cgroup files cannot be read: Docker spends 1-2 s per
 * container on this (moby #40437), so it must stay the exception.
 */
type BlkioEntry = { major: number; minor: number; op: string; value: number };

interface LooseStats {
  cpu_stats?: {
    cpu_usage?: {
      total_usage?: number;
      usage_in_usermode?: number;
      usage_in_kernelmode?: number;
      percpu_usage?: number[];
    };
    throttling_data?: { periods?: number; throttled_periods?: number; throttled_time?: number };
  };
  memory_stats?: { usage?: number; limit?: number; failcnt?: number; stats?: Record<string, number> };
  blkio_stats?: {
    io_service_bytes_recursive?: BlkioEntry[] | null;
    io_serviced_recursive?: BlkioEntry[] | null;
  };
  pids_stats?: { current?: number; limit?: number };
  networks?: Record<string, Record<string, number>>;
}

export function rawFromDockerStats(
  stats: ContainerStats | LooseStats,
  options: { cpuLimitCores?: number; hostMemoryBytes: number },
): RawCgroupStats {
  const s = stats as LooseStats;
  const cpu = s.cpu_stats ?? {};
  const memoryStats = s.memory_stats?.stats ?? {};
  // cgroup v2 responses carry v2 keys (anon, file); v1 ones carry total_rss, total_cache.
  const v2 = 'anon' in memoryStats || 'file' in memoryStats;
  const limit = s.memory_stats?.limit;
  const devices = new Map<string, RawBlockDevice>();
  const add = (entries: BlkioEntry[] | null | undefined, bytes: boolean) => {
    for (const entry of entries ?? []) {
      const name = `${entry.major}:${entry.minor}`;
      const device = getOrCreate(devices, name, () => ({
        device: name,
        readBytes: 0,
        writeBytes: 0,
        reads: 0,
        writes: 0,
      }));
      const op = entry.op.toLowerCase();
      if (op === 'read') device[bytes ? 'readBytes' : 'reads'] = entry.value;
      if (op === 'write') device[bytes ? 'writeBytes' : 'writes'] = entry.value;
    }
  };
  add(s.blkio_stats?.io_service_bytes_recursive, true);
  add(s.blkio_stats?.io_serviced_recursive, false);
  const pick = (v1Key: string, v2Key: string) =>
    v2 ? memoryStats[v2Key] : (memoryStats[`total_${v1Key}`] ?? memoryStats[v1Key]);
  return {
    source: 'docker-api',
    cpu: {
      usageNs: cpu.cpu_usage?.total_usage,
      userNs: cpu.cpu_usage?.usage_in_usermode,
      systemNs: cpu.cpu_usage?.usage_in_kernelmode,
      periods: cpu.throttling_data?.periods,
      throttledPeriods: cpu.throttling_data?.throttled_periods,
      throttledNs: cpu.throttling_data?.throttled_time,
      limitCores: options.cpuLimitCores,
    },
    memory: {
      usageBytes: s.memory_stats?.usage,
      // Docker reports the host's memory as the limit of an unlimited container.
      limitBytes: limit !== undefined && limit > 0 && limit < options.hostMemoryBytes ? limit : undefined,
      rssBytes: pick('rss', 'anon'),
      cacheBytes: pick('cache', 'file'),
      inactiveFileBytes: pick('inactive_file', 'inactive_file'),
      mappedFileBytes: pick('mapped_file', 'file_mapped'),
      swapBytes: v2 ? undefined : pick('swap', 'swap'),
      failcnt: s.memory_stats?.failcnt,
    },
    blockIo: [...devices.values()],
    pids: { current: s.pids_stats?.current, limit: s.pids_stats?.limit || undefined },
    pressure: {},
    texts: new Map(),
  };
}

/** The per-interface counters Docker's stats carry (for a container whose `/proc/<pid>/net/dev` is unreadable). */
export function interfacesFromDockerStats(stats: ContainerStats | LooseStats): InterfaceCounters[] {
  return Object.entries((stats as LooseStats).networks ?? {}).map(([name, n]) => ({
    name,
    rxBytes: n.rx_bytes ?? 0,
    rxPackets: n.rx_packets ?? 0,
    rxErrors: n.rx_errors ?? 0,
    rxDropped: n.rx_dropped ?? 0,
    txBytes: n.tx_bytes ?? 0,
    txPackets: n.tx_packets ?? 0,
    txErrors: n.tx_errors ?? 0,
    txDropped: n.tx_dropped ?? 0,
  }));
}
