/**
 * What a benchmark reads of another process, straight from /proc: CPU time (utime + stime, which
 * includes threads that already exited), current and peak resident memory. Nothing here asks the
 * process itself, so the measured process pays nothing for being measured.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Kernel clock ticks per second (USER_HZ), the unit of utime/stime in /proc/<pid>/stat. */
export const CLOCK_TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time (user + system, all threads, dead ones included) a process has used, in ms; with
 * `children`, also that of the children it has waited for (cutime + cstime), e.g. a `df` that
 * systeminformation runs.
 */
export function cpuMs(pid: number, options: { children?: boolean } = {}): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: split after its closing ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime 15, cutime 16, cstime 17.
  let ticks = Number(fields[11]) + Number(fields[12]);
  if (options.children) ticks += Number(fields[13]) + Number(fields[14]);
  return (ticks * 1000) / CLOCK_TICKS_PER_S;
}

/** CPU ms of the children a process has waited for (cutime + cstime): a finished `docker stats`. */
export function reapedChildrenCpuMs(pid: number): number {
  return cpuMs(pid, { children: true }) - cpuMs(pid);
}

/** Summed CPU ms of several processes; a process that has gone counts as 0. */
export function cpuMsOf(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += cpuMs(pid);
    } catch {}
  }
  return total;
}

function statusField(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(match[1]) * 1024;
}

/** Peak resident set size since the process started (VmHWM), bytes. */
export function peakRssBytes(pid: number): number {
  return statusField(pid, 'VmHWM');
}

/** Current resident set size (VmRSS), bytes. */
export function rssBytes(pid: number): number {
  return statusField(pid, 'VmRSS');
}

/** Pids whose command line contains `needle` (e.g. a private dockerd's exec root). */
export function pidsWithCmdline(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(needle)) pids.push(Number(entry));
    } catch {}
  }
  return pids;
}

/** The command name (comm) of a process, or '?' once it has gone. */
export function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}
