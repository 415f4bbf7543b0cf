import { join } from 'node:path';
import type { PseudoFiles } from '../pseudo-file.js';

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
  const fields: number[] = [];
  // Scanned, not split: every container's file, every cycle.
  for (let at = 0; at < text.length; ) {
    let lineEnd = text.indexOf('\n', at);
    if (lineEnd === -1) lineEnd = text.length;
    const colon = text.indexOf(':', at);
    const lineStart = at;
    at = lineEnd + 1;
    if (colon === -1 || colon > lineEnd) continue;
    const name = text.slice(lineStart, colon).trim();
    fields.length = 0;
    for (let field = colon + 1; field < lineEnd; ) {
      while (field < lineEnd && text.charCodeAt(field) === 0x20) field++;
      let end = field;
      while (end < lineEnd && text.charCodeAt(end) !== 0x20) end++;
      if (end > field) fields.push(Number(text.slice(field, end)));
      field = end;
    }
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
export function readNetDev(files: PseudoFiles, procRoot: string, pid: number): InterfaceCounters[] {
  return parseNetDev(files.read(join(procRoot, String(pid), 'net', 'dev')));
}
