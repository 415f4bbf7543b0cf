/**
 * Every option of both real agents, given a bad value as a flag, as an environment variable and as a
 * config-file key, stops the agent with exit code 2 and one line naming where the value came from;
 * unknown keys are reported, not ignored; es-collector's `clusters:` entries likewise.
 *
 * The matrix (a few hundred cases) goes through `runAgent(definition, argv, env)`, the function each
 * CLI's whole body is (`process.exitCode = await runAgent(...)`), in this process: spawning one agent
 * per case would cost minutes. A few cases per agent run the real CLIs as processes, to tie the
 * matrix to the exit code and stderr an operator sees.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { containerCollector } from '@stoker/container-collector';
import { esCollector } from '@stoker/es-collector';
import {
  type AgentDefinition,
  clusterEntryKey,
  commonOptions,
  kebab,
  loadConfig,
  type OptionSpecs,
  runAgent,
} from '@stoker/shared';
import { runAgentToEnd } from '../harness/agent.js';
import { CONTAINER_CLI, ES_CLI, tempFile } from './helpers.js';

type Form = 'flag' | 'env' | 'file';
/** A bad value per form; null where that form cannot hold a bad value (the reason says why). */
interface Bad {
  flag: string | null;
  env: string | null;
  /** Any JSON value (JSON is YAML), written as `key: <value>`. */
  file: unknown;
  why?: string;
}
const same = (value: string, file: unknown = value): Bad => ({ flag: value, env: value, file });
const bool: Bad = { flag: 'maybe', env: 'maybe', file: 'maybe' };
const nonEmpty: Bad = same('  ');

const COMMON_BAD: Record<keyof typeof commonOptions, Bad> = {
  carbon: same('host:99999', ['host:99999']),
  carbonMode: same('broadcast'),
  carbonProtocol: same('sctp'),
  output: same('file'),
  prefix: {
    flag: null,
    env: null,
    file: { a: 1 },
    why: 'any string is a prefix (each segment is sanitised)',
  },
  tag: same('a;b=c', { 'a;b': 'c' }),
  interval: same('10x'),
  once: bool,
  instance: nonEmpty,
  httpPort: same('99999'),
  httpHost: nonEmpty,
  queueSize: same('lots'),
  spoolDir: nonEmpty,
  spoolSize: same('1KiB'),
  spoolFsync: same('1ms'),
  connectTimeout: same('10x'),
  shutdownGrace: same('soon'),
  selfMetrics: same('maybe'),
  metrics: same('maybe'),
  logLevel: same('loud'),
  logFormat: same('xml'),
  include: same('a.{b', ['a.{b']),
  exclude: same('a..b', ['a..b']),
  profile: same('tiny'),
};
const listOfNonEmpty: Bad = {
  flag: '  ',
  env: null,
  file: [''],
  why: 'a comma-separated list drops empty items',
};
const ES_BAD: Record<keyof typeof esCollector.options, Bad> = {
  es: same('ftp://example', ['ftp://example']),
  cluster: nonEmpty,
  clusters: { flag: null, env: 'x', file: 'not a list', why: 'config file only' },
  local: bool,
  naming: same('graphite'),
  apis: same('everything'),
  indicesInclude: listOfNonEmpty,
  indicesExclude: listOfNonEmpty,
  indicesTop: same('-1'),
  indicesRollup: bool,
  healthLevelIndices: bool,
  esTimeout: same('10x'),
  maxConcurrentClusters: same('0'),
  maxResponseSize: same('1'),
  username: nonEmpty,
  passwordEnv: same('not a var'),
  passwordFile: nonEmpty,
  apiKeyEnv: same('1BAD'),
  apiKeyFile: nonEmpty,
  bearerTokenEnv: same('has-dash'),
  bearerTokenFile: nonEmpty,
  ca: nonEmpty,
  cert: nonEmpty,
  key: nonEmpty,
  insecure: bool,
};
const CONTAINER_BAD: Record<keyof typeof containerCollector.options, Bad> = {
  docker: same('not a socket'),
  hostName: nonEmpty,
  naming: same('cadvisor'),
  cgroupRoot: same('relative/path'),
  procRoot: same('relative/path'),
  groupLabel: listOfNonEmpty,
  hostMetrics: bool,
  readConcurrency: same('0'),
  dockerTimeout: same('1ms'),
};

