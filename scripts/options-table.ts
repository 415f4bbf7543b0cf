/**
 * Writes the option tables of README.md and each agent's README from the option declarations, between
 * `<!-- options:NAME -->` and `<!-- /options:NAME -->`:
 *
 *   npm run docs:options
 *
 * test/ship/options-tables.test.ts fails when a README is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { containerOptions } from '@stoker/container-collector';
import { esOptions } from '@stoker/es-collector';
import {
  CONFIG_FLAG_DOC,
  clusterEntryKey,
  commonOptions,
  kebab,
  type OptionSpecs,
  shownDefault,
} from '@stoker/shared';

const ROOT = join(import.meta.dirname, '..');
export const FIX_COMMAND = 'npm run docs:options';

const cell = (text: string) => text.replace(/\|/g, '\\|');
/** One row per option that has a flag. */
function table(specs: OptionSpecs): string[] {
  const rows = Object.entries(specs).flatMap(([key, spec]) => {
    if (spec.fileOnly) return [];
    const flag = `\`--${kebab(key)}\`${spec.boolean && spec.default !== false ? ` / \`--no-${kebab(key)}\`` : ''}`;
    const shown = shownDefault(spec);
    const fromEnv = (spec.env ?? []).map((name) => `\`$${name}\``).join(', ');
    return [[flag, fromEnv ? `${fromEnv} if set, else ${shown ?? 'none'}` : (shown ?? ''), spec.describe]];
  });
  return [['flag', 'default', 'meaning'], ['---', '---', '---'], ...rows].map(
    (row) => `| ${row.map(cell).join(' | ')} |`,
  );
}

/** The keys of a `clusters:` entry, from the options declared per cluster. */
function clusterKeys(specs: OptionSpecs): string[] {
  const keys = Object.entries(specs).flatMap(([key, spec]) => {
    const entryKey = clusterEntryKey(key, spec);
    if (entryKey === undefined) return [];
    const old = spec.oldClusterKey
      ? ` (formerly \`${spec.oldClusterKey}\`, still accepted with a warning)`
      : '';
    return [`\`${entryKey}\`${entryKey === kebab(key) ? '' : ` (for \`--${kebab(key)}\`)`}${old}`];
  });
  return [
    `Keys of a \`clusters\` entry, each spelled like its flag and taking the same values: ${keys.join(', ')}.`,
  ];
}

/** Each generated block, by README and marker name. */
const BLOCKS: Record<string, Record<string, () => string[]>> = {
  'README.md': {
    common: () => [
      ...table(commonOptions),
      `| \`--config\` | none | ${CONFIG_FLAG_DOC} (also \`STOKER_CONFIG\`) |`,
    ],
  },
  'packages/es-collector/README.md': {
    es: () => table(esOptions),
    'cluster-keys': () => clusterKeys({ ...esOptions, ...commonOptions }),
  },
  'packages/container-collector/README.md': { container: () => table(containerOptions) },
};

/** Every README with its blocks as the declarations give them: `{ path, current, expected }`. */
export function readmes(): Array<{ path: string; current: string; expected: string }> {
  return Object.entries(BLOCKS).map(([path, blocks]) => {
    const current = readFileSync(join(ROOT, path), 'utf8');
    let expected = current;
    for (const [name, render] of Object.entries(blocks)) {
      const [open, close] = [`<!-- options:${name} -->`, `<!-- /options:${name} -->`];
      const start = expected.indexOf(open);
      const end = expected.indexOf(close);
      if (start < 0 || end < start) throw new Error(`${path}: no ${open} ... ${close} block`);
      expected = `${expected.slice(0, start + open.length)}\n${render().join('\n')}\n${expected.slice(end)}`;
    }
    return { path, current, expected };
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  for (const { path, current, expected } of readmes()) {
    if (current === expected) continue;
    writeFileSync(join(ROOT, path), expected);
    process.stdout.write(`${path}: options table updated\n`);
  }
}
