import {
  type Cycle,
  DistinctNames,
  type ExposeRender,
  Exposition,
  LeafNames,
  LineBatch,
  type NameFilter,
  ProblemLog,
  type SegmentSanitizer,
  sanitizeSegment,
} from '@stoker/shared';
import pino, { type Logger } from 'pino';

export interface RecordingCycle extends Cycle {
  /** Messages the job logged at warn level. */
  readonly warnings: string[];
  /** The carbon lines the runtime would send for what was emitted so far (no trailing newline). */
  lines(): string[];
  /** name → value of those lines. */
  byName(): Map<string, number>;
  /** The Prometheus exposition of what the job exposed (text format 0.0.4 unless asked). */
  exposition(format?: 'text' | 'openmetrics'): string;
}

/**
 * A Cycle as the shared runtime passes it, for unit tests of a job: what the job emits is named as
 * the runtime names it (`DistinctNames`, the job's sanitiser, `LineBatch` with `prefix`), and its
 * warnings are kept.
 */
export function recordingCycle(
  options: {
    job?: string;
    once?: boolean;
    timeoutMs?: number;
    sanitize?: SegmentSanitizer;
    prefix?: readonly string[];
    timestampSec?: number;
    /** The series budget, built under `prefix` (none: every series). */
    filter?: NameFilter;
  } = {},
): RecordingCycle {
  const { filter } = options;
  const names = new DistinctNames(options.sanitize, new LeafNames(options.sanitize), filter);
  const recorded: { segments: (string | number)[]; value: unknown }[] = [];
  const warnings: string[] = [];
  const log: Logger = pino({ level: 'silent' });
  log.warn = ((obj: unknown, msg?: string) => {
    warnings.push(typeof obj === 'string' ? obj : (msg ?? JSON.stringify(obj)));
  }) as typeof log.warn;
  const timestampSec = options.timestampSec ?? 1_700_000_000;
  let exposed: ExposeRender | undefined;
  const lines = (): string[] => {
    const batch = new LineBatch({ prefix: options.prefix ?? [], timestampSec });
    names.flush((name, value, leaf) => batch.addBytes(name, value, leaf));
    return batch.lines.map((line) => line.trimEnd());
  };
  return {
    job: options.job ?? 'test',
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    startedAtMs: Date.now(),
    timestampSec,
    once: options.once ?? false,
    log,
    problems: new ProblemLog(log),
    emit(segments, value) {
      names.add(segments, value);
      recorded.push({ segments: [...segments], value });
    },
    group: (head) => names.group(head),
    sendsBelow: (segments) => !filter || filter.sendsBelow(segments, options.sanitize ?? sanitizeSegment),
    expose(render) {
      exposed = render;
    },
    exposition(format = 'text') {
      const out = new Exposition();
      for (const _ of exposed?.(out) ?? []);
      return out.render(format);
    },
    warnings,
    lines,
    byName() {
      return new Map(
        lines().map((line) => {
          const [name, value] = line.split(' ');
          return [name!, Number(value)];
        }),
      );
    },
  };
}
