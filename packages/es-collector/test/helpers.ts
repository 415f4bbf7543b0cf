import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Cycle, DistinctNames, LineBatch, type SegmentSanitizer } from '@stoker/shared';
import pino from 'pino';
import { sharedPath } from '../../../test/harness/fixtures.js';
import type { NamingScheme } from '../src/naming/index.js';
import type { Sample } from '../src/samples.js';

export const FIXTURES_ES = sharedPath('fixtures', 'es');

/** Every recorded file under fixtures/es whose name matches, as paths relative to fixtures/es. */
export function fixtureFiles(match: RegExp): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (match.test(name)) found.push(relative(FIXTURES_ES, path));
    }
  };
  walk(FIXTURES_ES);
  return found.sort();
}

export function readFixture(relativePath: string): unknown {
  return JSON.parse(readFileSync(join(FIXTURES_ES, relativePath), 'utf8'));
}

export interface FakeCycle extends Cycle {
  readonly emitted: { segments: (string | number)[]; value: unknown }[];
  readonly warnings: string[];
  /** The carbon lines the runtime would send (prefix `es`). */
  lines(): string[];
}

/** A Cycle as the shared runtime would pass it, recording what is emitted and logged. */
export function fakeCycle(
  options: { once?: boolean; timeoutMs?: number; sanitize?: (raw: string) => string } = {},
): FakeCycle {
  const emitted: { segments: (string | number)[]; value: unknown }[] = [];
  const warnings: string[] = [];
  const log = pino({ level: 'silent' });
  log.warn = ((obj: unknown, msg?: string) => {
    warnings.push(typeof obj === 'string' ? obj : (msg ?? JSON.stringify(obj)));
  }) as typeof log.warn;
  const startedAtMs = Date.now();
  return {
    job: 'test',
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    startedAtMs,
    timestampSec: 1_700_000_000,
    once: options.once ?? false,
    log,
    emit(segments, value) {
      emitted.push({ segments: [...segments], value });
    },
    emitted,
    warnings,
    lines() {
      return carbonLines(emitted, options.sanitize, 1_700_000_000).lines.map((line) => line.trimEnd());
    },
  };
}

/**
 * The carbon lines (prefix `es`) the runtime makes of a cycle's emitted samples: look-alike raw
 * segments told apart (`DistinctNames`), each sanitised once, formatted by `LineBatch`.
 */
export function carbonLines(
  emitted: Iterable<{ segments: readonly (string | number)[]; value: unknown }>,
  sanitize: SegmentSanitizer | undefined,
  timestampSec: number,
): LineBatch {
  const names = new DistinctNames(sanitize);
  for (const sample of emitted) names.add(sample.segments, sample.value);
  const batch = new LineBatch({ prefix: ['es'], timestampSec, sanitize: (segment) => segment });
  names.flush((segments, value) => batch.add(segments, value));
  return batch;
}

/** The carbon lines of a cycle's samples named by `scheme` (what the cluster job emits). */
export function namedLines(
  scheme: NamingScheme,
  cluster: string,
  samples: readonly Sample[],
  timestampSec: number,
): LineBatch {
  return carbonLines(
    samples.flatMap((sample) => scheme.nameSample(cluster, sample)),
    scheme.sanitize,
    timestampSec,
  );
}

/** name → value of carbon lines (`name value ts`). */
export function byName(lines: readonly string[]): Map<string, number> {
  return new Map(
    lines.map((line) => {
      const [name, value] = line.split(' ');
      return [name!, Number(value)];
    }),
  );
}
