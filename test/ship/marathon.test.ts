/**
 * docker/marathon/: every app file and the generator's output (for the example input and for hostile
 * cluster names) against Marathon's own AppDefinition schema from ../shared, plus the rules that
 * schema cannot express (one es-collector per cluster, never two during an upgrade; one
 * container-collector per agent that can still be upgraded), plus the agents' own config loaders
 * reading each app's environment the way the task would see it.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { containerCollector } from '@stoker/container-collector';
import {
  clusterSegment,
  esCollector,
  esCollectorGroup,
  type MarathonApp,
  type MarathonGroup,
  marathonMain as main,
  parseGeneratorInput,
  resolveTargets,
} from '@stoker/es-collector';
import { ConfigError, commonOptions, loadConfig, type OptionSpecs } from '@stoker/shared';
import AjvDraft04 from 'ajv-draft-04';
import { parse as parseYaml } from 'yaml';
import { buildPackages, runBuilt } from '../harness/built.js';
import { repoRoot, sharedPath, sharedSkip } from '../harness/fixtures.js';

const MARATHON_DIR = join(repoRoot, 'docker', 'marathon');
const EXAMPLE_INPUT = join(MARATHON_DIR, 'clusters.example.yaml');
/** The compiled command, as the package and the image ship it (`npm run build` makes its dist/). */
const BUILT_GENERATOR = 'packages/es-collector/bin/stoker-marathon.js';
const runBuiltGenerator = (args: string[], stdin?: string) =>
  runBuilt(BUILT_GENERATOR, args, stdin === undefined ? {} : { stdin });
/** Marathon's schema of each version the generator writes for (see marathon-schemas/README.md). */
const VERSIONED_SCHEMA = (version: string) =>
  join(repoRoot, 'test', 'ship', 'marathon-schemas', version, 'AppDefinition.json');
const SCHEMA_PATH = sharedPath('schemas', 'marathon', 'AppDefinition.json');
/** Stricter than Marathon's own id pattern (which also allows dots): what the generator promises. */
const ID_SEGMENT = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

const readJson = (path: string): any => JSON.parse(readFileSync(path, 'utf8'));
const appFiles = readdirSync(MARATHON_DIR)
  .filter((name) => name.endsWith('.json'))
  .sort();
const esApp: MarathonApp = readJson(join(MARATHON_DIR, 'es-collector.json'));
const containerApp: any = readJson(join(MARATHON_DIR, 'container-collector.json'));

function exampleGroup() {
  const input = parseGeneratorInput(parseYaml(readFileSync(EXAMPLE_INPUT, 'utf8')));
  return esCollectorGroup(input.clusters, input.defaults);
}

/** Names an operator could really type, and some nobody should. */
const HOSTILE_NAMES = [
  'Logs Prod',
  'eu/west/logs',
  '/leading/and/trailing/',
  'ÜBER-Cluster',
  'Ünïcödé 2',
  '日志集群',
  '🔥',
  '  spaced   out  ',
  '--dashes--',
  'dots.in.name',
  'UPPER_snake_CASE',
  '..',
  '1234',
  `long-${'x'.repeat(100)}`,
  `long-${'x'.repeat(100)}-other`,
];

function hostileGroup() {
  const input = parseGeneratorInput(
    {
      carbon: ['graphite:2003'],
      clusters: HOSTILE_NAMES.map((name, index) => ({
        name,
        seeds: [`http://es-${index}.example.internal:9200`],
      })),
    },
    {},
  );
  return esCollectorGroup(input.clusters, input.defaults);
}

// ---- Marathon's schema ---------------------------------------------------------------------------

const schemaSkip =
  sharedSkip() ??
  (existsSync(SCHEMA_PATH)
    ? undefined
    : `Marathon's schema not found at ${SCHEMA_PATH} (../shared/schemas/marathon/AppDefinition.json)`);

