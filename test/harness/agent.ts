import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from './fixtures.js';

/** A running agent process, started from the TypeScript sources the way `npm test` runs them. */
export interface AgentProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** GET a path of the agent's HTTP endpoint (needs --http-port). */
  get(path: string): Promise<{ status: number; body: any }>;
  /** Polls /status until `predicate` holds (bounded); returns that status. */
  waitForStatus(predicate: (status: any) => boolean, timeoutMs?: number): Promise<any>;
  /** Resolves with the exit code (or 128+signal). */
  exited: Promise<number>;
  /** Sends a signal (default SIGTERM) and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/**
 * Starts `script` (a path from the repo root) with node + tsx and the given arguments. With
 * `httpPort`, its HTTP endpoint is told to listen there on 127.0.0.1 (unless `portFromEnv`: the test
 * gives the port through the environment, as Marathon does, and only reads it here).
 */
export function startAgent(
  script: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; httpPort?: number; portFromEnv?: boolean } = {},
): AgentProcess {
  const http =
    options.httpPort === undefined || options.portFromEnv
      ? []
      : ['--http-port', String(options.httpPort), '--http-host', '127.0.0.1'];
  const child = spawn(
    process.execPath,
    ['--conditions=stoker-source', '--import', 'tsx', script, ...args, ...http],
    {
      cwd: repoRoot,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15)));
  });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  exited.then(() => process.off('exit', kill));

  const get = async (path: string) => {
    if (options.httpPort === undefined) throw new Error('agent started without httpPort');
    const response = await fetch(`http://127.0.0.1:${options.httpPort}${path}`);
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    return { status: response.status, body };
  };
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    get,
    exited,
    async waitForStatus(predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last: unknown;
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`agent exited with ${child.exitCode}; stderr:\n${err}`);
        try {
          last = (await get('/status')).body;
          if (predicate(last)) return last;
        } catch {}
        await sleep(100);
      }
      throw new Error(
        `status never matched within ${timeoutMs} ms; last: ${JSON.stringify(last)}\nstderr:\n${err.slice(-3000)}`,
      );
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs an agent to completion (e.g. `--once`) and returns its exit code and output. */
export async function runAgentToEnd(
  script: string,
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
) {
  const agent = startAgent(script, args, { env });
  const timer = setTimeout(() => agent.child.kill('SIGKILL'), timeoutMs);
  const code = await agent.exited;
  clearTimeout(timer);
  return { code, stdout: agent.stdout(), stderr: agent.stderr() };
}

/**
 * Starts the runtime's test agent (test/agents/tick-agent.ts) at a 1 s interval with its HTTP
 * endpoint on a free port; `args` are added to the command line.
 */
export async function startTickAgent(prefix: string, args: readonly string[]): Promise<AgentProcess> {
  const { freePort } = await import('./graphite.js');
  const httpPort = await freePort();
  return startAgent('test/agents/tick-agent.ts', ['--interval', '1s', '--prefix', prefix, ...args], {
    httpPort,
  });
}
