/**
 * What `--help` and `--version` tell a new operator: the help text of each agent against its golden
 * copy in test/ship/help/ (regenerate with `UPDATE_GOLDEN=1 npm test -- test/ship/help`), every
 * default it shows read back through the option's own parser to the value the agent really uses,
 * `-h`/`-V` from the real command line, and the version line.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { containerCollector } from '@stoker/container-collector';
import { API_NAMES, esCollector, resolveTargets } from '@stoker/es-collector';
import {
  type AgentDefinition,
  agentOptions,
  kebab,
  loadConfig,
  type OptionSpecs,
  shownDefault,
} from '@stoker/shared';
import { runAgentToEnd } from '../harness/agent.js';
import { repoRoot } from '../harness/fixtures.js';

const AGENTS = [
  { definition: esCollector as AgentDefinition<OptionSpecs>, cli: 'packages/es-collector/src/cli.ts' },
  {
    definition: containerCollector as AgentDefinition<OptionSpecs>,
    cli: 'packages/container-collector/src/cli.ts',
  },
];

/** Runs the agent's config loader in-process on `argv`: what it prints, and the config it reads. */
function load(definition: AgentDefinition<OptionSpecs>, argv: string[], env: NodeJS.ProcessEnv = {}) {
  let printed = '';
  const result = loadConfig(agentOptions(definition), {
    name: definition.name,
    version: definition.version,
    description: definition.description,
    examples: definition.examples ?? [],
    argv,
    env,
    print: (text) => {
      printed += `${text}\n`;
    },
  });
  return { printed, result };
}

/**
 * The defaults --help shows that are words, not values, and what each means for the loaded config
 * (the value is unset, or filled in later by the agent).
 */
const DESCRIBED_DEFAULTS: Record<string, (value: unknown) => boolean> = {
  none: (value) =>
    value === undefined || (Array.isArray(value) && value.length === 0) || JSON.stringify(value) === '{}',
  all: (value) =>
    // --apis: every API; --indices-include: no filter.
    JSON.stringify(value) === JSON.stringify(API_NAMES) || (Array.isArray(value) && value.length === 0),
  'the hostname': (value) => value === hostname(),
  "ES's cluster_name": (value) => value === undefined,
  // Decided when the logger is made, from whether stderr is a terminal.
  'text on a terminal, else json': (value) => value === undefined,
};

/** Defaults the runtime or the agent fill in after loading: the value each really uses. */
const APPLIED_LATER: Record<
  string,
  (definition: AgentDefinition<OptionSpecs>, config: Record<string, unknown>) => unknown
> = {
  prefix: ({ defaultPrefix }, config) =>
    typeof defaultPrefix === 'string' ? defaultPrefix : defaultPrefix(config as never),
  es: (_, config) => esTarget(config).seeds,
  indicesTop: (_, config) => esTarget(config).indices.top,
  indicesRollup: (_, config) => esTarget(config).indices.rollup,
  healthLevelIndices: (_, config) => esTarget(config).healthLevelIndices,
};
/** What es-collector makes of the config for its one cluster (defaults that depend on the scheme). */
const esTarget = (config: Record<string, unknown>) => resolveTargets(config as never, { env: {} })[0]!;
/** URLs compare by their text (deepEqual sees no difference between two URL objects). */
const asText = (value: unknown): string => JSON.stringify(value);

