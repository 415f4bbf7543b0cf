import { closeSync, openSync, readSync, statfsSync } from 'node:fs';

/** Filesystems whose files the kernel generates afresh on every read from offset 0. */
const KERNEL_FILESYSTEMS = new Set([
  0x27e0eb, // cgroup (v1)
  0x63677270, // cgroup2
  0x9fa0, // proc
  0x62656572, // sysfs
]);

/** Below this, a pseudo-file's first read is all of it (see `readWhole`). */
const SURELY_WHOLE_BYTES = 2048;

/** Errors of a kept-open file whose object went away (a removed cgroup, an exited process). */
const STALE = new Set(['ENODEV', 'ESRCH', 'ESTALE', 'EBADF', 'EINVAL']);

/**
 * Reads kernel pseudo-files (cgroupfs, procfs) whole, synchronously; one per collector.
 *
 * Each file is opened once and kept open: reading a cgroup or proc file again from offset 0 makes
 * the kernel generate it afresh, so a cycle costs one `pread` per file instead of a path walk
 * through cgroupfs, an open, a read, a second read for the end and a close. A file whose cgroup or
 * process is gone fails its read; it is then closed and opened again by path, which fails as a
 * fresh read would (ENOENT). Files not read since the last `sweep` are closed. Files on ordinary
 * filesystems (test fixtures) are not kept open, since a replaced file would keep being read
 * through the old one.
 *
 * A text read with `reuseFor` (a limit, which changes only when someone changes it) is handed out
 * again by `recent` for that long instead of being read.
 */
export class PseudoFiles {
  private readonly open = new Map<string, KeptFile>();
  /** One buffer for every read: kernel pseudo-files of a cgroup are a few KiB at most. */
  private scratch = Buffer.allocUnsafeSlow(64 * 1024);

  /**
   * The file's whole text. Throws as `openSync` does when it cannot be opened. `reuseFor`: how many
   * ms the text may be handed out again by `recent` instead of being read (0, or no function: never).
   */
  read(path: string, reuseFor?: (text: string) => number): string {
    const kept = this.open.get(path);
    if (kept) {
      try {
        const text = this.readWhole(kept.fd);
        kept.used = true;
        remember(kept, text, reuseFor);
        return text;
      } catch (error) {
        this.close(path);
        if (!STALE.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
      }
    }
    const fd = this.openFile(path);
    let keep = false;
    try {
      const text = this.readWhole(fd);
      keep = KERNEL_FILESYSTEMS.has(statfsSync(path).type);
      if (keep) {
        const entry: KeptFile = { fd, used: true, reusable: undefined, reusableUntil: 0 };
        remember(entry, text, reuseFor);
        this.open.set(path, entry);
      }
      return text;
    } finally {
      if (!keep) closeSync(fd);
    }
  }

  /**
   * The text `read` last gave for `path`, while its `reuseFor` allows; undefined when it must be
   * read. Says nothing about whether the file is still there.
   */
  recent(path: string): string | undefined {
    const kept = this.open.get(path);
    if (kept?.reusable === undefined || performance.now() >= kept.reusableUntil) return undefined;
    kept.used = true;
    return kept.reusable;
  }

  /** The cycle is over: closes the files not read since the last sweep (gone containers, exited processes). */
  sweep(): void {
    for (const [path, kept] of this.open) {
      if (kept.used) kept.used = false;
      else this.close(path);
    }
  }

  /** Files kept open now. */
  get size(): number {
    return this.open.size;
  }

  closeAll(): void {
    for (const path of [...this.open.keys()]) this.close(path);
  }

  private openFile(path: string): number {
    try {
      return openSync(path, 'r');
    } catch (error) {
      // Out of descriptors (a low RLIMIT_NOFILE, thousands of containers): let go of the kept ones
      // and read as if none were kept, rather than fail the container.
      if ((error as NodeJS.ErrnoException).code !== 'EMFILE' || this.open.size === 0) throw error;
      this.closeAll();
      return openSync(path, 'r');
    }
  }

  private close(path: string): void {
    const kept = this.open.get(path);
    if (!kept) return;
    this.open.delete(path);
    try {
      closeSync(kept.fd);
    } catch {
      // Already unusable: nothing to release.
    }
  }

  /**
   * Reads from offset 0 to the end. A file made by one `show` (nearly every cgroup file, sysfs
   * attributes) comes whole in the first read. A multi-record seq_file (`/proc/<pid>/net/dev`,
   * mountinfo) gives at most about one page (4 KiB) per read, whole records only, so a read of
   * `SURELY_WHOLE_BYTES` or more may have more behind it and is followed by another until one
   * returns 0. Below that the first read is the whole file, since no record is that long: the
   * confirming read is skipped because at an offset past 0 the kernel regenerates the file from
   * the start to find its place, doubling the cost of the small files that are most of a cycle.
   */
  private readWhole(fd: number): string {
    let length = 0;
    for (;;) {
      const room = this.scratch.length - length;
      const read = readSync(fd, this.scratch, length, room, length);
      length += read;
      if (read === 0 || (read < room && length < SURELY_WHOLE_BYTES)) break;
      if (read < room) continue;
      const larger = Buffer.allocUnsafeSlow(this.scratch.length * 2);
      this.scratch.copy(larger, 0, 0, length);
      this.scratch = larger;
    }
    return this.scratch.toString('latin1', 0, length);
  }
}

interface KeptFile {
  fd: number;
  /** Read (or reused) since the last sweep. */
  used: boolean;
  /** A text `recent` may hand out until `reusableUntil` (performance.now() ms). */
  reusable: string | undefined;
  reusableUntil: number;
}

function remember(kept: KeptFile, text: string, reuseFor: ((text: string) => number) | undefined): void {
  const ms = reuseFor?.(text) ?? 0;
  kept.reusable = ms > 0 ? unchangedKept(kept.reusable, text) : undefined;
  kept.reusableUntil = ms > 0 ? performance.now() + ms : 0;
}

/**
 * `kept` when `next` is the same text, else `next`. A text kept for a minute (a limit, the 120 KB
 * mount table of a 200-container host) that is read again unchanged keeps the copy already held:
 * replacing it each minute left the long-held copies for the rare full garbage collection, and the
 * agent's RSS crept up between them (BENCHMARKS.md section 2, "less garbage left").
 */
function unchangedKept(kept: string | undefined, next: string): string {
  return next === kept ? kept : next;
}