/** Flags every case gets (so an accepted bad value still ends quickly), minus the option under test. */
const SAFE_ARGS: Record<string, string[]> = {
  once: ['--once'],
  output: ['--output', 'stdout'],
  shutdownGrace: ['--shutdown-grace', '1s'],
  docker: ['--docker', 'unix:///nonexistent/docker.sock'],
};

/** Runs an agent definition in this process and captures what it writes to stderr (config errors). */
async function runInProcess(
  definition: AgentDefinition<OptionSpecs>,
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await runAgent(definition, argv, env);
    return { code, stderr };
  } finally {
    process.stderr.write = write;
  }
}

const envName = (key: string) => `STOKER_${kebab(key).replace(/-/g, '_').toUpperCase()}`;

function matrix(
  agentName: string,
  definition: AgentDefinition<OptionSpecs>,
  bad: Record<string, Bad>,
  safe: string[],
): void {
  const specs: OptionSpecs = { ...commonOptions, ...definition.options };
  test('the table covers every option of the agent', () => {
    assert.deepEqual(Object.keys(bad).sort(), Object.keys(specs).sort());
  });
  for (const [key, spec] of Object.entries(specs)) {
    const flag = `--${kebab(key)}`;
    for (const form of ['flag', 'env', 'file'] as Form[]) {
      const value = bad[key]![form];
      const label = `${agentName} ${form} ${form === 'flag' ? flag : form === 'env' ? envName(key) : kebab(key)}`;
      if (value === null || (form === 'flag' && spec.fileOnly)) {
        test(`${label}: no bad value possible (${bad[key]!.why})`, () => {});
        continue;
      }
      // `--once=maybe` would make the agent run for ever if accepted: that one runs as a process.
      if (key === 'once' && form === 'flag') continue;
      test(`${label} = ${JSON.stringify(value)} exits 2 naming it`, async () => {
        const safeArgs = safe.filter((name) => name !== key).flatMap((name) => SAFE_ARGS[name]!);
        const argv = [...safeArgs];
        const env: NodeJS.ProcessEnv = {};
        let expect: RegExp;
        if (form === 'flag') {
          argv.push(...(spec.boolean ? [`${flag}=${value}`] : [flag, String(value)]));
          expect = new RegExp(`^${definition.name}: config error: ${flag}: got `);
        } else if (form === 'env') {
          env[envName(key)] = String(value);
          expect = new RegExp(
            `^${definition.name}: config error: environment variable ${envName(key)}: got `,
          );
        } else {
          argv.push('--config', tempFile('config.yaml', `${kebab(key)}: ${JSON.stringify(value)}\n`));
          expect = new RegExp(`^${definition.name}: config error: config file key "${kebab(key)}": got `);
        }
        const { code, stderr } = await runInProcess(definition, argv, env);
        assert.equal(code, 2, `exit code; stderr: ${stderr}`);
        assert.match(stderr, expect);
        assert.equal(stderr.trim().split('\n').length, 1, 'one line');
      });
    }
  }
}

describe('es-collector: a bad value in any option', () => {
  matrix(
    'es-collector',
    esCollector as unknown as AgentDefinition<OptionSpecs>,
    { ...COMMON_BAD, ...ES_BAD },
    ['once', 'output', 'shutdownGrace'],
  );
});

describe('container-collector: a bad value in any option', () => {
  matrix(
    'container-collector',
    containerCollector as unknown as AgentDefinition<OptionSpecs>,
    { ...COMMON_BAD, ...CONTAINER_BAD },
    ['once', 'output', 'shutdownGrace', 'docker'],
  );
});

