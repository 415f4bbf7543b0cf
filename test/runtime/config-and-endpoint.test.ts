/**
 * What an operator meets first: config mistakes exit 2 naming the key, --help/--version work, and
 * the HTTP endpoint serves /healthz and /status and nothing else.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runAgentToEnd, startAgent } from '../harness/agent.js';
import { freePort } from '../harness/graphite.js';

const AGENT = 'test/agents/tick-agent.ts';

describe('configuration errors exit 2 and name the key', () => {
  const cases: Array<{
    name: string;
    args: string[];
    env?: NodeJS.ProcessEnv;
    file?: string;
    expect: RegExp;
  }> = [
    {
      name: 'bad duration flag',
      args: ['--interval', '10x'],
      expect: /--interval: got "10x", expected a duration/,
    },
    { name: 'interval below 1 s', args: ['--interval', '100ms'], expect: /--interval: got "100ms"/ },
    {
      name: 'unknown flag',
      args: ['--intervall', '10s'],
      expect: /--intervall: unknown option; did you mean --interval\?$/m,
    },
    {
      name: 'bad carbon address',
      args: ['--carbon', 'host:99999'],
      expect: /--carbon: got \["host:99999"\], expected a list whose item 0 is host or host:port/,
    },
    {
      name: 'bad mode',
      args: ['--carbon-mode', 'broadcast'],
      expect: /--carbon-mode: got "broadcast", expected one of replicate, failover/,
    },
    { name: 'bad tag', args: ['--tag', 'a;b=c'], expect: /--tag: .*tag name/ },
    {
      name: 'bad queue size',
      args: ['--queue-size', 'lots'],
      expect: /--queue-size: got "lots", expected a size/,
    },
    {
      name: 'bad env value',
      args: [],
      env: { STOKER_INTERVAL: 'soon' },
      expect: /environment variable STOKER_INTERVAL: got "soon"/,
    },
    {
      name: 'bad PORT0 from Marathon',
      args: [],
      env: { PORT0: 'eighty' },
      expect: /environment variable PORT0: got "eighty", expected an integer/,
    },
    {
      name: 'unknown config file key',
      args: [],
      file: 'intervall: 10s\n',
      expect: /config file key "intervall": unknown key; did you mean "interval"\?$/m,
    },
    {
      name: 'bad config file value',
      args: [],
      file: 'interval: forever\n',
      expect: /config file key "interval": got "forever"/,
    },
    {
      name: 'config file not YAML',
      args: [],
      file: 'interval: [\n',
      expect: /--config: got ".*", expected valid YAML/,
    },
    {
      name: 'missing config file',
      args: ['--config', '/nonexistent/stoker.yaml'],
      expect: /--config: got "\/nonexistent\/stoker.yaml", expected a readable file \(ENOENT\)/,
    },
  ];
  for (const { name, args, env, file, expect } of cases) {
    test(name, async () => {
      const extra: string[] = [];
      if (file !== undefined) {
        const dir = await mkdtemp(join(tmpdir(), 'stoker-config-'));
        await writeFile(join(dir, 'agent.yaml'), file);
        extra.push('--config', join(dir, 'agent.yaml'));
      }
      const result = await runAgentToEnd(AGENT, [...args, ...extra, '--once', '--output', 'stdout'], env);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, expect);
      assert.equal(result.stderr.trim().split('\n').length, 1, 'one message');
      assert.equal(result.stdout, '', 'nothing collected');
    });
  }

  test('flags override the environment, which overrides the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stoker-config-'));
    await writeFile(join(dir, 'agent.json'), JSON.stringify({ prefix: 'from-file', lines: 1 }));
    const fromFile = await runAgentToEnd(AGENT, [
      '--config',
      join(dir, 'agent.json'),
      '--once',
      '--output',
      'stdout',
    ]);
    assert.match(fromFile.stdout, /^from-file\.tick\.job0\.seq 1 \d+$/m);
    assert.match(fromFile.stdout, /^from-file\.tick\.job0\.extra\.0 1 \d+$/m);
    const fromEnv = await runAgentToEnd(
      AGENT,
      ['--config', join(dir, 'agent.json'), '--once', '--output', 'stdout'],
      { STOKER_PREFIX: 'from-env' },
    );
    assert.match(fromEnv.stdout, /^from-env\.tick/m);
    const fromFlag = await runAgentToEnd(
      AGENT,
      ['--config', join(dir, 'agent.json'), '--once', '--output', 'stdout', '--prefix', 'from-flag'],
      { STOKER_PREFIX: 'from-env' },
    );
    assert.match(fromFlag.stdout, /^from-flag\.tick/m);
    assert.doesNotMatch(fromFlag.stdout, /from-env|from-file/);
  });

  test('--help and --version exit 0', async () => {
    const help = await runAgentToEnd(AGENT, ['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--carbon-mode/);
    assert.match(help.stdout, /STOKER_INTERVAL/);
    const version = await runAgentToEnd(AGENT, ['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout.trim(), /^\S+ 0\.0\.0-test \(commit unknown, Node v\d+\.\d+\.\d+\)$/);
  });
});

describe('--once', () => {
  test('prints the lines with --output stdout and exits 0', async () => {
    const result = await runAgentToEnd(AGENT, ['--once', '--output', 'stdout', '--jobs', '2']);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 4);
    for (const line of lines) assert.match(line, /^test\.tick\.job[01]\.(seq|ts) \d+ \d+$/);
  });

  test('exits non-zero when the cycle failed, after sending what it had', async () => {
    const result = await runAgentToEnd(AGENT, ['--once', '--output', 'stdout', '--fail']);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /test\.tick\.job0\.seq 1/);
    assert.match(result.stderr, /told to fail/);
  });

  test('exits non-zero when carbon cannot be reached within the grace period', async () => {
    const port = await freePort();
    const result = await runAgentToEnd(AGENT, [
      '--once',
      '--carbon',
      `127.0.0.1:${port}`,
      '--shutdown-grace',
      '1s',
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /could not flush/);
  });
});

describe('HTTP endpoint', () => {
  test('serves /healthz and /status, 404 elsewhere, 405 for other methods', async () => {
    const httpPort = await freePort();
    const agent = startAgent(
      AGENT,
      ['--output', 'stdout', '--interval', '1s', '--instance', 'i-1', '--metrics'],
      {
        httpPort,
      },
    );
    try {
      const status = await agent.waitForStatus((s) => s.jobs?.job0?.runs >= 1);
      assert.equal(status.agent, 'tick-agent');
      assert.equal(status.version, '0.0.0-test');
      assert.equal(status.instance, 'i-1');
      assert.equal(typeof status.uptime_s, 'number');
      assert.equal(status.jobs.job0.last_result, 'ok');
      assert.equal(typeof status.jobs.job0.last_duration_ms, 'number');
      assert.equal(typeof status.sender.queue_bytes, 'number');
      assert.deepEqual(Object.keys(status.dropped_lines).sort(), ['non_finite', 'queue_full', 'too_long']);
      const health = await agent.get('/healthz');
      assert.equal(health.status, 200);
      assert.equal(health.body.status, 'ok');
      const metrics = await agent.get('/metrics');
      assert.equal(metrics.status, 200);
      assert.match(metrics.body, /^stoker_job_cycles_total\{agent_job="job0"\} [1-9]/m);
      assert.equal((await agent.get('/metricz')).status, 404);
      const post = await fetch(`http://127.0.0.1:${httpPort}/status`, { method: 'POST' });
      assert.equal(post.status, 405);
      assert.equal(post.headers.get('allow'), 'GET, HEAD');
    } finally {
      assert.equal(await agent.stop(), 0);
    }
  });

  test('Marathon: the endpoint listens on $PORT0 when no flag is given', async () => {
    const httpPort = await freePort();
    const agent = startAgent(AGENT, ['--output', 'stdout', '--interval', '1s'], {
      httpPort,
      portFromEnv: true,
      env: { PORT0: String(httpPort) },
    });
    try {
      await agent.waitForStatus((s) => s.agent === 'tick-agent');
      // Without --metrics no cycle's samples are kept for a scraper, and /metrics is not a route.
      assert.equal((await agent.get('/metrics')).status, 404);
    } finally {
      await agent.stop();
    }
  });

  test('--metrics without an HTTP endpoint is a config error naming both', async () => {
    const result = await runAgentToEnd(AGENT, ['--output', 'stdout', '--metrics'], { PORT0: '' });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--metrics: .*--http-port/);
  });

  test('/healthz is 503 with a reason when cycles stall', async () => {
    const httpPort = await freePort();
    const agent = startAgent(
      AGENT,
      ['--output', 'stdout', '--interval', '1s', '--slow-ms', '60000', '--shutdown-grace', '2s'],
      { httpPort },
    );
    try {
      const deadline = Date.now() + 15_000;
      let health: { status: number; body: any } | undefined;
      while (Date.now() < deadline) {
        health = await agent.get('/healthz').catch(() => undefined);
        if (health?.status === 503) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.equal(health?.status, 503);
      assert.equal(health?.body.status, 'unhealthy');
      assert.match(health?.body.reasons.join(' '), /job job0: no cycle for \d+ s/);
      const status = (await agent.get('/status')).body;
      assert.ok(status.jobs.job0.skipped_ticks > 0, 'a slow cycle skips ticks and counts them');
    } finally {
      const started = Date.now();
      assert.equal(await agent.stop(), 0);
      assert.ok(
        Date.now() - started < 6000,
        'a cycle that ignores its abort signal does not hold up the shutdown',
      );
    }
  });

  test('/healthz is 200 "degraded" with the reason while a job fails its cycles (a restart would not help)', async () => {
    const httpPort = await freePort();
    const agent = startAgent(AGENT, ['--output', 'stdout', '--interval', '1s', '--fail'], { httpPort });
    try {
      await agent.waitForStatus((s) => s.jobs?.job0?.errors >= 1);
      const health = await agent.get('/healthz');
      assert.equal(health.status, 200);
      assert.equal(health.body.status, 'degraded');
      assert.match(health.body.reasons.join(' '), /job job0: last \d+ cycle\(s\) failed: told to fail/);
    } finally {
      assert.equal(await agent.stop(), 0);
    }
  });

  test('a second SIGTERM exits at once', async () => {
    const port = await freePort();
    const httpPort = await freePort();
    // carbon unreachable and a long grace: the first SIGTERM waits, the second must not.
    const agent = startAgent(
      AGENT,
      ['--carbon', `127.0.0.1:${port}`, '--interval', '1s', '--shutdown-grace', '60s'],
      { httpPort },
    );
    await agent.waitForStatus((s) => s.jobs.job0.runs >= 1);
    agent.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const started = Date.now();
    const code = await agent.stop('SIGTERM');
    assert.ok(Date.now() - started < 3000);
    assert.equal(code, 143);
  });
});