/** A validator of apps against one of Marathon's AppDefinition schemas: its errors, [] when valid. */
function schemaValidator(path: string): (app: unknown) => string[] {
  // Draft-04 with a non-standard $schema value (see ../shared/schemas/marathon/README.md).
  const schema = readJson(path);
  delete schema.$schema;
  // ajv-draft-04 is CommonJS: its module.exports is the class.
  const Ajv = AjvDraft04 as unknown as typeof AjvDraft04.default;
  const check = new Ajv({ strict: false, allErrors: true }).compile(schema);
  return (app) =>
    check(app)
      ? []
      : (check.errors ?? []).map(
          (error) => `${error.instancePath || '/'} ${error.message} ${JSON.stringify(error.params)}`,
        );
}

describe("Marathon's AppDefinition schema", { skip: schemaSkip }, () => {
  let validate: (app: unknown) => string[];

  before(() => {
    validate = schemaValidator(SCHEMA_PATH);
  });

  test('docker/marathon/ holds the two app files', () => {
    assert.ok(appFiles.includes('es-collector.json'), appFiles.join(', '));
    assert.ok(appFiles.includes('container-collector.json'), appFiles.join(', '));
  });

  for (const file of appFiles) {
    test(`${file} is a valid Marathon app`, () => {
      assert.deepEqual(validate(readJson(join(MARATHON_DIR, file))), []);
    });
  }

  test("the generator's apps for clusters.example.yaml are valid", () => {
    const group = exampleGroup();
    assert.ok(group.apps.length >= 2);
    for (const app of group.apps) assert.deepEqual(validate(app), [], app.id);
  });

  test("the generator's apps for hostile cluster names are valid", () => {
    const group = hostileGroup();
    assert.equal(group.apps.length, HOSTILE_NAMES.length);
    for (const app of group.apps) assert.deepEqual(validate(app), [], app.id);
  });

  test('the schema really rejects broken apps (so the checks above cannot pass vacuously)', () => {
    assert.deepEqual(validate(esApp), [], 'the unbroken app passes');
    const broken: Array<[string, (app: any) => void, RegExp]> = [
      ['unknown top-level key', (app) => (app.instance = 1), /additional properties.*"instance"/],
      ['instances as a string', (app) => (app.instances = '1'), /^\/instances must be integer/],
      ['no id', (app) => delete app.id, /required property 'id'/],
      ['upper-case id', (app) => (app.id = '/Monitoring/ES'), /^\/id must match pattern/],
      ['unknown health check protocol', (app) => (app.healthChecks[0].protocol = 'MESOS_HTTPX'), /protocol/],
      [
        'maximumOverCapacity above 1',
        (app) => (app.upgradeStrategy.maximumOverCapacity = 2),
        /maximumOverCapacity must be <= 1/,
      ],
      ['both cmd and args', (app) => Object.assign(app, { cmd: 'x', args: ['y'] }), /must NOT be valid/],
    ];
    for (const [what, breakIt, expected] of broken) {
      const app = structuredClone(esApp);
      breakIt(app);
      const errors = validate(app);
      assert.ok(
        errors.some((error) => expected.test(error)),
        `${what}: expected an error like ${expected}, got ${JSON.stringify(errors)}`,
      );
    }
    const container = structuredClone(containerApp);
    container.container.volumes[0].mode = 'ro';
    assert.ok(
      validate(container).some((error) => /volumes\/0\/mode/.test(error)),
      'volume mode "ro"',
    );
    const constraint = structuredClone(containerApp);
    constraint.constraints = [['hostname', 'UNIQ']];
    assert.ok(
      validate(constraint).some((error) => /constraints\/0\/1/.test(error)),
      'operator UNIQ',
    );
  });
});

// ---- what the schema cannot check ----------------------------------------------------------------

