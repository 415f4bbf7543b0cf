#!/usr/bin/env node
// `npm run bench -- <name> [options]`: installs what the benchmarks need (setup.sh with the peer
// tools), then runs bench/<name>.ts. `all` runs the three side-by-side benchmarks one after another
// (the 30-minute soak only when named). Results are Markdown on stdout, progress on stderr.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { root, runTs, setup } from './setup-and-run.mjs';

const benches = readdirSync(join(root, 'bench'))
  .filter((name) => name.endsWith('.ts'))
  .map((name) => name.slice(0, -3));
const [name, ...args] = process.argv.slice(2);
const ALL = ['es-vs-exporter', 'containers-vs-stats-api', 'sender'];

if (!name || (name !== 'all' && !existsSync(join(root, 'bench', `${name}.ts`)))) {
  console.error(
    `usage: npm run bench -- <${[...benches, 'all'].join('|')}> [options]  (see the header of bench/<name>.ts)`,
  );
  process.exit(2);
}
setup({ STOKER_SETUP_BENCH: '1' });
for (const each of name === 'all' ? ALL : [name]) runTs(`bench/${each}.ts`, args);
