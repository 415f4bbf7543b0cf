// Installs what is missing (scripts/setup.sh: Debian packages, npm dependencies), then runs a
// TypeScript entry point of this repository from its sources. Shared by `npm run demo` and `npm run bench`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs a command in the repository root; exits this process with its status if it fails. */
export function run(command, args, env = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** setup.sh, with `env` (e.g. STOKER_SETUP_BENCH=1 for the benchmarks' peer tools). */
export function setup(env = {}) {
  run('bash', ['scripts/setup.sh'], env);
}

/** `node <entry.ts> ...args`, from the TypeScript sources (tsx and the `stoker-source` condition). */
export function runTs(entry, args) {
  run(process.execPath, ['--conditions=stoker-source', '--import', 'tsx', entry, ...args]);
}
