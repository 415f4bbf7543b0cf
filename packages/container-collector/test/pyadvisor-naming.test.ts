import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ContainerInspectInfo } from 'dockerode';
import { identityFromInspect } from '../src/docker/identity.js';
import { pyadvisorAlias } from '../src/naming/pyadvisor.js';
import { firstLineValue } from '../src/naming/pyadvisor-v1.js';

/** A minimal inspect answer: what pyadvisor read of config.v2.json is `Name` and `Config.Env`. */
const inspect = (name: string, env: string[]) =>
  ({
    Id: 'f'.repeat(64),
    Name: `/${name}`,
    Config: { Env: env },
    State: { Pid: 1 },
  }) as unknown as ContainerInspectInfo;
const alias = (name: string, env: string[]) => pyadvisorAlias(identityFromInspect(inspect(name, env), []));

describe('pyadvisor naming', () => {
  test('alias: MESOS_TASK_ID whatever framework started the container, else the Docker name; dots are levels', () => {
    assert.deepEqual(
      alias('mesos-1', ['MARATHON_APP_ID=/es/logs/data', 'MESOS_TASK_ID=es_logs_data.abc-1']),
      ['es_logs_data', 'abc-1'],
    );
    // Aurora, Chronos, Jenkins: no MARATHON_APP_ID, still the task id (the default naming calls it a plain container).
    assert.deepEqual(alias('mesos-2', ['MESOS_TASK_ID=www-data-prod-hello-0-f24c']), [
      'www-data-prod-hello-0-f24c',
    ]);
    // `=` in another value before it: pyadvisor stopped there; the task id is still found.
    assert.deepEqual(alias('mesos-3', ['JAVA_OPTS=-Dx=y', 'MESOS_TASK_ID=a.b.c']), ['a', 'b', 'c']);
    assert.deepEqual(alias('web.1', ['PATH=/bin']), ['web', '1']);
    // An empty task id is no task: the Docker name.
    assert.deepEqual(alias('web', ['MESOS_TASK_ID=']), ['web']);
  });

  test("first line as pyadvisor's read_first_line gave it: missing or empty is -1", () => {
    assert.equal(firstLineValue('1024\n'), 1024);
    assert.equal(firstLineValue('0\n-1\n2\n'), 0);
    assert.equal(firstLineValue(' 9223372036854771712 \n'), 2 ** 63 - 4096);
    assert.equal(firstLineValue(undefined), -1);
    assert.equal(firstLineValue('\n'), -1);
    // Carbon refused a word that is no number; nothing is sent for it.
    assert.equal(firstLineValue('max\n'), undefined);
  });
});
