import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Another live agent holds the spool directory: two writers would interleave and resend each other's lines. */
export class SpoolInUseError extends Error {}

/**
 * Takes `<dir>/lock` for this process: created with O_EXCL and holding the pid. A lock whose pid is
 * no longer alive, or is this very pid (a container's PID 1 restarted), is stale and taken over.
 * Pids are only seen within one PID namespace: two containers sharing a host path are not told apart
 * (the Marathon files never place two agents on one spool). Returns the function that releases it.
 */
export function lockSpoolDirectory(dir: string): () => void {
  const path = join(dir, 'lock');
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw error;
    }
    let holder = Number.NaN;
    try {
      holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
    } catch {
      // Unreadable or vanished: treated as stale.
    }
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new SpoolInUseError(
        `spool directory ${dir} is in use by another agent (pid ${holder}, lock file ${path}); give each agent its own --spool-dir`,
      );
    }
    try {
      unlinkSync(path);
    } catch {
      // Removed meanwhile by its owner: try again.
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
