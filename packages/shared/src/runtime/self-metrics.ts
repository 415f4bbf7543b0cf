import { memoryUsage } from 'node:process';
import type { DropReason } from '../carbon/lines.js';
import type { CarbonSender } from '../carbon/sender.js';
import type { Job } from './job.js';
import type { CommonConfig } from './options.js';
import type { JobState } from './run.js';

interface SelfSource {
  sender: CarbonSender;
  states: ReadonlyMap<string, JobState>;
  dropped: Readonly<Record<DropReason, number>>;
}

/**
 * The agent's own health through the same sender, under `<prefix>.<agent>.<instance>.self.*`, so a
 * dashboard shows a collector that falls behind or drops lines beside the data it collects.
 * Counters are cumulative (`_total`): apply nonNegativeDerivative() in Graphite.
 */
export function selfMetrics(agentName: string, config: CommonConfig, source: () => SelfSource): Job {
  const base = [agentName, config.instance, 'self'];
  let cpuBefore = process.cpuUsage();
  let cpuAtMs = Date.now();
  return {
    name: 'self',
    intervalMs: config.interval,
    timeoutMs: config.interval,
    async run(cycle) {
      const { sender, states, dropped } = source();
      const emit = (segments: (string | number)[], value: unknown) =>
        cycle.emit([...base, ...segments], value);
      for (const [job, state] of states) {
        emit(['jobs', job, 'duration_ms'], state.last_duration_ms);
        emit(['jobs', job, 'up'], state.last_result === undefined ? undefined : state.last_result === 'ok');
        emit(['jobs', job, 'errors_total'], state.errors);
        emit(['jobs', job, 'skipped_ticks_total'], state.skipped_ticks);
        emit(['jobs', job, 'runs_total'], state.runs);
        emit(['jobs', job, 'series_sent'], state.series_sent);
      }
      const stats = sender.stats();
      emit(['lines_sent_total'], stats.linesSent);
      emit(['lines_dropped_total', 'queue_full'], stats.linesDroppedQueueFull);
      emit(['lines_dropped_total', 'non_finite'], dropped.non_finite);
      emit(['lines_dropped_total', 'too_long'], dropped.too_long);
      emit(['queue_bytes'], stats.queueBytes);
      emit(['queue_lines'], stats.linesQueued);
      emit(['reconnects_total'], stats.reconnects);
      emit(['carbon_reachable'], sender.reachable);
      if (stats.spool) {
        emit(['spool', 'bytes'], stats.spool.bytes);
        emit(['spool', 'segments'], stats.spool.segments);
        emit(['spool', 'replayed_lines_total'], stats.spool.replayedLines);
        emit(['spool', 'dropped_bytes_total'], stats.spool.droppedBytes);
        emit(['spool', 'corrupt_records_total'], stats.spool.corruptRecords);
      }
      const memory = memoryUsage();
      emit(['memory', 'rss_bytes'], memory.rss);
      emit(['memory', 'heap_used_bytes'], memory.heapUsed);
      const now = Date.now();
      const cpu = process.cpuUsage(cpuBefore);
      emit(['cpu', 'cores'], (cpu.user + cpu.system) / 1000 / Math.max(1, now - cpuAtMs));
      cpuBefore = process.cpuUsage();
      cpuAtMs = now;
    },
  };
}
