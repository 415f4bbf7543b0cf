import { type BigIntStatsFs, readFileSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS_REREAD_MS } from './cgroup/files.js';
import { blockDeviceFsTypes, hostDisks, type MountEntry, parseMountinfo } from './procfs/mountinfo.js';

/** One host filesystem as `df -B1` and `df -i` show it. */
export interface DiskUsage {
  /** Where the host mounts it (the mount that names it when it is mounted more than once). */
  mount: string;
  sizeBytes: number;
  usedBytes: number;
  /** What an unprivileged writer can still use: free blocks less those reserved for root. */
  availableBytes: number;
  inodesTotal: number;
  inodesUsed: number;
  inodesAvailable: number;
}

export interface HostDisks {
  disks: DiskUsage[];
  /** Why the host's disks cannot be read (then `disks` is empty); undefined when they can. */
  problem?: string;
}

/** The host's disks, and where their mount points are reached from; rebuilt when the table changes. */
interface Chosen {
  table: string;
  /** performance.now() after which the table is read again. */
  readAgainAt: number;
  mounts: MountEntry[];
  /** Prefix of a host path as the agent reaches it: `<proc-root>/1/root`, or '' in the host's own namespace. */
  hostRoot?: string;
  problem?: string;
}

/**
 * Reads the host's disks: the mount table of the host's init (`<proc-root>/1/mountinfo`) and
 * statfs(2) of each mount point through init's root directory (`<proc-root>/1/root/<mount>`), so an
 * agent in a container sees the host's filesystems without any of them mounted into it. Reaching
 * `/proc/1/root` takes what ptrace's read check does (root with CAP_SYS_PTRACE, and no LSM policy
 * against it); an agent that cannot, but shares init's mount namespace (one run on the host itself),
 * statfs-es the mount points directly.
 */
export class HostDiskReader {
  private chosen: Chosen | undefined;
  /** Block-device filesystem types of the running kernel: they change only with a module load. */
  private blockTypes: Set<string> | undefined;

  constructor(private readonly procRoot: string) {}

  read(): HostDisks {
    const chosen = this.choose();
    if (chosen.hostRoot === undefined) return { disks: [], problem: chosen.problem };
    const disks: DiskUsage[] = [];
    for (const { mountPoint } of chosen.mounts) {
      try {
        disks.push(usage(mountPoint, statfsSync(chosen.hostRoot + mountPoint, { bigint: true })));
      } catch {
        // unmounted since the table was read: gone from the next table
      }
    }
    return { disks };
  }

  /**
   * The mount table is long on a host with many containers (their overlay and shm mounts: 120 KB
   * with 200) and host disks change rarely: it is read once a minute, like a container's limits,
   * and parsed again only when it changed. A plain read: once a minute, a kept descriptor saves nothing.
   */
  private choose(): Chosen {
    const now = performance.now();
    if (this.chosen && now < this.chosen.readAgainAt) return this.chosen;
    const path = join(this.procRoot, '1', 'mountinfo');
    const readAgainAt = now + SETTINGS_REREAD_MS;
    let table: string;
    try {
      table = readFileSync(path, 'utf8');
    } catch (error) {
      this.chosen = {
        table: '',
        readAgainAt,
        mounts: [],
        problem: `${path}: ${(error as NodeJS.ErrnoException).code}`,
      };
      return this.chosen;
    }
    if (this.chosen?.table === table) {
      this.chosen.readAgainAt = readAgainAt;
      return this.chosen;
    }
    this.blockTypes ??= readBlockTypes(this.procRoot);
    const entries = parseMountinfo(table);
    const reach = this.reachHostRoot(table);
    const mounts = reach.hostRoot === undefined ? [] : hostDisks(entries, this.blockTypes);
    this.chosen = {
      table,
      readAgainAt,
      ...reach,
      // A bind mount of a file is not a disk, even when it is the only mount of its device.
      mounts: mounts.filter((entry) => entry.root === '/' || isDirectory(reach.hostRoot + entry.mountPoint)),
    };
    return this.chosen;
  }

  private reachHostRoot(table: string): { hostRoot?: string; problem?: string } {
    const initRoot = join(this.procRoot, '1', 'root');
    try {
      statfsSync(initRoot);
      return { hostRoot: initRoot };
    } catch (error) {
      if (sameAsOwnTable(table)) return { hostRoot: '' };
      return {
        problem: `${initRoot}: ${(error as NodeJS.ErrnoException).code}: the host's mounts cannot be reached (in a container: root with --cap-add SYS_PTRACE, and AppArmor not confining the agent; see docker/README.md)`,
      };
    }
  }
}

function usage(mount: string, stats: BigIntStatsFs): DiskUsage {
  // Node reports the kernel's f_bsize; f_frsize, df's unit, is the same for block-device filesystems.
  const block = stats.bsize;
  const bytes = (blocks: bigint) => Number(blocks * block);
  return {
    mount,
    sizeBytes: bytes(stats.blocks),
    usedBytes: bytes(stats.blocks - stats.bfree),
    availableBytes: bytes(stats.bavail),
    inodesTotal: Number(stats.files),
    inodesUsed: Number(stats.files - stats.ffree),
    // Linux's f_favail is f_ffree: no inodes are reserved for root.
    inodesAvailable: Number(stats.ffree),
  };
}

function readBlockTypes(procRoot: string): Set<string> | undefined {
  try {
    return blockDeviceFsTypes(readFileSync(join(procRoot, 'filesystems'), 'utf8'));
  } catch {
    return undefined; // then a source that is a path (`/dev/sda1`) marks a disk
  }
}

/** True when the agent's own mount table is `table`: it is in the host's mount namespace. */
function sameAsOwnTable(table: string): boolean {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8') === table;
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