function assertSingleCollectorRules(app: any): void {
  const id = app.id;
  assert.equal(app.instances, 1, `${id}: one collector per cluster`);
  // minimumHealthCapacity 0 lets Marathon kill the old task first; maximumOverCapacity 0 forbids a
  // second one beside it. Together: never two collectors of one cluster, also during an upgrade.
  assert.deepEqual(
    app.upgradeStrategy,
    { minimumHealthCapacity: 0, maximumOverCapacity: 0 },
    `${id}: upgradeStrategy`,
  );
  assertHealthCheckOnPort0(app);
  for (const segment of id.slice(1).split('/')) assert.match(segment, ID_SEGMENT, `${id}: id segment`);
  assertSecretsByNameOnly(app);
}

function assertHealthCheckOnPort0(app: any): void {
  const checks = app.healthChecks ?? [];
  assert.equal(checks.length, 1, `${app.id}: one health check`);
  const [check] = checks;
  assert.equal(check.protocol, 'MESOS_HTTP', `${app.id}: health check protocol`);
  assert.equal(check.path, '/healthz', `${app.id}: health check path`);
  assert.equal(check.portIndex, 0, `${app.id}: health check portIndex`);
  assert.ok(check.timeoutSeconds < check.intervalSeconds, `${app.id}: timeout shorter than interval`);
  assert.ok(check.maxConsecutiveFailures >= 2, `${app.id}: one missed check does not kill the task`);
  // Port index 0 must exist, and it must be the port the agent listens on: with host networking
  // that is portDefinitions[0] (Marathon exports it as $PORT0, which the agents read).
  assert.deepEqual(app.networks, [{ mode: 'host' }], `${app.id}: host networking`);
  assert.equal(app.container?.portMappings, undefined, `${app.id}: no port mappings with host networking`);
  assert.ok(app.portDefinitions?.length >= 1, `${app.id}: portDefinitions[0] gives $PORT0`);
  assert.equal(app.env.STOKER_HTTP_PORT, undefined, `${app.id}: STOKER_HTTP_PORT would hide $PORT0`);
  assert.ok(
    app.taskKillGracePeriodSeconds > 10,
    `${app.id}: SIGKILL only after the agent's 10 s shutdown grace (queue flush)`,
  );
}

/** Secrets travel as the names of variables the platform fills in, never as values in the app. */
function assertSecretsByNameOnly(app: any): void {
  for (const [key, value] of Object.entries<string>(app.env)) {
    if (key.endsWith('_ENV')) assert.match(value, /^[A-Za-z_][A-Za-z0-9_]*$/, `${app.id}: ${key}`);
    assert.doesNotMatch(key, /PASSWORD$|API_KEY$|TOKEN$/, `${app.id}: ${key} looks like a secret value`);
  }
  for (const seed of app.env.STOKER_ES.split(',')) {
    const url = new URL(seed);
    assert.equal(url.username + url.password, '', `${app.id}: credentials in a seed URL`);
  }
}