describe('es-collector: clusters: entries', () => {
  const seed = 'http://127.0.0.1:1';
  const ENTRY_BAD: Record<string, unknown> = {
    name: '  ',
    es: ['ftp://example'],
    username: '  ',
    'password-env': 'not a var',
    'password-file': '  ',
    'api-key-env': 7,
    'api-key-file': '  ',
    'bearer-token-env': [],
    'bearer-token-file': '  ',
    ca: '  ',
    cert: '  ',
    key: '  ',
    insecure: 'maybe',
    interval: '10x',
    'es-timeout': '1ms',
    // The old spelling of es-timeout, still accepted (with a warning), and checked like it.
    timeout: '1ms',
    local: 'maybe',
    apis: ['everything'],
    naming: 'graphite',
    'indices-include': [''],
    'indices-exclude': [''],
    'indices-top': -1,
    'indices-rollup': 'maybe',
    'health-level-indices': 'maybe',
    include: ['es.{a'],
    exclude: 'a..b',
    profile: 'tiny',
  };
  const run = (clusters: unknown, env: NodeJS.ProcessEnv = {}) =>
    runInProcess(
      esCollector as unknown as AgentDefinition<OptionSpecs>,
      [
        '--config',
        tempFile('es-collector.json', JSON.stringify({ clusters })),
        '--once',
        '--output',
        'stdout',
        '--shutdown-grace',
        '1s',
      ],
      env,
    );
  test('the table covers every key of an entry', () => {
    const specs: OptionSpecs = { ...commonOptions, ...esCollector.options };
    const keys = Object.entries(specs).flatMap(([key, spec]) => clusterEntryKey(key, spec) ?? []);
    assert.deepEqual(Object.keys(ENTRY_BAD).sort(), [...keys, 'timeout'].sort());
  });
  test('the old spelling timeout is read as es-timeout, with a warning naming it', () => {
    const loaded = loadConfig(
      { ...commonOptions, ...esCollector.options },
      {
        name: 'es-collector',
        version: '0',
        description: '',
        env: {},
        argv: ['--config', tempFile('old.yaml', `clusters:\n  - es: ['${seed}']\n    timeout: 3s\n`)],
      },
    );
    assert.ok(loaded.kind === 'config');
    assert.equal(loaded.config.clusters?.[0]?.esTimeout, 3000);
    assert.deepEqual(loaded.warnings, [
      'clusters[0].timeout: deprecated spelling; write es-timeout, like the flag',
    ]);
  });
  for (const [key, value] of Object.entries(ENTRY_BAD)) {
    test(`clusters[1].${key} = ${JSON.stringify(value)} exits 2 naming it`, async () => {
      const entry = key === 'es' ? { name: 'b', es: value } : { name: 'b', es: [seed], [key]: value };
      const { code, stderr } = await run([{ name: 'a', es: [seed] }, entry]);
      assert.equal(code, 2, stderr);
      // A bad shape is refused while the file is read, a bad secret source when it is resolved: both
      // name the entry and the one key, as written.
      assert.match(stderr, new RegExp(`config error: clusters\\[1\\]\\.${key}: got `));
      assert.equal(stderr.trim().split('\n').length, 1);
    });
  }
  const semantic: Array<[string, unknown, RegExp, NodeJS.ProcessEnv?]> = [
    [
      'an unknown key',
      [{ es: [seed], passwrod: 'x' }],
      /clusters\[0\]\.passwrod: unknown key; did you mean password-env\?$/m,
    ],
    [
      'an entry that is not a mapping',
      ['http://127.0.0.1:1'],
      /clusters\[0\]: got "http:.*expected a mapping/,
    ],
    ['an entry without es', [{ name: 'a' }], /clusters\[0\]\.es: got nothing, expected a value/],
    ['an entry with no seed', [{ name: 'a', es: [] }], /clusters\[0\]\.es: got \[\], expected a value/],
    ['an empty list', [], /a non-empty list of clusters/],
    [
      'two entries with one name',
      [
        { name: 'a', es: [seed] },
        { name: 'a', es: [seed] },
      ],
      /clusters: got "a", expected distinct cluster names/,
    ],
    [
      'an unset password variable',
      [{ es: [seed], username: 'u', 'password-env': 'STOKER_FAULTS_UNSET' }],
      /clusters\[0\]\.password-env: got "STOKER_FAULTS_UNSET"/,
    ],
    [
      'a user without a password',
      [{ es: [seed], username: 'u' }],
      /clusters\[0\]\.password-env: got nothing, expected a password for user "u"/,
    ],
    [
      'an unreadable password file',
      [{ es: [seed], username: 'u', 'password-file': '/nonexistent/pw' }],
      /clusters\[0\]\.password-file: got "\/nonexistent\/pw", expected a readable file \(ENOENT\)/,
    ],
    [
      'an unreadable CA',
      [{ es: [seed], ca: '/nonexistent/ca.pem' }],
      /clusters\[0\]\.ca: got "\/nonexistent\/ca.pem", expected a readable PEM file/,
    ],
    [
      'two kinds of authentication',
      [{ es: [seed], 'api-key-env': 'K', 'bearer-token-env': 'T' }],
      /one kind of authentication per cluster/,
      { K: 'k', T: 't' },
    ],
  ];
  for (const [name, clusters, expect, env] of semantic) {
    test(`${name} exits 2 naming it`, async () => {
      const { code, stderr } = await run(clusters, env);
      assert.equal(code, 2, stderr);
      assert.match(stderr, expect);
      assert.equal(stderr.trim().split('\n').length, 1);
    });
  }
});

