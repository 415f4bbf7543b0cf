/**
 * A minimal agent for testing the shared runtime end to end: every cycle emits
 * `<prefix>.tick.<job>.seq` (1, 2, 3, ... per job) and `.ts` (the cycle's aligned timestamp), plus
 * `--lines N` extra series, so a test can tell exactly which points arrived.
 */
import { type AgentDefinition, parsers, runAgent } from '@stoker/shared';

const definition: AgentDefinition<{
  jobs: { describe: string; parse: (raw: unknown) => number; default: number };
  lines: { describe: string; parse: (raw: unknown) => number; default: number };
  fail: { describe: string; parse: (raw: unknown) => boolean; default: boolean; boolean: true };
  slowMs: { describe: string; parse: (raw: unknown) => number; default: number };
  nonFinite: { describe: string; parse: (raw: unknown) => number; default: number };
}> = {
  name: 'tick-agent',
  version: '0.0.0-test',
  description: 'Test agent: emits a sequence number per cycle.',
  defaultPrefix: 'test',
  essentialSeries: ['tick.*.seq'],
  options: {
    jobs: { describe: 'number of jobs', parse: parsers.integer({ min: 1, max: 100 }), default: 1 },
    lines: { describe: 'extra series per cycle', parse: parsers.integer({ min: 0 }), default: 0 },
    fail: { describe: 'every cycle fails', parse: parsers.boolean(), default: false, boolean: true },
    slowMs: { describe: 'each cycle takes this long', parse: parsers.integer({ min: 0 }), default: 0 },
    nonFinite: { describe: 'series valued NaN per cycle', parse: parsers.integer({ min: 0 }), default: 0 },
  },
  create(config) {
    return {
      jobs: Array.from({ length: config.jobs }, (_, index) => {
        let seq = 0;
        return {
          name: `job${index}`,
          intervalMs: config.interval,
          timeoutMs: config.interval,
          async run(cycle) {
            seq++;
            cycle.emit(['tick', `job${index}`, 'seq'], seq);
            cycle.emit(['tick', `job${index}`, 'ts'], cycle.timestampSec);
            for (let line = 0; line < config.lines; line++)
              cycle.emit(['tick', `job${index}`, 'extra', line], seq);
            for (let line = 0; line < config.nonFinite; line++)
              cycle.emit(['tick', `job${index}`, 'nan', line], Number.NaN);
            if (config.slowMs > 0) {
              await new Promise((resolve) => setTimeout(resolve, config.slowMs));
            }
            if (config.fail) throw new Error('told to fail');
          },
        };
      }),
    };
  },
};

process.exit(await runAgent(definition));
