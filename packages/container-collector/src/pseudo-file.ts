import { closeSync, openSync, readSync, statfsSync } from 'node:fs';
import { ReadAhead } from './read-ahead.js';

/** One buffer for every read: kernel pseudo-files of a cgroup are a few KiB at most. */
let scratch = Buffer.allocUnsafeSlow(64 * 1024);

/** Filesystems whose files the kernel generates afresh on every read from offset 0. */
const KERNEL_FILESYSTEMS = new Set([
  0x27e0eb, // cgroup (v1)
  0x63677270, // cgroup2
  0x9fa0, // proc
  0x62656572, // sysfs
]);

/** Errors of a kept-open file whose object went away (a removed cgroup, an exited process). */
const STALE = new Set(['ENODEV', 'ESRCH', 'ESTALE', 'EBADF', 'EINVAL']);

/**
 * Reads kernel pseudo-files (cgroupfs, procfs) whole, synchronously, into a reused buffer.
 *
 * Each file is opened once and kept open: reading a cgroup or proc file again from offset 0 makes
 * the kernel generate it afresh, so a cycle costs one `pread` per file instead of a path walk
 * through cgroupfs, an open, a read, a second read for the end and a close — for 200 containers and
 * ~19 files each, most of a cycle. A file whose cgroup or process is gone fails its read; it is then
 * closed and opened again by path, which fails as a fresh read would (ENOENT). Files not read for a
 * whole cycle are closed (`sweep`). Files on ordinary filesystems (test fixtures) are not kept open,
 * since a replaced file would keep being read through the old one.
 */
export class PseudoFiles {
  private readonly open = new Map<string, KeptFile>();
  private readAhead: ReadAhead | undefined;
  /** Kept files read in this cycle (between `begin` and `sweep`). */
  private readsThisCycle = 0;

  /**
   * @param readAheadFrom a cycle that reads at least this many kept files starts a `ReadAhead`
   *   thread, which reads them in the next cycles (0: never).
   */
  constructor(private readonly readAheadFrom = 0) {}

  /** A collection cycle begins (the read-ahead thread, if any, starts reading). */
  begin(): void {
    this.readsThisCycle = 0;
    this.readAhead?.begin();
  }

  /**
   * The file's whole text. Throws as `openSync` does when it cannot be opened. `reuseFor`: how many
   * ms the text may be handed out again by `recent` instead of being read (0, or no function: never).
   */
  read(path: string, reuseFor?: (text: string) => number): string {
    const kept = this.open.get(path);
    if (kept) {
      try {
        const text = (reuseFor ? undefined : this.readAhead?.take(path)) ?? readWhole(kept.fd);
        kept.used = true;
        remember(kept, text, reuseFor);
        this.readKept(path, text, reuseFor);
        return text;
      } catch (error) {
        this.close(path);
        if (!STALE.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
      }
    }
    const fd = this.openFile(path);
    let keep = false;
    try {
      const text = readWhole(fd);
      keep = KERNEL_FILESYSTEMS.has(statfsSync(path).type);
      if (keep) {
        const entry: KeptFile = { fd, used: true, reusable: undefined, reusableUntil: 0 };
        remember(entry, text, reuseFor);
        this.open.set(path, entry);
        this.readKept(path, text, reuseFor);
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

  /**
   * Counts a kept file read this cycle and puts it on the read-ahead list, unless its text may be
   * reused (a limit): such a file is read once a minute, and on the list it would change the list
   * twice a minute (each change costs both threads a new list).
   */
  private readKept(path: string, text: string, reuseFor: ((text: string) => number) | undefined): void {
    this.readsThisCycle++;
    if (!reuseFor) this.readAhead?.read(path, text.length);
  }

  /**
   * The cycle is over: closes the files not read since the last sweep (gone containers, exited
   * processes); hands this cycle's list to the read-ahead thread (started once cycles are big).
   */
  sweep(): void {
    this.closeUnused();
    if (!this.readAhead && this.readAheadFrom > 0 && this.readsThisCycle >= this.readAheadFrom) {
      // Started now, it gets its first list from the next cycle.
      this.readAhead = new ReadAhead((path) => this.readKeptNow(path));
    } else {
      this.readAhead?.end();
    }
  }

  /** For the read-ahead thread's caller: a kept file's text now, undefined when it is not kept or fails. */
  private readKeptNow(path: string): string | undefined {
    const kept = this.open.get(path);
    if (!kept) return undefined;
    try {
      return readWhole(kept.fd);
    } catch {
      return undefined; // read again when wanted, which closes it and fails as a fresh read would
    }
  }

  /**
   * A method of its own: V8 compiles the hot loop on its own (on-stack replacement), and code after
   * such a loop in the same function was deoptimized at every call (seen with `--trace-deopt`).
   */
  private closeUnused(): void {
    for (const [path, kept] of this.open) {
      if (kept.used) kept.used = false;
      else this.close(path);
    }
  }

  /** Texts read ahead (see `ReadAhead.served`) so far. */
  get readAheadServed(): number {
    return this.readAhead?.served ?? 0;
  }

  /** Files kept open now. */
  get size(): number {
    return this.open.size;
  }

  closeAll(): void {
    for (const path of [...this.open.keys()]) this.close(path);
    this.readAhead?.close();
    this.readAhead = undefined;
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
  // The same text again (a limit nobody changed): the one kept stays, so the new one dies young
  // instead of replacing a long-lived string (which would be garbage in the old generation).
  kept.reusable = ms > 0 ? (text === kept.reusable ? kept.reusable : text) : undefined;
  kept.reusableUntil = ms > 0 ? performance.now() + ms : 0;
}

/**
 * Reads from offset 0 to the end. A pseudo-file's read fills the buffer until its text ends, so a
 * read shorter than the room left is the end (no second read to see 0); a full buffer grows.
 */
function readWhole(fd: number): string {
  let length = 0;
  for (;;) {
    const room = scratch.length - length;
    const read = readSync(fd, scratch, length, room, length);
    length += read;
    if (read < room) break;
    const larger = Buffer.allocUnsafeSlow(scratch.length * 2);
    scratch.copy(larger, 0, 0, length);
    scratch = larger;
  }
  return scratch.toString('latin1', 0, length);
}

/**
 * Kept files a cycle reads before a read-ahead thread pays: 500 is ~40 containers; below, a cycle
 * takes a few ms and the thread's memory would buy nothing.
 */
export const READ_AHEAD_FROM = 500;

/** The pseudo-files of this process, shared by every reader (the collection job sweeps them). */
export const pseudoFiles = new PseudoFiles(READ_AHEAD_FROM);

/** Reads a kernel pseudo-file whole (see `PseudoFiles`). */
export function readPseudoFile(path: string): string {
  return pseudoFiles.read(path);
}
