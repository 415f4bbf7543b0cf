/**
 * The series budget end to end: a real agent (the runtime's tick agent) into a real carbon-cache.
 * Names left out by `--exclude`, or by `--profile essential` and `--include`, never reach whisper;
 * every other name does, and the agent reports how many series each cycle sent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTickAgent } from '../harness/agent.js';
import { type CarbonCache, requireProgram, startCarbonCache } from '../harness/graphite.js';

describe('series budget', { skip: requireProgram('carbon-cache', 'graphite-carbon') }, () => {
  let carbon: CarbonCache;
  before(async () => {
    carbon = await startCarbonCache();
  });
  after(async () => {
    await carbon?.stop();
  });

  /** Runs the tick agent (5 extra series) under `prefix` until its series count is stored; its stored names. */
  async function stored(prefix: string, budget: string[]): Promise<{ names: string[]; series: number[] }> {
    const agent = await startTickAgent(prefix, [
      '--carbon',
      `127.0.0.1:${carbon.linePort}`,
      '--lines',
      '5',
      '--instance',
      'inst',
      ...budget,
    ]);
    try {
      await carbon.waitForPoints(`${prefix}.tick.job0.seq`, 3, 30_000);
      const series = await carbon.waitForPoints(
        `${prefix}.tick-agent.inst.self.jobs.job0.series_sent`,
        2,
        30_000,
      );
      const names = (await carbon.listMetrics()).filter((name) => name.startsWith(`${prefix}.tick.`));
      return { names, series: series.map(([, value]) => value) };
    } finally {
      await agent.stop();
    }
  }

  test('--exclude: excluded names never reach whisper, the rest do', { timeout: 90_000 }, async () => {
    const { names, series } = await stored('bud', ['--exclude', 'bud.tick.*.extra.{1,3}']);
    assert.deepEqual(names, [
      'bud.tick.job0.extra.0',
      'bud.tick.job0.extra.2',
      'bud.tick.job0.extra.4',
      'bud.tick.job0.seq',
      'bud.tick.job0.ts',
    ]);
    assert.ok(
      series.every((value) => value === 5),
      `series sent per cycle: ${series}`,
    );
  });

  test('--profile essential with --include: the profile and the included names only', {
    timeout: 90_000,
  }, async () => {
    // The tick agent's essential profile is `tick.*.seq`.
    const { names, series } = await stored('ess', [
      '--profile',
      'essential',
      '--include',
      'ess.tick.*.extra.0',
    ]);
    assert.deepEqual(names, ['ess.tick.job0.extra.0', 'ess.tick.job0.seq']);
    assert.ok(
      series.every((value) => value === 2),
      `series sent per cycle: ${series}`,
    );
  });
});
