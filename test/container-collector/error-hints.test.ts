/**
 * The Docker socket mistakes an operator meets first, each answered with what to do: a user outside
 * the docker group (a real EACCES: the agent runs as `nobody` against a root-only socket, or, when the
 * tests do not run as root, against a socket nobody may write) and no socket at the address.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runAgentToEnd } from '../harness/agent.js';
import { repoRoot } from '../harness/fixtures.js';

const CLI = 'packages/container-collector/src/cli.ts';
const ARGS = ['--once', '--output', 'stdout', '--self-metrics', 'false', '--no-host-metrics'];
const NOBODY = 65534;

/** The agent as another user (`uid`), when the tests run as root; stderr and exit code. */
function runAs(uid: number | undefined, args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--conditions=stoker-source', '--import', 'tsx', CLI, ...args], {
    cwd: repoRoot,
    // tsx keeps its cache under the temp directory, per user.
    env: { PATH: process.env.PATH, TMPDIR: tmpdir() },
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(uid === undefined ? {} : { uid, gid: uid }),
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('container-collector: Docker socket errors that say what to do', () => {
  let dir: string;
  let socket: string;
  let server: Server;
  const asRoot = process.getuid?.() === 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stoker-docker-perm-'));
    await chmod(dir, 0o755);
    socket = join(dir, 'docker.sock');
    server = createServer((connection) => connection.destroy());
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    // Like /var/run/docker.sock (root:docker 0660) for a user outside the group.
    await chmod(socket, asRoot ? 0o600 : 0o000);
  });
  after(async () => {
    server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('EACCES on the socket: the docker group or --docker', async () => {
    const { stderr } = await runAs(asRoot ? NOBODY : undefined, ['--docker', `unix://${socket}`, ...ARGS]);
    const warning = stderr.split('\n').find((line) => line.includes('EACCES'));
    assert.ok(warning, stderr);
    assert.match(
      warning,
      /this user may not use the Docker socket; add it to the docker group \(or run as root\), or give --docker a socket it may use/,
    );
  });

  test('no socket at the address: mount it or give --docker', async () => {
    const missing = join(dir, 'missing.sock');
    const { stderr } = await runAgentToEnd(CLI, ['--docker', `unix://${missing}`, ...ARGS]);
    const warning = stderr.split('\n').find((line) => line.includes('ENOENT'));
    assert.ok(warning, stderr);
    assert.match(
      warning,
      /no Docker socket at unix:\/\/.*missing\.sock; mount the host's socket there, or give --docker/,
    );
  });
});
