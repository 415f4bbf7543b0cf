import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runAgentToEnd } from '../harness/agent.js';
import { refusedPort, startEsStandin } from '../harness/es-standin.js';
import { sharedSkip } from '../harness/fixtures.js';

/** The CLI as a newcomer runs it: `es-collector --es URL --once --output stdout`, from the sources. */
const CLI = 'packages/es-collector/src/cli.ts';
const LINE = /^[A-Za-z0-9_.-]+ -?\d+(\.\d+)?(e[+-]\d+)? \d{10}$/;

describe('es-collector CLI against the ES stand-in', { skip: sharedSkip() }, () => {
  test('--once --output stdout prints sane carbon lines and exits 0', async () => {
    const es = await startEsStandin({ version: '8.4.2' });
    try {
      const { code, stdout, stderr } = await runAgentToEnd(CLI, [
        '--es',
        es.url,
        '--once',
        '--output',
        'stdout',
      ]);
      assert.equal(code, 0, stderr);
      const lines = stdout.trim().split('\n');
      assert.ok(lines.length > 1000, `${lines.length} lines`);
      for (const line of lines) assert.match(line, LINE);
      const timestamps = new Set(lines.map((line) => line.split(' ')[2]));
      assert.equal(timestamps.size, 1, 'one aligned timestamp per cycle');
      const cluster = 'es.36928dce44074ceba64d7b3d698443a7';
      for (const name of [
        `${cluster}.collector.up 1`,
        `${cluster}.cluster.health.status 0`,
        `${cluster}.cluster.health.status_green 1`,
        `${cluster}.nodes.instance-0000000005.jvm.mem.heap_used_percent 23`,
        `${cluster}.cluster.pending_tasks.count 3`,
      ]) {
        assert.ok(
          lines.some((line) => line.startsWith(`${name} `)),
          name,
        );
      }
      assert.ok(lines.some((line) => line.startsWith(`${cluster}.indices._all.primaries.docs.count `)));
      assert.ok(!stdout.includes('"level"'), 'logs stay off stdout');
    } finally {
      await es.close();
    }
  });

  test('--naming es2graphite with an older version (5.4.2)', async () => {
    const es = await startEsStandin({ version: '5.4.2' });
    try {
      const { code, stdout, stderr } = await runAgentToEnd(CLI, [
        '--es',
        es.url,
        '--cluster',
        'Legacy',
        '--naming',
        'es2graphite',
        '--once',
        '--output',
        'stdout',
      ]);
      assert.equal(code, 0, stderr);
      const names = stdout
        .trim()
        .split('\n')
        .map((line) => line.split(' ')[0]!);
      assert.ok(names.includes('es.legacy.status'));
      assert.ok(names.includes('es.legacy.indices._all.primaries.docs.count'));
      assert.ok(names.some((name) => /^es\.legacy\.[a-z0-9_-]+\.jvm\.mem\.heap_used_in_bytes$/.test(name)));
      for (const name of names) assert.equal(name, name.toLowerCase());
    } finally {
      await es.close();
    }
  });

  test('no seed answering: collector.up 0 on stdout, one log line naming the URL without credentials, exit 1', async () => {
    const port = await refusedPort();
    const { code, stdout, stderr } = await runAgentToEnd(CLI, [
      '--es',
      `http://admin:s3cret@127.0.0.1:${port}`,
      '--cluster',
      'dead',
      '--once',
      '--output',
      'stdout',
    ]);
    assert.equal(code, 1);
    assert.match(stdout, /^es\.dead\.collector\.up 0 \d+$/m);
    assert.match(stdout, /^es\.dead\.collector\.errors\.root 1 \d+$/m);
    const failures = stderr.split('\n').filter((line) => line.includes('connection refused'));
    assert.equal(failures.length, 1, stderr);
    assert.ok(failures[0]!.includes(`http://127.0.0.1:${port}/`));
    assert.ok(!stderr.includes('s3cret') && !stdout.includes('s3cret'), 'the password is never printed');
  });

  test('a config error exits 2 naming the key', async () => {
    const { code, stderr } = await runAgentToEnd(CLI, [
      '--naming',
      'graphite',
      '--once',
      '--output',
      'stdout',
    ]);
    assert.equal(code, 2);
    assert.match(stderr, /--naming: got "graphite", expected one of default, es2graphite/);

    const dir = mkdtempSync(join(tmpdir(), 'es-collector-config-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'clusters:\n  - name: a\n    es: [http://127.0.0.1:9200]\n    password-envv: X\n');
    const bad = await runAgentToEnd(CLI, ['--config', file, '--once', '--output', 'stdout']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /clusters\[0\]\.password-envv: unknown key; did you mean password-env\?$/m);

    writeFileSync(
      file,
      'clusters:\n  - name: a\n    es: [http://127.0.0.1:9200]\n    username: u\n    password-env: ES_TEST_UNSET_PASSWORD\n',
    );
    const unset = await runAgentToEnd(CLI, ['--config', file, '--once', '--output', 'stdout']);
    assert.equal(unset.code, 2);
    assert.match(unset.stderr, /clusters\[0\]\.password-env/);
  });

  test('fault matrix through the CLI: every fault ends the cycle in time with collector.up 0', async () => {
    const faults = [
      { kind: 'status', status: 401 },
      { kind: 'status', status: 429 },
      { kind: 'status', status: 500 },
      { kind: 'hang' },
      { kind: 'truncate' },
      { kind: 'invalid_json' },
      { kind: 'html' },
      { kind: 'reset' },
    ] as const;
    const es = await startEsStandin({ version: '8.4.2' });
    try {
      for (const fault of faults) {
        es.fault('*', fault);
        const began = Date.now();
        const { code, stdout, stderr } = await runAgentToEnd(CLI, [
          '--es',
          es.url,
          '--cluster',
          'c',
          '--es-timeout',
          '1s',
          '--once',
          '--output',
          'stdout',
        ]);
        const label = JSON.stringify(fault);
        assert.equal(code, 1, label);
        assert.ok(Date.now() - began < 15_000, `${label}: took ${Date.now() - began} ms`);
        assert.match(stdout, /^es\.c\.collector\.up 0 \d+$/m, label);
        assert.equal(
          stderr.split('\n').filter((line) => line.includes('collector.up 0')).length,
          1,
          `${label}: one line\n${stderr}`,
        );
        assert.ok(!/unhandled|uncaught/i.test(stderr), `${label}: ${stderr}`);
      }
    } finally {
      await es.close();
    }
  });
});
