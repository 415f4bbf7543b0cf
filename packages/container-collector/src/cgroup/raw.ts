import type { Pressure } from './parse.js';

/**
 * One container's counters as read, in base units (nanoseconds, bytes), the same shape whether they came
 * from cgroup v1, cgroup v2 or Docker's stats API. Cumulative counters stay cumulative here; rates are
 * derived later (metrics.ts). A field the source does not have is left undefined, never 0.
 */
export interface RawCpu {
  usageNs?: number;
  userNs?: number;
  systemNs?: number;
  periods?: number;
  throttledPeriods?: number;
  throttledNs?: number;
  /** CFS quota / period; undefined when the container has no CPU limit. */
  limitCores?: number;
}

export interface RawMemory {
  usageBytes?: number;
  /** The limits below are undefined when none is set (the kernel's "unlimited"). */
  limitBytes?: number;
  /** v1 `memory.memsw.limit_in_bytes` (memory + swap), v2 `memory.swap.max` (swap alone). */
  swapLimitBytes?: number;
  /** What cAdvisor calls the reservation: v1 `memory.soft_limit_in_bytes`, v2 `memory.min`. */
  reservationBytes?: number;
  /** Anonymous memory: v1 `total_rss`, v2 `anon`. */
  rssBytes?: number;
  /** Page cache: v1 `total_cache`, v2 `file`. */
  cacheBytes?: number;
  inactiveFileBytes?: number;
  mappedFileBytes?: number;
  swapBytes?: number;
  /** Times the limit was hit: v1 `memory.failcnt`, v2 `memory.events` `max`. */
  failcnt?: number;
  /** Processes killed by the OOM killer in this cgroup (v1 `memory.oom_control`, v2 `memory.events`). */
  oomKills?: number;
}

export interface RawBlockDevice {
  /** `major:minor`. */
  device: string;
  readBytes: number;
  writeBytes: number;
  reads: number;
  writes: number;
}

export interface RawPids {
  current?: number;
  limit?: number;
}

export interface RawCgroupStats {
  source: 'cgroup-v1' | 'cgroup-v2' | 'docker-api';
  cpu: RawCpu;
  memory: RawMemory;
  blockIo: RawBlockDevice[];
  pids: RawPids;
  pressure: { cpu?: Pressure; memory?: Pressure; io?: Pressure };
  /**
   * Text of each file the naming scheme asked for beyond these figures (`cpu.shares`, ...), by file
   * name, as read; a file that could not be read is absent. Empty for the Docker stats API fallback.
   */
  texts: ReadonlyMap<string, string>;
}
