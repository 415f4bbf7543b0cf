import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { HelpExample } from './help.js';
import type { Agent } from './job.js';
import type { ConfigOf, OptionSpecs } from './option-spec.js';
import type { CommonConfig } from './options.js';

/** Everything the shared runtime needs to run one agent binary. */
export interface AgentDefinition<S extends OptionSpecs> {
  /** Binary name, also the agent segment of self-metrics (`<prefix>.<name>.<instance>.self.*`). */
  name: string;
  version: string;
  /** First paragraph of --help. */
  description: string;
  /** Prefix when --prefix is not given; a function when it depends on other options (a naming scheme). */
  defaultPrefix: string | ((config: CommonConfig & ConfigOf<S>) => string);
  /**
   * Prefix of the self-metrics when they must not share the agent's tree (a compatibility naming
   * whose dashboards would take them for data); undefined: the agent's prefix.
   */
  selfMetricsPrefix?: (config: CommonConfig & ConfigOf<S>) => string | undefined;
  /**
   * The `essential` profile: globs of the names below the prefix that the shipped dashboards read
   * (everything else is left out under `--profile essential`).
   */
  essentialSeries: readonly string[];
  /** How --help shows a `defaultPrefix` function (Markdown), e.g. its value under the default options. */
  defaultPrefixText?: string;
  /** Worked examples at the end of --help: what an operator types first. */
  examples?: readonly HelpExample[];
  /** The agent's own options, beside the common ones. */
  options: S;
  /** Builds the agent's jobs; may throw ConfigError for cross-field problems (exit code 2). */
  create(config: CommonConfig & ConfigOf<S>, context: AgentContext): Promise<Agent> | Agent;
}

export interface AgentContext {
  log: Logger;
  /** The environment the agent was started with (where secrets named by options are read from). */
  env: NodeJS.ProcessEnv;
}

/** The version in the package.json above `moduleUrl` (`import.meta.url` of a file in src/ or dist/). */
export function packageVersion(moduleUrl: string): string {
  return (JSON.parse(readFileSync(new URL('../package.json', moduleUrl), 'utf8')) as { version: string })
    .version;
}