describe('es-collector apps (rules the schema cannot check)', () => {
  test('es-collector.json: instances 1, upgrade {0, 0}, MESOS_HTTP /healthz on port index 0', () => {
    assertSingleCollectorRules(esApp);
    assert.match(esApp.container.docker.image, /^stoker\/es-collector:/);
  });

  test('every generated app follows the same rules (example and hostile input)', () => {
    for (const app of [...exampleGroup().apps, ...hostileGroup().apps]) assertSingleCollectorRules(app);
  });

  test("collectors sharing an agent host keep their self-metrics apart (instance = the app's name)", () => {
    for (const group of [exampleGroup(), hostileGroup()]) {
      const instances = group.apps.map((app) => app.env.STOKER_INSTANCE);
      assert.deepEqual(
        instances,
        group.apps.map((app) => app.id.split('/').pop()),
      );
      assert.equal(new Set(instances).size, instances.length);
    }
  });

  test('es-collector.json is exactly what the generator gives for the example cluster "logs"', () => {
    const logs = exampleGroup().apps.find((app) => app.env.STOKER_CLUSTER === 'logs');
    assert.deepEqual(esApp, logs);
  });

  test("es-collector reads the app's environment as the task sees it", () => {
    const env = { ...esApp.env, PORT0: '31005', HOST: 'agent-7.example.internal', ES_PASSWORD: 's3cret' };
    const config = loadAgentConfig({ ...commonOptions, ...esCollector.options }, env) as any;
    assert.equal(config.httpPort, 31005, 'the endpoint listens on $PORT0, where the health check goes');
    assert.equal(config.cluster, 'logs');
    assert.deepEqual(
      config.es.map((url: URL) => url.href),
      esApp.env.STOKER_ES!.split(',').map((seed) => new URL(seed).href),
    );
    assert.deepEqual(
      config.carbon.map((d: { host: string; port: number }) => `${d.host}:${d.port}`),
      esApp.env.STOKER_CARBON!.split(','),
    );
    assert.equal(config.carbonMode, 'failover');
    assert.equal(config.interval, 10_000);
    assert.equal(config.instance, 'logs', 'not $HOST: several collectors can share an agent');
    const [target] = resolveTargets(config, { env });
    assert.deepEqual(target?.auth, { kind: 'basic', username: 'monitor', password: 's3cret' });
    // Without the injected secret the task stops at start-up, naming the variable.
    const { ES_PASSWORD: _dropped, ...withoutSecret } = env;
    assert.throws(
      () =>
        resolveTargets(loadAgentConfig({ ...commonOptions, ...esCollector.options }, withoutSecret) as any, {
          env: withoutSecret,
        }),
      (error: unknown) => error instanceof ConfigError && /ES_PASSWORD/.test(error.message),
    );
  });

  test('every generated app is read by es-collector with its cluster, seeds and $PORT0', () => {
    for (const app of [...exampleGroup().apps, ...hostileGroup().apps]) {
      const env = { ...app.env, PORT0: '31006', ES_PASSWORD: 'x', ES_API_KEY: 'eA==' };
      const config = loadAgentConfig({ ...commonOptions, ...esCollector.options }, env) as any;
      assert.equal(config.httpPort, 31006, app.id);
      assert.equal(config.cluster, app.labels['stoker.cluster'], app.id);
      assert.equal(config.es.length, app.env.STOKER_ES!.split(',').length, app.id);
      assert.doesNotThrow(() => resolveTargets(config, { env }), app.id);
    }
  });
});

