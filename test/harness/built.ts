import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './fixtures.js';

let built = false;

/**
 * `npm run build` (tsc -b, incremental) once per test process, so a test can run the compiled bins
 * the package and the image ship, with plain node: no tsx, no `stoker-source` condition.
 */
export function buildPackages(): void {
  if (built) return;
  const result = spawnSync('npm', ['run', 'build'], { cwd: repoRoot, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stdout}${result.stderr}`);
  built = true;
}

/** Runs a compiled bin (`packages/<package>/bin/<name>.js`) with plain node, `stdin` as its input. */
export function runBuilt(
  bin: string,
  args: readonly string[],
  options: { stdin?: string; env?: NodeJS.ProcessEnv } = {},
): { code: number | null; stdout: string; stderr: string } {
  const { NODE_OPTIONS: _noTsx, ...env } = { ...process.env, ...options.env };
  const result = spawnSync(process.execPath, [join(repoRoot, bin), ...args], {
    cwd: repoRoot,
    env,
    input: options.stdin ?? '',
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
