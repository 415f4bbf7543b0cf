import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { sanitizeSegment } from '@stoker/shared';
import type { ContainerInspectInfo } from 'dockerode';
import { sharedPath, sharedSkip } from '../../../test/harness/fixtures.js';
import {
  appSegment,
  identityFromInspect,
  parseEnv,
  parseMesosName,
  taskIdPrefix,
} from '../src/docker/identity.js';
import { interfacesFromDockerStats, rawFromDockerStats } from '../src/docker/stats-fallback.js';

const skip = sharedSkip();
const json = async (...parts: string[]) =>
  JSON.parse(await readFile(sharedPath('fixtures', 'containers', ...parts), 'utf8'));

describe('identity', () => {
  test('env splits at the first = only (pyadvisor crashed on values holding =)', () => {
    const env = parseEnv(['JAVA_OPTS=-Xms1g -Des.x=a=b', 'EMPTY=', 'FLAG', '=bogus']);
    assert.equal(env.get('JAVA_OPTS'), '-Xms1g -Des.x=a=b');
    assert.equal(env.get('EMPTY'), '');
    assert.equal(env.get('FLAG'), '');
    assert.equal(env.size, 3);
  });

  test('Mesos container names', () => {
    assert.deepEqual(parseMesosName('mesos-4e6b2c3a-1b2c-4d5e-8f90-0123456789ab'), {
      containerId: '4e6b2c3a-1b2c-4d5e-8f90-0123456789ab',
    });
    assert.deepEqual(parseMesosName('mesos-20150911-164023-16842879-5050-1234-S0.4e6b2c3a'), {
      agentId: '20150911-164023-16842879-5050-1234-S0',
      containerId: '4e6b2c3a',
    });
    assert.equal(parseMesosName('elasticsearch'), undefined);
  });

  test('app id as one segment, and as the prefix of its task ids', () => {
    assert.equal(sanitizeSegment(appSegment('/es/logs/data')), 'es_logs_data');
    assert.equal(sanitizeSegment(appSegment('/nginx2')), 'nginx2');
    assert.equal(taskIdPrefix('/es/logs/data'), 'es_logs_data');
  });

  // The env list cadvisor #546 quotes from a real Marathon task (the shared README's "not found" note).
  const marathonInspect = {
    Id: 'f'.repeat(64),
    Name: '/mesos-20150911-S0.4e6b2c3a',
    Config: {
      Image: 'elasticsearch:7',
      Env: [
        'MARATHON_APP_VERSION=2015-02-27T15:01:44.445Z',
        'HOST=agent1.example.com',
        'MESOS_TASK_ID=nginx2.f726a4c5-be85-11e4-82c2-56847afe9799',
        'PORT=31000',
        'PORTS=31000,31001',
        'PORT_80=31000',
        'MARATHON_APP_ID=/nginx2',
        'PORT0=31000',
        'MESOS_SANDBOX=/mnt/mesos/sandbox',
        'MARATHON_APP_RESOURCE_CPUS=1.5',
        'MARATHON_APP_RESOURCE_MEM=2048.0',
        'MARATHON_APP_LABEL_ES_CLUSTER=logs',
        'SECRET_TOKEN=do-not-leak',
      ],
      Labels: { team: 'search', 'com.example.cost': 'x' },
    },
    State: { Pid: 1234, Running: true, Paused: false },
    HostConfig: { NetworkMode: 'host', NanoCpus: 1_500_000_000 },
  } as unknown as ContainerInspectInfo;

  test('Marathon task identity from env, with only allow-listed labels kept', () => {
    const identity = identityFromInspect(marathonInspect, ['ES_CLUSTER', 'team', 'missing']);
    assert.equal(identity.name, 'mesos-20150911-S0.4e6b2c3a');
    assert.equal(identity.shortId, 'ffffffffffff');
    assert.equal(identity.pid, 1234);
    assert.equal(identity.ownNetwork, false);
    assert.equal(identity.cpuLimitCores, 1.5);
    assert.equal(identity.mesosAgentId, '20150911-S0');
    assert.equal(identity.mesosContainerId, '4e6b2c3a');
    assert.deepEqual(identity.marathon, {
      appId: '/nginx2',
      taskId: 'nginx2.f726a4c5-be85-11e4-82c2-56847afe9799',
      port0: 31000,
      ports: [31000, 31001],
      resourceCpus: 1.5,
      resourceMemMiB: 2048,
      labels: { ES_CLUSTER: 'logs' },
    });
    assert.deepEqual(identity.groupLabels, { ES_CLUSTER: 'logs', team: 'search' });
    assert.ok(!JSON.stringify(identity).includes('do-not-leak'));
  });

  test('Marathon >= 1.5 task id from the Docker label when env has none', () => {
    const info = structuredClone(marathonInspect);
    info.Config.Env = ['MARATHON_APP_ID=/es/logs/data'];
    info.Config.Labels = { MESOS_TASK_ID: 'es_logs_data.instance-1' };
    assert.equal(identityFromInspect(info, []).marathon?.taskId, 'es_logs_data.instance-1');
  });

  test('a real inspect (otel, cgroup v2 host): plain container, own network', { skip }, async () => {
    const identity = identityFromInspect(await json('otel_dockerstats', 'cgroups_v2', 'container.json'), []);
    assert.equal(identity.name, 'compassionate_mcnulty');
    assert.equal(identity.pid, 4003);
    assert.equal(identity.ownNetwork, true);
    assert.equal(identity.marathon, undefined);
    assert.equal(identity.cpuLimitCores, undefined);
  });
});

describe('Docker stats fallback', { skip }, () => {
  test('cgroup v2 one-shot stats (otel) map onto the raw shape', async () => {
    const stats = await json('otel_dockerstats', 'cgroups_v2', 'stats.json');
    const raw = rawFromDockerStats(stats, { hostMemoryBytes: 64 * 2 ** 30 });
    assert.equal(raw.source, 'docker-api');
    assert.equal(raw.cpu.usageNs, 999_478_000);
    assert.equal(raw.cpu.userNs, 28_503_000);
    assert.equal(raw.memory.usageBytes, 234_647_552);
    assert.equal(raw.memory.limitBytes, 268_435_456);
    assert.equal(raw.memory.rssBytes, 61_440);
    assert.equal(raw.memory.cacheBytes, 233_848_832);
    assert.equal(raw.memory.inactiveFileBytes, 0);
    assert.deepEqual(raw.blockIo, [
      { device: '8:0', readBytes: 167_936, writeBytes: 0, reads: 0, writes: 0 },
    ]);
    assert.deepEqual(raw.pids, { current: 1, limit: 4694 });
    assert.equal(interfacesFromDockerStats(stats)[0]?.rxBytes, 1296);
  });

  test('cgroup v1 one-shot stats (otel): total_* keys; the host-sized limit means no limit', async () => {
    const stats = await json('otel_dockerstats', 'single_container_cgroups_v1', 'stats.json');
    const raw = rawFromDockerStats(stats, { hostMemoryBytes: stats.memory_stats.limit });
    assert.equal(raw.memory.limitBytes, undefined);
    assert.equal(raw.memory.rssBytes, stats.memory_stats.stats.total_rss);
    assert.ok(raw.blockIo.length > 0);
  });
});
