import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is test/harness/fixtures.ts). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The shared fixtures live beside the checkout in `../shared` and are never copied into the repo.
 * STOKER_SHARED overrides the location.
 */
export const sharedDir = resolve(process.env.STOKER_SHARED ?? join(repoRoot, '..', 'shared'));

/** Absolute path of a file under ../shared (e.g. `fixtures/es/netdata_go.d/8.4.2/nodes_stats.json`). */
export function sharedPath(...parts: string[]): string {
  return join(sharedDir, ...parts);
}

/**
 * For node:test's `skip` option: a message when ../shared is absent, so tests that read it skip with
 * a clear reason instead of failing. Under CI=true the folder is always there, so its absence fails.
 */
export function sharedSkip(): string | undefined {
  if (existsSync(join(sharedDir, 'fixtures'))) return undefined;
  const message = `shared fixtures not found at ${sharedDir} (expected ../shared beside the checkout, or set STOKER_SHARED)`;
  if (process.env.CI === 'true') throw new Error(message);
  return message;
}
