import { closeSync, openSync, readSync } from 'node:fs';

/** One buffer for every read: kernel pseudo-files of a cgroup are a few KiB at most. */
let scratch = Buffer.allocUnsafeSlow(64 * 1024);

/**
 * Reads a kernel pseudo-file (cgroupfs, procfs) whole, synchronously, into a reused buffer: no
 * fstat (these files report a size of 0 or 4096 whatever they hold) and no allocation but the string.
 */
export function readPseudoFile(path: string): string {
  const fd = openSync(path, 'r');
  try {
    let length = 0;
    for (;;) {
      if (length === scratch.length) {
        const larger = Buffer.allocUnsafeSlow(scratch.length * 2);
        scratch.copy(larger);
        scratch = larger;
      }
      const read = readSync(fd, scratch, length, scratch.length - length, null);
      if (read === 0) break;
      length += read;
    }
    return scratch.toString('latin1', 0, length);
  } finally {
    closeSync(fd);
  }
}
