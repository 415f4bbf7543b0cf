#!/usr/bin/env node
// Runs every test file with node's test runner (its summary is what CI reads). Tests run from the
// TypeScript sources (tsx, and the `stoker-source` export condition), so no build is needed first.
// Usage: node scripts/run-tests.mjs [path-substring ...]  — e.g. `npm test -- sender` runs matching files.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const roots = [
  'packages/shared/test',
  'packages/es-collector/test',
  'packages/container-collector/test',
  'test',
];

function walk(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
    return statSync(path).isDirectory() ? walk(path) : name.endsWith('.test.ts') ? [path] : [];
  });
}

// A fresh clone: install first (Debian packages and npm dependencies), as `npm run demo` does.
if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  const setup = spawnSync('bash', [join(root, 'scripts', 'setup.sh')], { cwd: root, stdio: 'inherit' });
  if (setup.status !== 0) process.exit(setup.status ?? 1);
}

const filters = process.argv.slice(2);
const files = roots
  .flatMap((dir) => walk(join(root, dir)))
  .map((path) => relative(root, path))
  .filter((path) => filters.length === 0 || filters.some((filter) => path.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--conditions=stoker-source', '--import', 'tsx', '--test', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