describe('container-collector app (rules the schema cannot check)', () => {
  const app = containerApp;

  test('one per agent: hostname UNIQUE, host network, MESOS_HTTP /healthz on port index 0', () => {
    assert.deepEqual(
      app.constraints.filter((c: string[]) => c[0] === 'hostname'),
      [['hostname', 'UNIQUE']],
    );
    assert.ok(Number.isInteger(app.instances) && app.instances >= 2, 'instances = agent count (≥ 2)');
    assertHealthCheckOnPort0(app);
    assert.match(app.container.docker.image, /^stoker\/container-collector:/);
  });

  test('upgrades can proceed: minimumHealthCapacity < 1, maximumOverCapacity 0', () => {
    const { minimumHealthCapacity, maximumOverCapacity } = app.upgradeStrategy;
    assert.ok(minimumHealthCapacity < 1, `minimumHealthCapacity ${minimumHealthCapacity}`);
    assert.equal(maximumOverCapacity, 0, 'UNIQUE leaves no host for an extra instance');
    // Marathon keeps ceil(instances × minimumHealthCapacity) old tasks; when that is every task it
    // adds one over-capacity instance, which UNIQUE can never place, and the deployment hangs.
    assert.ok(
      Math.ceil(app.instances * minimumHealthCapacity) < app.instances,
      `with ${app.instances} instances Marathon could kill none of the old ones`,
    );
  });

  test('the docker run flags docker/README.md documents: host cgroup namespace, and what /host/proc/1/root needs', () => {
    const parameters: Array<{ key: string; value: string }> = app.container.docker.parameters;
    assert.deepEqual(parameters.map(({ key, value }) => `--${key} ${value}`).sort(), [
      '--cap-add SYS_PTRACE',
      '--cgroupns host',
      '--security-opt apparmor=unconfined',
    ]);
    const readme = readFileSync(join(repoRoot, 'docker', 'README.md'), 'utf8');
    for (const { key, value } of parameters)
      assert.ok(readme.includes(`--${key} ${value}`), `docker/README.md documents --${key} ${value}`);
  });

  test("read-only volumes for the Docker socket, the host's cgroups and /proc, where the agent looks; the spool on a host path", () => {
    const volumes: Array<{ hostPath: string; containerPath: string; mode: string }> = app.container.volumes;
    const spool = '/var/lib/stoker/container-collector';
    for (const volume of volumes)
      assert.equal(volume.mode, volume.hostPath === spool ? 'RW' : 'RO', volume.hostPath);
    const byHost = new Map(volumes.map((volume) => [volume.hostPath, volume.containerPath]));
    assert.deepEqual([...byHost.keys()].sort(), ['/proc', '/sys/fs/cgroup', spool, '/var/run/docker.sock']);

    const env = { ...app.env, PORT0: '31007', HOST: 'agent-3.example.internal' };
    const config = loadAgentConfig({ ...commonOptions, ...containerCollector.options }, env) as any;
    assert.equal(config.cgroupRoot, byHost.get('/sys/fs/cgroup'));
    assert.equal(config.procRoot, byHost.get('/proc'));
    assert.equal(config.docker, `unix://${byHost.get('/var/run/docker.sock')}`);
    assert.equal(config.hostName, 'agent-3.example.internal', "host segment from Marathon's $HOST");
    assert.equal(config.httpPort, 31007);
    // The spool outlives a restart of the task: it sits on the host, where the next task (same host:
    // hostname UNIQUE) finds and replays it.
    assert.equal(config.spoolDir, byHost.get(spool));
  });
});

function loadAgentConfig(specs: OptionSpecs, env: Record<string, string | undefined>): unknown {
  const loaded = loadConfig(specs, { name: 'test', version: '0', description: '', argv: [], env });
  assert.equal(loaded.kind, 'config');
  return loaded.kind === 'config' ? loaded.config : undefined;
}

// ---- the generator -------------------------------------------------------------------------------

