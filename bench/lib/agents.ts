/**
 * Runs the BUILT agents (packages/<agent>/bin, plain node on dist/): what production runs, without
 * tsx compiling TypeScript on the way, whose cost must not be measured.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../../test/harness/fixtures.js';
import { log } from './report.js';

/**
 * Where the agents run from: this checkout, or STOKER_BENCH_AGENTS_ROOT, another tree (with built
 * dist/) holding a candidate change, to measure it with the same benchmark before it is applied.
 */
export const agentsRoot = process.env.STOKER_BENCH_AGENTS_ROOT ?? repoRoot;

/** `npm run build` (tsc -b: incremental, a no-op when dist is current), so a fresh clone works. */
export function buildAgents(): void {
  if (agentsRoot !== repoRoot) {
    log(`agents from ${agentsRoot} (STOKER_BENCH_AGENTS_ROOT; built by whoever made it)`);
    return;
  }
  log('building the agents (npm run build)');
  execFileSync('npm', ['run', 'build', '--silent'], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The last few KB of stderr (logs), for error messages. */
  stderrTail(): string;
  /** Sends SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number>;
}

/** Spawns a program; stdout goes to /dev/null unless `stdoutToNull` is false (then it is piped). */
export function spawnProcess(
  command: string,
  args: readonly string[],
  options: { stdoutToNull?: boolean; env?: NodeJS.ProcessEnv } = {},
): RunningProcess {
  const stdout = options.stdoutToNull === false ? 'pipe' : openSync('/dev/null', 'w');
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', stdout, 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : 143))),
  );
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  void exited.then(() => process.off('exit', kill));
  return {
    child,
    pid: child.pid,
    stderrTail: () => stderr,
    async stop(graceMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return exited;
    },
  };
}

export interface RunningAgent extends RunningProcess {
  readonly httpPort: number;
  status(): Promise<any>;
  /** Polls /status until `predicate` holds. */
  waitForStatus(predicate: (status: any) => boolean, timeoutMs?: number): Promise<any>;
}

/** Starts `packages/<agent>/bin/<agent>.js` with its /status endpoint on a free port. */
/** The node flags an agent's script runs with, from its `#!/usr/bin/env -S node <flags>` line. */
function nodeFlagsOf(bin: string): string[] {
  const shebang = readFileSync(bin, 'utf8').split('\n', 1)[0]!;
  const match = /^#!\/usr\/bin\/env -S node(?: (.*))?$/.exec(shebang);
  return match?.[1]?.split(' ').filter((flag) => flag !== '') ?? [];
}

export async function startBuiltAgent(
  agent: 'es-collector' | 'container-collector',
  args: readonly string[],
  options: { nodeArgs?: readonly string[] } = {},
): Promise<RunningAgent> {
  const httpPort = await freePort();
  const bin = path.join(agentsRoot, 'packages', agent, 'bin', `${agent}.js`);
  const running = spawnProcess(process.execPath, [
    ...nodeFlagsOf(bin),
    ...(options.nodeArgs ?? []),
    ...(process.env.STOKER_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
    bin,
    '--http-port',
    String(httpPort),
    '--http-host',
    '127.0.0.1',
    ...args,
  ]);
  const status = async () => {
    const response = await fetch(`http://127.0.0.1:${httpPort}/status`);
    return response.json();
  };
  const handle: RunningAgent = {
    ...running,
    httpPort,
    status,
    async waitForStatus(predicate, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      let last: unknown;
      while (Date.now() < deadline) {
        if (running.child.exitCode !== null)
          throw new Error(`${agent} exited with ${running.child.exitCode}:\n${running.stderrTail()}`);
        try {
          last = await status();
          if (predicate(last)) return last;
        } catch {}
        await sleep(50);
      }
      throw new Error(
        `${agent}: status never matched within ${timeoutMs} ms; last: ${JSON.stringify(last)?.slice(0, 2000)}\n${running.stderrTail()}`,
      );
    },
  };
  await handle.waitForStatus(() => true, 30_000);
  return handle;
}

/** Resolves `ms` before the next multiple of `intervalMs` (the agents' wall-clock-aligned ticks). */
export async function untilBeforeTick(intervalMs: number, leadMs: number): Promise<number> {
  let now = Date.now();
  let tick = (Math.floor(now / intervalMs) + 1) * intervalMs;
  if (tick - now < leadMs) tick += intervalMs;
  await sleep(tick - leadMs - now);
  now = Date.now();
  return tick;
}
