/**
 * Hostile names from Docker: real containers whose names (as far as Docker allows: dots, `..`, 10 KB),
 * labels and environment (anything: newlines, spaces, `/`, `*`, `..`, `;`, `=`, unicode, 10 KB,
 * empty) feed the names the container-collector builds. Every line must stay one well-formed carbon
 * line under the agent's prefix, one per metric.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sanitizeSegment } from '@stoker/shared';
import { runAgentToEnd } from '../harness/agent.js';
import {
  type Dockerd,
  dockerSkip,
  type RunOptions,
  sharedDockerd,
  type TestContainer,
} from '../harness/dockerd.js';
import { CONTAINER_CLI, checkCarbonLines } from './helpers.js';

const skip = dockerSkip();
const TEN_KB = 10 * 1024;

const once = (dockerd: Dockerd, ...args: string[]) =>
  runAgentToEnd(
    CONTAINER_CLI,
    [
      '--docker',
      dockerd.address,
      '--once',
      '--output',
      'stdout',
      '--host-name',
      'hostile',
      '--no-host-metrics',
      '--group-label',
      'team',
      ...args,
    ],
    { HOST: '', PORT0: '' },
  );

describe('container-collector: hostile container names, labels and env', { skip }, () => {
  let dockerd: Dockerd;
  const containers: TestContainer[] = [];
  const run = async (options: Omit<RunOptions, 'cmd'>) => {
    const container = await dockerd.run({ ...options, cmd: 'sleep 3600' });
    containers.push(container);
    return container;
  };
  before(async () => {
    dockerd = await sharedDockerd();
  });
  after(async () => {
    await Promise.all(containers.map((container) => container.remove()));
  });

  test('names, labels and env from hell: well-formed lines under containers.hostile., one per metric', {
    timeout: 120_000,
  }, async () => {
    const longName = `long-${'n'.repeat(TEN_KB)}`;
    await Promise.all([
      run({
        name: 'dots.in.name',
        labels: { team: 'line\nbreak ../../x *;=', junk: 'x'.repeat(TEN_KB), '': 'empty key' },
        env: { JAVA_OPTS: '-Da=b -Dc=d\n-De=f', WEIRD: 'ü ノード', 'SPACE KEY': 'v' },
      }),
      run({ name: 'a..b', labels: { team: '' }, env: { team: '..' } }),
      run({ name: longName, labels: { team: `t${'y'.repeat(TEN_KB)}` } }),
      run({
        name: 'x-.-_y',
        labels: { team: 'ノード/节点' },
        env: { MARATHON_APP_ID: '/../../etc/passwd\n*;=ü', MESOS_TASK_ID: '..;x=y\nz ü' },
      }),
      run({
        name: 'marathon-long',
        labels: { team: '*' },
        env: { MARATHON_APP_ID: `/${'a'.repeat(TEN_KB)}`, MESOS_TASK_ID: 'b'.repeat(TEN_KB) },
      }),
      run({ name: 'marathon-empty-task', env: { MARATHON_APP_ID: '/ok/app', MESOS_TASK_ID: '' } }),
      run({ name: 'marathon-empty-app', env: { MARATHON_APP_ID: '', MESOS_TASK_ID: 'orphan.task' } }),
      run({ name: 'plain-reference' }),
    ]);
    const { code, stdout, stderr } = await once(dockerd);
    assert.equal(code, 0, stderr.slice(-3000));
    const { points, problems } = checkCarbonLines(stdout, 'containers.hostile');
    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} bad lines`);
    const names = new Set(points.map((point) => point.name));
    const base = 'containers.hostile';
    const ownNodes = [
      `containers.${sanitizeSegment('dots.in.name')}`,
      `containers.${sanitizeSegment('a..b')}`,
      `containers.${sanitizeSegment(longName)}`,
      `containers.${sanitizeSegment('marathon-empty-app')}`,
      'containers.plain-reference',
      `apps.${sanitizeSegment('../../etc_passwd\n*;=ü')}.tasks.${sanitizeSegment('..;x=y\nz ü')}`,
      `apps.${sanitizeSegment(`${'a'.repeat(TEN_KB)}`)}.tasks.${sanitizeSegment('b'.repeat(TEN_KB))}`,
      `apps.ok_app.tasks.marathon-empty-task`,
    ];
    // Each container yields exactly the series the plain one does.
    const seriesOf = (node: string) =>
      [...names]
        .filter((name) => name.startsWith(`${base}.${node}.`))
        .map((name) => name.slice(`${base}.${node}.`.length))
        .filter((metric) => !metric.startsWith('network.interfaces.'))
        .sort();
    const reference = seriesOf('containers.plain-reference');
    assert.ok(reference.includes('memory.usage_bytes') && reference.includes('cpu.cores'));
    for (const node of ownNodes)
      assert.deepEqual(seriesOf(node), reference, `series of ${node.slice(0, 80)}`);
    // Label groups: one per distinct non-empty value of the allow-listed key, nothing from other labels.
    for (const value of ['line\nbreak ../../x *;=', `t${'y'.repeat(TEN_KB)}`, 'ノード/节点', '*'])
      assert.equal(
        points.find((point) => point.name === `${base}.labels.team.${sanitizeSegment(value)}.instances`)
          ?.value,
        1,
        `label group ${JSON.stringify(value.slice(0, 30))}`,
      );
    assert.ok(![...names].some((name) => /\.labels\.(junk|_)\./.test(name)), 'only allow-listed labels');
    assert.ok(![...names].some((name) => /Da_b|empty_key|SPACE/.test(name)), 'nothing from other env');
  });

  test('containers whose names differ only in characters the sanitiser replaces never share a series', {
    timeout: 60_000,
  }, async () => {
    // Both are valid Docker names; label values likewise.
    await run({ name: 'web.1', labels: { team: 'search.eu' } });
    await run({ name: 'web_1', labels: { team: 'search_eu' } });
    const { code, stdout, stderr } = await once(dockerd);
    assert.equal(code, 0, stderr.slice(-3000));
    const { points, problems } = checkCarbonLines(stdout, 'containers.hostile');
    const web = new Set(
      points
        .map((point) => point.name)
        .filter((name) => /^containers\.hostile\.containers\.web[._]1[^.]*\.memory\.usage_bytes$/.test(name)),
    );
    assert.equal(web.size, 2, `one series per container: ${[...web].join(', ')}`);
    const groups = points.filter((point) =>
      /^containers\.hostile\.labels\.team\.search_eu[^.]*\.instances$/.test(point.name),
    );
    assert.deepEqual(
      groups.map((point) => point.value),
      [1, 1],
      `one container per label value: ${groups.map((point) => point.name).join(', ')}`,
    );
    assert.equal(new Set(groups.map((point) => point.name)).size, 2, 'one series per label value');
    assert.deepEqual(problems.slice(0, 10), [], `${problems.length} bad lines`);
  });
});
