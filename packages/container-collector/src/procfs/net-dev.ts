import { join } from 'node:path';
import { readPseudoFile } from '../pseudo-file.js';

/** Counters of one interface in a container's network namespace (cumulative since the interface appeared). */
export interface InterfaceCounters {
  name: string;
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

/**
 * Parses `/proc/<pid>/net/dev`: two header lines, then `iface: rx(bytes packets errs drop fifo frame
 * compressed multicast) tx(bytes packets errs drop fifo colls carrier compressed)`. Reading it through a
 * process of the container shows that container's namespace, not the host's.
 */
export function parseNetDev(text: string): InterfaceCounters[] {
  const interfaces: InterfaceCounters[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (name === '' || fields.length < 16 || fields.some((value) => !Number.isFinite(value))) continue;
    interfaces.push({
      name,
      rxBytes: fields[0]!,
      rxPackets: fields[1]!,
      rxErrors: fields[2]!,
      rxDropped: fields[3]!,
      txBytes: fields[8]!,
      txPackets: fields[9]!,
      txErrors: fields[10]!,
      txDropped: fields[11]!,
    });
  }
  return interfaces;
}

/** Synchronous, like the cgroup files (see `readCgroupFiles`): procfs is generated in memory. */
export function readNetDev(procRoot: string, pid: number): InterfaceCounters[] {
  return parseNetDev(readPseudoFile(join(procRoot, String(pid), 'net', 'dev')));
}
