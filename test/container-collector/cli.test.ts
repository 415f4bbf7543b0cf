/**
 * `container-collector --once --output stdout` as a newcomer would try it, and one run into a real
 * carbon-cache.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { runAgentToEnd } from '../harness/agent.js';
import { type Dockerd, dockerSkip, sharedDockerd, type TestContainer } from '../harness/dockerd.js';
import { repoRoot } from '../harness/fixtures.js';
import { parsePoints } from './series.js';

const CLI = 'packages/container-collector/src/cli.ts';
const skip = dockerSkip();
const hasGraphiteHarness = existsSync(`${repoRoot}/test/harness/graphite.ts`);

describe('container-collector CLI', { skip }, () => {
  let dockerd: Dockerd;
  let task: TestContainer;
  let plain: TestContainer;

  before(async () => {
    dockerd = await sharedDockerd();
    task = await dockerd.run({
      name: 'mesos-0f1e2d3c',
      cmd: 'sleep 3600',
      env: { MARATHON_APP_ID: '/es/logs/data', MESOS_TASK_ID: 'es_logs_data.abc-123', PORT0: '31001' },
    });
    plain = await dockerd.run({ name: 'plain', cmd: 'sleep 3600' });
  });
  after(async () => {
    await task?.remove();
    await plain?.remove();
  });

  test('--log-level trace shows every Docker API request with its duration', async () => {
    const { code, stderr } = await runAgentToEnd(CLI, [
      '--docker',
      dockerd.address,
      '--once',
      '--output',
      'stdout',
      '--log-level',
      'trace',
    ]);
    assert.equal(code, 0, stderr);
    const requests = stderr
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { level: number; msg: string; request?: string; duration_ms?: number },
      )
      .filter((entry) => entry.level === 10 && entry.request !== undefined);
    const shown = requests.map((entry) => entry.msg).join('\n');
    assert.ok(
      requests.some((entry) => /^GET \/containers\/json/.test(entry.request!)),
      shown,
    );
    assert.ok(
      requests.some((entry) => /^GET \/containers\/[0-9a-f]+\/json/.test(entry.request!)),
      shown,
    );
    for (const entry of requests) {
      assert.match(entry.msg, /^Docker (GET|POST) \/\S*: (\d+\.\d ms|failed after .*)$/);
      assert.equal(typeof entry.duration_ms, 'number');
    }
  });

  test('--once --output stdout prints sane lines and exits 0', async () => {
    const { code, stdout, stderr } = await runAgentToEnd(
      CLI,
      ['--docker', dockerd.address, '--once', '--output', 'stdout'],
      {
        HOST: '',
      },
    );
    assert.equal(code, 0, stderr);
    const host = hostname().replace(/[^A-Za-z0-9_-]/g, '_');
    const lines = stdout.trim().split('\n');
    for (const line of lines)
      assert.match(line, /^containers\.[A-Za-z0-9_.-]+ -?\d+(\.\d+)?(e[-+]\d+)? \d{10}$/, line);
    const names = new Set(parsePoints(stdout).map((point) => point.name));
    const expect = [
      `containers.${host}.containers.plain.cpu.cores`,
      `containers.${host}.containers.plain.memory.working_set_bytes`,
      `containers.${host}.apps.es_logs_data.tasks.abc-123.cpu.cores`,
      `containers.${host}.apps.es_logs_data.instances`,
      `containers.${host}.all.instances`,
      `containers.${host}.host.cpu.count`,
      `containers.${host}.host.memory.total_bytes`,
    ];
    for (const name of expect)
      assert.ok(names.has(name), `${name} missing; got:\n${[...names].slice(0, 40).join('\n')}`);
    // One timestamp for the whole run.
    assert.equal(new Set(parsePoints(stdout).map((point) => point.timestampSec)).size, 1);
  });

  test('--naming pyadvisor writes pyadvisor paths under pycadvisor', async () => {
    const { code, stdout, stderr } = await runAgentToEnd(CLI, [
      '--docker',
      dockerd.address,
      '--once',
      '--output',
      'stdout',
      '--naming',
      'pyadvisor',
    ]);
    assert.equal(code, 0, stderr);
    const names = new Set(parsePoints(stdout).map((point) => point.name));
    for (const name of [
      'pycadvisor.es_logs_data.abc-123.cpu.usage',
      'pycadvisor.es_logs_data.abc-123.cpu.usage_percpu.0',
      'pycadvisor.es_logs_data.abc-123.memory.usage_in_bytes',
      'pycadvisor.plain.cpu.usage',
      // Read only for this scheme; v1 kernels with swap accounting have it.
      ...(existsSync('/sys/fs/cgroup/memory/memory.memsw.failcnt')
        ? ['pycadvisor.es_logs_data.abc-123.memory.memsw.failcnt']
        : []),
    ]) {
      assert.ok(names.has(name), `${name} missing; got:\n${[...names].join('\n')}`);
    }
  });

  test('an unreachable Docker makes --once exit 1 with a clear message', async () => {
    const { code, stderr } = await runAgentToEnd(CLI, [
      '--docker',
      'unix:///nonexistent/docker.sock',
      '--once',
      '--output',
      'stdout',
    ]);
    assert.equal(code, 1);
    assert.match(stderr, /Docker not reachable/);
  });

  test('a bad --docker value is a config error (exit 2)', async () => {
    const { code, stderr } = await runAgentToEnd(CLI, ['--docker', 'not a socket', '--once']);
    assert.equal(code, 2);
    assert.match(stderr, /--docker/);
  });

  test('into a real carbon-cache', {
    skip: hasGraphiteHarness ? undefined : 'test/harness/graphite.ts not there',
  }, async () => {
    const graphite = await import('../harness/graphite.js');
    const noCarbon = graphite.requireProgram('carbon-cache', 'graphite-carbon');
    if (noCarbon) return;
    const carbon = await graphite.startCarbonCache();
    try {
      const { code, stderr } = await runAgentToEnd(CLI, [
        '--docker',
        dockerd.address,
        '--once',
        '--carbon',
        `127.0.0.1:${carbon.linePort}`,
        '--host-name',
        'carbon-test',
      ]);
      assert.equal(code, 0, stderr);
      const points = await carbon.waitForPoints('containers.carbon-test.apps.es_logs_data.instances');
      assert.equal(points.at(-1)![1], 1);
      const memory = await carbon.waitForPoints('containers.carbon-test.containers.plain.memory.usage_bytes');
      assert.ok(memory.at(-1)![1] > 0);
    } finally {
      await carbon.stop();
    }
  });
});
