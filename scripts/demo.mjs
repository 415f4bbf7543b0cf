#!/usr/bin/env node
// The README's main-job command: installs what is missing (Debian packages, npm dependencies), then
// runs scripts/demo.ts — both agents against a local Graphite for about a minute.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (command, args) => {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
run('bash', ['scripts/setup.sh']);
run(process.execPath, [
  '--conditions=stoker-source',
  '--import',
  'tsx',
  'scripts/demo.ts',
  ...process.argv.slice(2),
]);