describe('values that parse but cannot work exit 2 naming the option', () => {
  const es = esCollector as unknown as AgentDefinition<OptionSpecs>;
  const containers = containerCollector as unknown as AgentDefinition<OptionSpecs>;
  const once = ['--once', '--output', 'stdout', '--shutdown-grace', '1s'];
  const pem = tempFile('client.pem', '-----BEGIN CERTIFICATE-----\n');
  const cases: Array<[string, AgentDefinition<OptionSpecs>, string[], RegExp, NodeJS.ProcessEnv?]> = [
    [
      'es-collector --ca of a missing file',
      es,
      ['--ca', '/nonexistent/ca.pem'],
      /--ca: got "\/nonexistent\/ca.pem", expected a readable PEM file/,
    ],
    ['es-collector --cert without --key', es, ['--cert', pem], /--cert: got "cert without key"/],
    [
      'es-collector --password-env of an unset variable',
      es,
      ['--username', 'u', '--password-env', 'STOKER_FAULTS_UNSET'],
      /--password-env: got "STOKER_FAULTS_UNSET"/,
    ],
    [
      'es-collector --password-file of a missing file',
      es,
      ['--username', 'u', '--password-file', '/nonexistent/pw'],
      /--password-file: got "\/nonexistent\/pw"/,
    ],
    [
      'es-collector --es beside a clusters: list',
      es,
      [
        '--es',
        'http://127.0.0.1:1',
        '--config',
        tempFile('c.yaml', 'clusters:\n  - es: [http://127.0.0.1:2]\n'),
      ],
      /--es: got .*either --es \(one cluster\) or a clusters: list/,
    ],
    [
      'container-collector --cgroup-root of a missing directory',
      containers,
      ['--docker', 'unix:///nonexistent/docker.sock', '--cgroup-root', '/nonexistent/cgroup'],
      /--cgroup-root: got "\/nonexistent\/cgroup"/,
    ],
    [
      'container-collector --proc-root of a missing directory',
      containers,
      ['--docker', 'unix:///nonexistent/docker.sock', '--proc-root', '/nonexistent/proc'],
      /--proc-root: got "\/nonexistent\/proc"/,
    ],
  ];
  for (const [name, definition, argv, expect, env] of cases) {
    test(name, async () => {
      const { code, stderr } = await runInProcess(definition, [...argv, ...once], env ?? {});
      assert.equal(code, 2, stderr);
      assert.match(stderr, expect);
    });
  }
  test('a flag given without its value (last on the line) is a config error, not a crash', async () => {
    for (const [definition, argv, flag] of [
      [es, ['--interval'], '--interval'],
      [es, ['--es'], '--es'],
      [containers, ['--docker'], '--docker'],
    ] as const) {
      const result = await runInProcess(definition, [...once, ...argv], {}).catch((error: Error) => ({
        code: -1,
        stderr: `runAgent threw: ${error.name}: ${error.message}`,
      }));
      assert.equal(result.code, 2, `${flag}: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(flag.slice(2)));
    }
  });
});

describe('the real CLIs: exit code 2, one line on stderr, nothing on stdout', () => {
  const cases: Array<[string, string, string[], NodeJS.ProcessEnv, RegExp]> = [
    [
      'es-collector flag',
      ES_CLI,
      ['--es-timeout', '10x'],
      {},
      /^es-collector: config error: --es-timeout: got "10x"/,
    ],
    [
      'es-collector env',
      ES_CLI,
      [],
      { STOKER_INDICES_TOP: 'many' },
      /environment variable STOKER_INDICES_TOP: got "many"/,
    ],
    [
      'es-collector clusters entry',
      ES_CLI,
      ['--config', tempFile('c.yaml', 'clusters:\n  - es: [http://127.0.0.1:1]\n    timeout: forever\n')],
      {},
      /^es-collector: config error: clusters\[0\]\.timeout: got "forever", expected a duration/,
    ],
    [
      'es-collector misspelt key in the third clusters: entry (its path, the key meant)',
      ES_CLI,
      [
        '--config',
        tempFile(
          'c.yaml',
          'clusters:\n  - es: http://127.0.0.1:1\n  - es: http://127.0.0.2:1\n  - es: http://127.0.0.3:1\n    timout: 5s\n',
        ),
      ],
      {},
      /^es-collector: config error: clusters\[2\]\.timout: unknown key; did you mean es-timeout\?$/m,
    ],
    [
      'es-collector clusters: entry with the old and the new spelling of one key',
      ES_CLI,
      [
        '--config',
        tempFile('c.yaml', 'clusters:\n  - es: http://127.0.0.1:1\n    timeout: 5s\n    es-timeout: 6s\n'),
      ],
      {},
      /^es-collector: config error: clusters\[0\]: timeout and es-timeout are one setting \(timeout is its old spelling\): keep es-timeout only$/m,
    ],
    [
      'es-collector unknown file key',
      ES_CLI,
      ['--config', tempFile('c.yaml', 'es-timeuot: 5s\n')],
      {},
      /config file key "es-timeuot": unknown key; did you mean "es-timeout"\?$/m,
    ],
    [
      'es-collector unknown flag',
      ES_CLI,
      ['--es-timeuot', '5s'],
      {},
      /^es-collector: config error: --es-timeuot: unknown option; did you mean --es-timeout\?$/m,
    ],
    [
      'container-collector flag',
      CONTAINER_CLI,
      ['--read-concurrency', '0'],
      {},
      /^container-collector: config error: --read-concurrency: got "0"/,
    ],
    [
      'container-collector env',
      CONTAINER_CLI,
      [],
      { STOKER_DOCKER_TIMEOUT: 'never' },
      /environment variable STOKER_DOCKER_TIMEOUT: got "never"/,
    ],
    [
      'container-collector unknown file key',
      CONTAINER_CLI,
      ['--config', tempFile('c.yaml', 'group-lable: [a]\n')],
      {},
      /config file key "group-lable"/,
    ],
    [
      'container-collector unknown flag',
      CONTAINER_CLI,
      ['--group-lable', 'a'],
      {},
      /^container-collector: config error: --group-lable: unknown option; did you mean --group-label\?$/m,
    ],
  ];
  for (const [name, cli, args, env, expect] of cases) {
    test(name, async () => {
      const result = await runAgentToEnd(cli, [...args, '--once', '--output', 'stdout'], env, 20_000);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, expect);
      assert.equal(result.stderr.trim().split('\n').length, 1, 'one line');
      assert.equal(result.stdout, '');
    });
  }

  test('es-collector --once=maybe is a config error (a boolean flag given a value that is not one)', async () => {
    const result = await runAgentToEnd(
      ES_CLI,
      ['--es', 'http://127.0.0.1:1', '--once=maybe', '--output', 'stdout', '--shutdown-grace', '1s'],
      {},
      8000,
    );
    assert.equal(result.code, 2, `exit ${result.code} (137: still running after 8 s)`);
    assert.match(result.stderr, /--once/);
  });

  test('an unknown STOKER_ environment variable is reported', async () => {
    const result = await runAgentToEnd(
      ES_CLI,
      ['--es', 'http://127.0.0.1:1', '--once', '--output', 'stdout', '--shutdown-grace', '1s'],
      { STOKER_ES_TIMEUOT: '5s' },
      20_000,
    );
    assert.match(result.stderr, /STOKER_ES_TIMEUOT/, `stderr:\n${result.stderr}`);
  });
});