describe('stoker-marathon', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stoker-marathon-'));
    buildPackages();
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs main() in-process on `input` (written to a file) and returns its exit code and output. */
  async function generate(input: string, args: string[] = [], file = 'clusters.yaml') {
    const path = join(dir, file);
    await writeFile(path, input);
    let stdout = '';
    let stderr = '';
    const code = main([path, ...args], {
      out: { write: (text: string) => (stdout += text) },
      err: { write: (text: string) => (stderr += text) },
    });
    return { code, stdout, stderr };
  }

  test('the example input gives one app per cluster as a Marathon group, from the command line', async () => {
    const { code, stdout, stderr } = runBuiltGenerator([EXAMPLE_INPUT]);
    assert.equal(code, 0, stderr);
    const group = JSON.parse(stdout);
    assert.deepEqual(group, exampleGroup());
    assert.equal(group.id, '/monitoring/es-collector');
    assert.deepEqual(
      group.apps.map((app: MarathonApp) => app.id),
      [
        '/monitoring/es-collector/logs',
        '/monitoring/es-collector/search',
        '/monitoring/es-collector/legacy-metrics',
      ],
    );
    const legacy = group.apps[2]!;
    assert.equal(legacy.env.STOKER_CLUSTER, 'Legacy Metrics', 'metric names keep the real cluster name');
    assert.equal(legacy.env.STOKER_NAMING, 'es2graphite');
    assert.equal(legacy.mem, 256);
    assert.equal(legacy.env.NODE_OPTIONS, '--max-old-space-size=192');
    assert.equal(group.apps[1]!.env.STOKER_INTERVAL, '30s');
    assert.equal(group.apps[1]!.env.STOKER_API_KEY_ENV, 'ES_API_KEY');
  });

  test('flags override the file; --out writes one app per file', async () => {
    const out = join(dir, 'apps');
    const { code, stdout, stderr } = await generate(readFileSync(EXAMPLE_INPUT, 'utf8'), [
      '--out',
      out,
      '--carbon',
      'relay-a:2003',
      '--carbon',
      'relay-b:2004',
      '--group',
      '/ops/es',
      '--image',
      'registry.internal/stoker/es-collector:1.2.3',
    ]);
    assert.equal(code, 0, stderr);
    assert.deepEqual((await readdir(out)).sort(), ['legacy-metrics.json', 'logs.json', 'search.json']);
    assert.equal(stdout.trim().split('\n').length, 3);
    const logs = readJson(join(out, 'logs.json'));
    assert.equal(logs.id, '/ops/es/logs');
    assert.equal(logs.env.STOKER_CARBON, 'relay-a:2003,relay-b:2004');
    assert.equal(logs.container.docker.image, 'registry.internal/stoker/es-collector:1.2.3');
  });

  test('odd cluster names become valid, distinct Marathon ids; metrics keep the real name', () => {
    const apps = hostileGroup().apps;
    const ids = apps.map((app) => app.id);
    assert.equal(new Set(ids).size, ids.length, `distinct ids: ${ids.join(' ')}`);
    apps.forEach((app, index) => {
      const segment = app.id.slice('/monitoring/es-collector/'.length);
      assert.match(segment, ID_SEGMENT, `${JSON.stringify(HOSTILE_NAMES[index])} → ${segment}`);
      assert.ok(segment.length <= 63, `${segment}: a DNS label`);
      assert.equal(app.env.STOKER_CLUSTER, HOSTILE_NAMES[index]);
      assert.equal(app.labels['stoker.cluster'], HOSTILE_NAMES[index]);
    });
    assert.equal(clusterSegment('Logs Prod'), 'logs-prod');
    assert.equal(clusterSegment('eu/west/logs'), 'eu-west-logs');
    assert.equal(clusterSegment('ÜBER-Cluster'), 'uber-cluster');
    assert.match(clusterSegment('日志集群'), /^cluster-[0-9a-f]{8}$/);
    assert.equal(clusterSegment('..'), clusterSegment('..'), 'stable');
    assert.notEqual(clusterSegment('..'), clusterSegment('...'));
  });

  test('bad input: exit 2 from the command line, naming the key', async () => {
    const path = join(dir, 'bad-cli.yaml');
    await writeFile(
      path,
      'carbon: [graphite:2003]\nclusters:\n  - name: logs\n    seeds: [ftp://logs:9200]\n',
    );
    const { code, stdout, stderr } = runBuiltGenerator([path]);
    assert.equal(code, 2, stderr);
    assert.equal(stdout, '');
    assert.match(
      stderr,
      /clusters\[0\]\.seeds\[0\]: got "ftp:\/\/logs:9200", expected an http:\/\/ or https:\/\/ URL/,
    );
  });

  const badInputs: Array<[string, string, string[], RegExp]> = [
    [
      'a misspelt cluster key',
      'carbon: [g:2003]\nclusters:\n  - {name: logs, seeds: [http://a:9200], username: u, pasword-env: P}\n',
      [],
      /clusters\[0\]\.pasword-env: unknown key; did you mean password-env\?$/m,
    ],
    [
      'a misspelt top-level key',
      'carbn: [g:2003]\nclusters: [{name: a, seeds: [http://a:9200]}]\n',
      [],
      /^ {2}carbn: unknown key; did you mean carbon\?$/m,
    ],
    [
      'no seeds',
      'carbon: [g:2003]\nclusters:\n  - name: logs\n',
      [],
      /clusters\[0\]\.seeds: missing, expected a list/,
    ],
    [
      'no name',
      'carbon: [g:2003]\nclusters:\n  - seeds: [http://a:9200]\n',
      [],
      /clusters\[0\]\.name: missing/,
    ],
    [
      'an empty name',
      "carbon: [g:2003]\nclusters:\n  - {name: '  ', seeds: [http://a:9200]}\n",
      [],
      /clusters\[0\]\.name:/,
    ],
    ['no clusters', 'carbon: [g:2003]\n', [], /^ {2}clusters: /m],
    ['no carbon', 'clusters: [{name: a, seeds: [http://a:9200]}]\n', [], /^ {2}carbon: missing/m],
    [
      'a bad carbon address',
      'clusters: [{name: a, seeds: [http://a:9200]}]\n',
      ['--carbon', 'g:2003,h:2003'],
      /--carbon\[0\]:/,
    ],
    [
      'a bad group id',
      'carbon: [g:2003]\nclusters: [{name: a, seeds: [http://a:9200]}]\n',
      ['--group', 'Monitoring/ES'],
      /--group: got "Monitoring\/ES"/,
    ],
    [
      'a secret instead of a variable name',
      'carbon: [g:2003]\nclusters:\n  - {name: a, seeds: [http://a:9200], username: u, password-env: "hunter2!"}\n',
      [],
      /clusters\[0\]\.password-env: got "hunter2!", expected the NAME of an environment variable/,
    ],
    [
      'a password without a user',
      'carbon: [g:2003]\nclusters:\n  - {name: a, seeds: [http://a:9200], password-env: P}\n',
      [],
      /clusters\[0\]\.password-env: needs clusters\[0\]\.username/,
    ],
    [
      'two names giving one app id',
      'carbon: [g:2003]\nclusters:\n  - {name: Logs, seeds: [http://a:9200]}\n  - {name: logs, seeds: [http://b:9200]}\n',
      [],
      /clusters\[1\]\.name: "logs" gives the app id \/monitoring\/es-collector\/logs, already used by "Logs"/,
    ],
    [
      'a bad interval',
      'carbon: [g:2003]\nclusters: [{name: a, seeds: [http://a:9200], interval: soon}]\n',
      [],
      /clusters\[0\]\.interval:/,
    ],
    [
      'an interval the agent refuses',
      'carbon: [g:2003]\ninterval: 500ms\nclusters: [{name: a, seeds: [http://a:9200]}]\n',
      [],
      /^ {2}interval: got "500ms", expected .* from 1 s/m,
    ],
    [
      'too little memory',
      'carbon: [g:2003]\nmem: 64\nclusters: [{name: a, seeds: [http://a:9200]}]\n',
      [],
      /^ {2}mem: got 64/m,
    ],
    [
      'a list that is not a list of clusters',
      '- just a string\n',
      ['--carbon', 'g'],
      /clusters\[0\]: got "just a string"/,
    ],
    ['not YAML', 'clusters: [unclosed\n', [], /clusters\.yaml: /],
    [
      'an unknown flag',
      'carbon: [g:2003]\nclusters: [{name: a, seeds: [http://a:9200]}]\n',
      ['--carbn', 'g'],
      /Unknown option '--carbn'/,
    ],
  ];
  for (const [what, input, args, expected] of badInputs) {
    test(`bad input: ${what} → exit 2`, async () => {
      const { code, stdout, stderr } = await generate(input, args);
      assert.equal(code, 2, `exit code; stderr: ${stderr}`);
      assert.equal(stdout, '');
      assert.match(stderr, expected);
    });
  }

  test('credentials in a seed URL are refused and never echoed', async () => {
    const { code, stderr } = await generate(
      'carbon: [g:2003]\nclusters: [{name: a, seeds: ["http://monitor:hunter2@a:9200", "ftp://u:hunter2@b", "u:hunter2@c:9200"]}]\n',
    );
    assert.equal(code, 2);
    assert.match(
      stderr,
      /clusters\[0\]\.seeds\[0\]: got "http:\/\/\*\*\*@a:9200", expected a URL without credentials/,
    );
    assert.match(stderr, /clusters\[0\]\.seeds\[1\]: got "ftp:\/\/\*\*\*@b"/);
    assert.match(stderr, /clusters\[0\]\.seeds\[2\]: got "\*\*\*@c:9200"/);
    assert.doesNotMatch(stderr, /hunter2/);
  });

  test('every problem is reported in one run', async () => {
    const { code, stderr } = await generate(
      'carbon: [g:2003]\nclusters:\n  - {name: a, seeds: [ftp://x]}\n  - {name: b, seeds: [http://b:9200], naming: fancy}\n',
    );
    assert.equal(code, 2);
    assert.match(stderr, /clusters\[0\]\.seeds\[0\]/);
    assert.match(stderr, /clusters\[1\]\.naming: got "fancy", expected one of default, es2graphite/);
  });

  test('a JSON input works like YAML', async () => {
    const { code, stdout, stderr } = await generate(
      JSON.stringify({ carbon: ['g:2003'], clusters: [{ name: 'a', seeds: ['http://a:9200'] }] }),
      [],
      'clusters.json',
    );
    assert.equal(code, 0, stderr);
    assert.equal(JSON.parse(stdout).apps[0].id, '/monitoring/es-collector/a');
  });
});

