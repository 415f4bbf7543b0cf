import { kebab, type OptionSpec, type OptionSpecs, shownDefault } from './option-spec.js';

/**
 * `--help` and `--version` of an agent, written from the option declarations: grouped (the agent's
 * own options, then sending, endpoint, logging), each with its value type, its default as a person
 * types it and its environment variables, then worked examples.
 */

/** Where --help lists an option; an option without a group is one of the agent's own. */
export type OptionGroup = 'sending' | 'endpoint' | 'logging';

const GROUP_TITLES: Record<OptionGroup, string> = {
  sending: 'Sending to Graphite:',
  endpoint: 'HTTP endpoint (/healthz, /status):',
  logging: 'Logging:',
};

/** A command line and what it does, for the Examples section of --help. */
export interface HelpExample {
  command: string;
  explains: string;
}

export interface HelpSubject {
  name: string;
  description: string;
  examples: readonly HelpExample[];
  /** The loader's own `--config` flag, documented in one place (config.ts). */
  configDoc: string;
}

/** Fixed, so the text is the same in any terminal and in the golden test. */
const WIDTH = 100;
const FLAG_COLUMN = 34;

export const optionEnvName = (key: string): string => `STOKER_${kebab(key).replace(/-/g, '_').toUpperCase()}`;

/** The whole --help text. `commonKeys`: the options every agent has (listed after the agent's own). */
export function helpText(specs: OptionSpecs, commonKeys: ReadonlySet<string>, subject: HelpSubject): string {
  const entries = Object.entries(specs);
  const own = entries.filter(([key, spec]) => !spec.group && !spec.fileOnly && !commonKeys.has(key));
  const runEvery = entries.filter(([key, spec]) => !spec.group && !spec.fileOnly && commonKeys.has(key));
  const sections = [
    `Usage: ${subject.name} [options]`,
    wrap(subject.description, WIDTH).join('\n'),
    section(`${subject.name} options:`, [...own, ...runEvery]),
    ...(Object.keys(GROUP_TITLES) as OptionGroup[]).map((group) =>
      section(
        GROUP_TITLES[group],
        entries.filter(([, spec]) => spec.group === group && !spec.fileOnly),
      ),
    ),
    [
      'General:',
      row('--config <path>', [subject.configDoc, '[env: STOKER_CONFIG]']),
      ...entries
        .filter(([, spec]) => spec.fileOnly)
        .map(([key, spec]) => row(`${kebab(key)}:`, [plain(spec.describe)])),
      row('-h, --help', ['this text']),
      row('-V, --version', ['version, commit and Node version']),
    ].join('\n'),
    [
      'Every option is also a key of the --config file, spelled like the flag without the dashes;',
      'a flag wins over its environment variable, which wins over the file.',
    ].join('\n'),
    [
      'Examples:',
      ...subject.examples.flatMap(({ command, explains }) => [
        `  ${command}`,
        ...wrap(explains, WIDTH - 6).map((line) => `      ${line}`),
      ]),
    ].join('\n'),
  ];
  return (subject.examples.length > 0 ? sections : sections.slice(0, -1)).join('\n\n');
}

/** `es-collector 0.1.0 (commit 1a2b3c4, Node v20.20.0)`; the commit comes from the image build. */
export function versionText(name: string, version: string, env: NodeJS.ProcessEnv): string {
  const commit = env.STOKER_COMMIT?.trim() || 'unknown';
  return `${name} ${version} (commit ${commit}, Node ${process.version})`;
}

function section(title: string, options: Array<[string, OptionSpec<unknown>]>): string {
  return [title, ...options.map(([key, spec]) => optionRow(key, spec))].join('\n');
}

function optionRow(key: string, spec: OptionSpec<unknown>): string {
  const flag = kebab(key);
  const names = [spec.alias ? `-${spec.alias}, ` : '', `--${flag}`].join('');
  const type = valueType(spec);
  const head = spec.boolean
    ? spec.default === true
      ? `${names}, --no-${flag}`
      : names
    : `${names} <${type}>${spec.array ? '...' : ''}`;
  const shown = shownDefault(spec);
  const facts = [
    spec.boolean ? '[boolean]' : undefined,
    spec.array ? '[repeatable]' : spec.parse.listOf ? '[comma separated]' : undefined,
    shown === undefined ? undefined : `[default: ${plain(shown)}]`,
    `[env: ${[optionEnvName(key), ...(spec.env ?? [])].join(', ')}]`,
  ].filter((fact) => fact !== undefined);
  return row(head, [plain(spec.describe), facts.join(' ')]);
}

/** What --help calls the value: its parser's type, `choice` for a list of choices too long to show. */
function valueType(spec: OptionSpec<unknown>): string {
  const type = spec.parse.valueType ?? 'string';
  return type.includes('|') && type.length > 24 ? 'choice' : type;
}

/** The flag column, then `paragraphs` wrapped in the description column. */
function row(head: string, paragraphs: string[]): string {
  const lines = paragraphs.flatMap((text) => wrap(text, WIDTH - FLAG_COLUMN));
  const indent = ' '.repeat(FLAG_COLUMN);
  const first = `  ${head}`;
  if (first.length >= FLAG_COLUMN - 1) return [first, ...lines.map((line) => indent + line)].join('\n');
  return [first.padEnd(FLAG_COLUMN) + lines[0], ...lines.slice(1).map((line) => indent + line)].join('\n');
}

/** Markdown of the declarations as plain text: no backticks. */
const plain = (markdown: string): string => markdown.replace(/`/g, '');

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}