for (const { definition, cli } of AGENTS) {
  describe(`${definition.name} --help`, () => {
    const golden = join(repoRoot, 'test', 'ship', 'help', `${definition.name}.txt`);
    const { printed: help, result } = load(definition, ['--help']);

    test('matches the golden text (UPDATE_GOLDEN=1 rewrites it)', () => {
      assert.deepEqual(result, { kind: 'exit', code: 0 });
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, help);
      assert.equal(help, readFileSync(golden, 'utf8'));
    });

    test("groups: the agent's own options, then sending, endpoint, logging; three examples", () => {
      const titles = help.split('\n').filter((line) => /^\S.*:$/.test(line));
      assert.deepEqual(titles, [
        `${definition.name} options:`,
        'Sending to Graphite:',
        'HTTP endpoint (/healthz, /status):',
        'Logging:',
        'General:',
        'Examples:',
      ]);
      const examples = help.slice(help.indexOf('Examples:'));
      const commands = examples.split('\n').filter((line) => /^ {2}\S/.test(line));
      assert.equal(commands.length, 3, examples);
      for (const command of commands) assert.match(command, new RegExp(`${definition.name}\\b`));
      const own = help.slice(help.indexOf(`${definition.name} options:`), help.indexOf('Sending to'));
      for (const key of Object.keys(definition.options)) {
        if (!definition.options[key]!.fileOnly) assert.match(own, new RegExp(`--${kebab(key)}\\b`));
      }
      assert.match(own, /--interval <duration>/);
    });

    test('value types: numbers, sizes, durations and booleans are named as such, not string', () => {
      const flat = help.replace(/\s+/g, ' ');
      assert.match(flat, /--queue-size <size>/);
      assert.match(flat, /--http-port <number>/);
      assert.match(flat, /--once \S*\s*one cycle.* \[boolean\]/);
      assert.match(flat, /--connect-timeout <duration>/);
      assert.match(flat, /--carbon-mode <replicate\|failover>/);
      assert.doesNotMatch(flat, /--(queue-size|http-port|interval|once) <string>/);
    });

    test('every default shown parses back to the value the agent uses', () => {
      const flat = help.replace(/\s+/g, ' ');
      const loaded = load(definition, []).result;
      assert.equal(loaded.kind, 'config');
      const config = (loaded as { config: Record<string, unknown> }).config;
      const specs = agentOptions(definition);
      let checked = 0;
      for (const [key, spec] of Object.entries(specs)) {
        const markdown = shownDefault(spec);
        if (markdown === undefined || spec.fileOnly) continue;
        const shown = markdown.replace(/`/g, '');
        assert.ok(flat.includes(`[default: ${shown}]`), `--${kebab(key)}: help shows ${shown}`);
        const later = APPLIED_LATER[key];
        if (later) {
          // The default under the default options: `100` of `100; no cap under the es2graphite schemes`.
          const value = /^([^\s;]+)/.exec(shown)![1]!;
          assert.equal(asText(spec.parse(value)), asText(later(definition, config)), `--${kebab(key)}`);
        } else if (shown in DESCRIBED_DEFAULTS) {
          assert.ok(DESCRIBED_DEFAULTS[shown]!(config[key]), `--${kebab(key)}: ${shown}`);
        } else {
          assert.deepEqual(spec.parse(shown), config[key], `--${kebab(key)}: ${shown}`);
        }
        checked++;
      }
      assert.ok(checked >= 20, `${checked} defaults checked`);
    });

    test('-h from the real command line prints the same text, exit 0', async () => {
      const { code, stdout } = await runAgentToEnd(cli, ['-h']);
      assert.equal(code, 0);
      assert.equal(stdout, help);
    });

    test('-V and --version: name, version, commit (STOKER_COMMIT) and Node, exit 0', async () => {
      const { code, stdout, stderr } = await runAgentToEnd(cli, ['-V'], { STOKER_COMMIT: '5eb3061f' });
      assert.equal(code, 0, stderr);
      assert.equal(
        stdout,
        `${definition.name} ${definition.version} (commit 5eb3061f, Node ${process.version})\n`,
      );
      assert.equal(stderr, '', 'STOKER_COMMIT is not an unknown option');
      const unknown = load(definition, ['--version'], {});
      assert.equal(
        unknown.printed,
        `${definition.name} ${definition.version} (commit unknown, Node ${process.version})\n`,
      );
    });
  });
}
