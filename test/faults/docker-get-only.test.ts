/**
 * The container-collector only ever reads from Docker: run against a recording proxy in front of the
 * real daemon while containers start, pause, get renamed and go away, and with its cgroup files out
 * of reach (so it falls back to Docker's stats API), every request it makes is a GET (or HEAD).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runAgentToEnd, startAgent } from '../harness/agent.js';
import { type Dockerd, dockerSkip, sharedDockerd, type TestContainer } from '../harness/dockerd.js';
import { freePort } from '../harness/graphite.js';
import { type DockerProxy, startDockerProxy } from './docker-proxy.js';
import { CONTAINER_CLI, checkCarbonLines, waitUntil } from './helpers.js';

const skip = dockerSkip();
const READ_ONLY = new Set(['GET', 'HEAD']);

describe('container-collector: GET-only toward Docker', { skip }, () => {
  let dockerd: Dockerd;
  let proxy: DockerProxy;
  const containers: TestContainer[] = [];
  before(async () => {
    dockerd = await sharedDockerd();
    proxy = await startDockerProxy(dockerd.address);
    containers.push(await dockerd.run({ name: 'get-only-early', cmd: 'sleep 3600' }));
  });
  after(async () => {
    await Promise.all(containers.map((container) => container.remove()));
    await proxy?.close();
  });

  test('a few cycles with containers starting, pausing, renamed and removed: every request a GET', {
    timeout: 90_000,
  }, async () => {
    const httpPort = await freePort();
    const agent = startAgent(
      CONTAINER_CLI,
      ['--docker', proxy.address, '--interval', '1s', '--output', 'stdout', '--host-name', 'h'],
      { httpPort, env: { HOST: '', PORT0: '' } },
    );
    try {
      const seen = (name: string) =>
        agent.stdout().includes(`containers.h.containers.${name}.memory.usage_bytes `) ? true : undefined;
      const context = () => agent.stderr();
      await waitUntil('early container measured', () => seen('get-only-early'), 20_000, context);
      const late = await dockerd.run({ name: 'get-only-late', cmd: 'sleep 3600' });
      containers.push(late);
      await waitUntil('late container measured', () => seen('get-only-late'), 10_000, context);
      const api = dockerd.docker.getContainer(late.id);
      await api.pause();
      await sleep(1500);
      await api.unpause();
      await api.rename({ name: 'get-only-renamed' });
      await waitUntil('renamed container measured', () => seen('get-only-renamed'), 10_000, context);
      await containers[0]!.remove();
      await sleep(2500);
      // The endpoint is read-only as well.
      const post = await fetch(`http://127.0.0.1:${httpPort}/status`, { method: 'POST' });
      assert.equal(post.status, 405);
    } finally {
      assert.equal(await agent.stop(), 0);
    }
    assert.deepEqual(proxy.unparsed, [], 'every byte the agent sent was an HTTP request');
    const paths = proxy.requests.map((request) => request.path);
    assert.ok(
      paths.some((path) => /^(\/v[\d.]+)?\/events\?/.test(path)),
      `the event stream: ${paths.join(' ')}`,
    );
    assert.ok(paths.some((path) => /^(\/v[\d.]+)?\/containers\/json/.test(path)));
    assert.ok(paths.some((path) => /^(\/v[\d.]+)?\/containers\/[0-9a-f]{64}\/json/.test(path)));
    const writes = proxy.requests.filter((request) => !READ_ONLY.has(request.method));
    assert.deepEqual(writes, [], 'only GET or HEAD');
  });

  test('cgroup files out of reach (stats from the Docker API instead): still only GETs', {
    timeout: 60_000,
  }, async () => {
    const before = proxy.requests.length;
    const emptyCgroupRoot = mkdtempSync(join(tmpdir(), 'stoker-no-cgroups-'));
    const result = await runAgentToEnd(
      CONTAINER_CLI,
      [
        '--docker',
        proxy.address,
        '--cgroup-root',
        emptyCgroupRoot,
        '--once',
        '--output',
        'stdout',
        '--host-name',
        'h',
      ],
      { HOST: '', PORT0: '' },
    );
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    assert.deepEqual(checkCarbonLines(result.stdout, 'containers').problems, []);
    assert.match(result.stdout, /^containers\.h\.containers\.get-only-renamed\.memory\.usage_bytes /m);
    const requests = proxy.requests.slice(before);
    assert.ok(
      requests.some((request) => /\/containers\/[0-9a-f]{64}\/stats/.test(request.path)),
      `the stats fallback was used: ${requests.map((r) => r.path).join(' ')}`,
    );
    assert.deepEqual(
      requests.filter((request) => !READ_ONLY.has(request.method)),
      [],
      'only GET or HEAD',
    );
  });
});