describe('stoker-marathon --marathon-version: each version against its own schema', () => {
  const validators = {
    '1.4': schemaValidator(VERSIONED_SCHEMA('1.4')),
    '1.5': schemaValidator(VERSIONED_SCHEMA('1.5')),
  };
  before(() => buildPackages());

  /** The built command on the example input, read from standard input as the image takes it. */
  function generateFor(version: string): MarathonGroup {
    const input = readFileSync(EXAMPLE_INPUT, 'utf8');
    const { code, stdout, stderr } = runBuiltGenerator(['-', '--marathon-version', version], input);
    assert.equal(code, 0, stderr);
    return JSON.parse(stdout);
  }

  test('1.4: host networking as container.docker.network, no networks key; valid for Marathon 1.4', () => {
    const group = generateFor('1.4');
    assert.equal(group.apps.length, 3);
    for (const app of group.apps) {
      assert.deepEqual(validators['1.4'](app), [], app.id);
      assert.equal(app.container.docker.network, 'HOST', app.id);
      assert.equal(app.networks, undefined, app.id);
      assert.deepEqual(app.portDefinitions, [{ port: 0, name: 'http', protocol: 'tcp' }], app.id);
    }
  });

  test('1.5 (the default, and any later version): networks [{mode: host}]; valid for Marathon 1.5', () => {
    const group = generateFor('1.5');
    assert.deepEqual(generateFor('1.10'), group, '1.10 gets what 1.5 gets');
    assert.deepEqual(group, exampleGroup(), 'the default is 1.5');
    for (const app of group.apps) {
      assert.deepEqual(validators['1.5'](app), [], app.id);
      assert.deepEqual(app.networks, [{ mode: 'host' }], app.id);
      assert.equal(app.container.docker.network, undefined, app.id);
    }
  });

  test('the versions really differ: 1.4 refuses the 1.5 app (networks), so the checks above can fail', () => {
    const [app15] = generateFor('1.5').apps;
    assert.ok(
      validators['1.4'](app15).some((error) => /additional properties.*"networks"/.test(error)),
      '1.4 schema rejects networks',
    );
  });

  test('an unknown version: exit 2, naming the flag and the versions', () => {
    const { code, stderr } = runBuiltGenerator([EXAMPLE_INPUT, '--marathon-version', '1.3']);
    assert.equal(code, 2);
    assert.match(stderr, /--marathon-version: got "1\.3", expected a Marathon version from 1\.4 on/);
  });

  test('`marathon-version: 1.4` in the input file (a YAML number) works like the flag', () => {
    const input = `marathon-version: 1.4\n${readFileSync(EXAMPLE_INPUT, 'utf8')}`;
    const { code, stdout, stderr } = runBuiltGenerator(['-'], input);
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout), generateFor('1.4'));
  });
});
