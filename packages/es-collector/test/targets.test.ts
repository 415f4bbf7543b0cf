import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, InvalidValue } from '@stoker/shared';
import { esOptions } from '../src/options.js';
import { type EsConfig, resolveTargets } from '../src/targets.js';

const parseClusterEntries = esOptions.clusters.parse;
/** The parser's error names the key inside the list: `[0].es`. */
const invalidAt = (path: string) => (error: unknown) =>
  error instanceof InvalidValue && error.at?.path === path;

function config(overrides: Partial<EsConfig>): EsConfig {
  return {
    interval: 10_000,
    esTimeout: 5000,
    local: false,
    naming: 'default',
    apis: ['cluster_health', 'nodes_stats'],
    indicesInclude: [],
    indicesExclude: [],
    indicesTop: 100,
    indicesRollup: true,
    healthLevelIndices: false,
    insecure: false,
    maxConcurrentClusters: 4,
    maxResponseSize: 1 << 20,
    ...overrides,
  } as EsConfig;
}

describe('targets', () => {
  test('credentials in a seed URL become basic auth; the URL keeps none', () => {
    const [target] = resolveTargets(
      config({ es: [new URL('http://elastic:p%40ss@es1:9200/'), new URL('http://es2:9200')] }),
      { env: {} },
    );
    assert.deepEqual(target!.auth, { kind: 'basic', username: 'elastic', password: 'p@ss' });
    assert.deepEqual(
      target!.seeds.map((seed) => seed.href),
      ['http://es1:9200/', 'http://es2:9200/'],
    );
    assert.equal(target!.id, 'es1_9200');
  });

  test('several clusters from the file, each overriding the top level; secrets from env and files', () => {
    const entries = parseClusterEntries([
      {
        name: 'logs',
        es: ['https://logs:9200'],
        'api-key-env': 'LOGS_KEY',
        interval: '30s',
        'indices-top': 5,
        ca: '/ca.pem',
      },
      {
        name: 'search',
        es: ['http://a:9200', 'http://b:9200'],
        username: 'mon',
        'password-file': '/secret',
        local: true,
      },
    ]);
    const files: Record<string, string> = { '/ca.pem': 'PEM', '/secret': 'hunter2\n' };
    const targets = resolveTargets(config({ clusters: entries }), {
      env: { LOGS_KEY: 'a2V5' },
      readFile: (path) => {
        if (!(path in files)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
        return files[path]!;
      },
    });
    assert.equal(targets.length, 2);
    assert.deepEqual(targets[0]!.auth, { kind: 'api_key', apiKey: 'a2V5' });
    assert.equal(targets[0]!.intervalMs, 30_000);
    assert.equal(targets[0]!.indices.top, 5);
    assert.deepEqual(targets[0]!.tls, { ca: 'PEM', insecure: false });
    assert.deepEqual(targets[1]!.auth, { kind: 'basic', username: 'mon', password: 'hunter2' });
    assert.equal(targets[1]!.local, true);
    assert.equal(targets[1]!.intervalMs, 10_000);
  });

  test('an entry spells a key like its flag (es-timeout); the old spelling (timeout) works with a warning', () => {
    const warnings: string[] = [];
    const entries = parseClusterEntries(
      [
        { name: 'new', es: ['http://a:9200'], 'es-timeout': '3s' },
        { name: 'old', es: ['http://b:9200'], timeout: '2s' },
        { name: 'top', es: ['http://c:9200'] },
      ],
      { warn: (message) => warnings.push(message) },
    );
    const targets = resolveTargets(config({ clusters: entries }), { env: {} });
    assert.deepEqual(
      targets.map((target) => target.requestTimeoutMs),
      [3000, 2000, 5000],
    );
    assert.deepEqual(warnings, ['[1].timeout: deprecated spelling; write es-timeout, like the flag']);
  });

  test('the es2graphite schemes default to every index, unrolled, with per-index health; flags override', () => {
    const unset = { indicesTop: undefined, indicesRollup: undefined, healthLevelIndices: undefined };
    for (const naming of ['es2graphite', 'es2graphite-2013'] as const) {
      const [target] = resolveTargets(config({ naming, ...unset }), { env: {} });
      assert.equal(target!.indices.top, Number.POSITIVE_INFINITY, naming);
      assert.equal(target!.indices.rollup, false, naming);
      assert.equal(target!.healthLevelIndices, true, naming);
      const [explicit] = resolveTargets(
        config({ naming, indicesTop: 20, indicesRollup: true, healthLevelIndices: false }),
        { env: {} },
      );
      assert.deepEqual(
        [explicit!.indices.top, explicit!.indices.rollup, explicit!.healthLevelIndices],
        [20, true, false],
      );
    }
    const [plain] = resolveTargets(config({ naming: 'default', ...unset }), { env: {} });
    assert.deepEqual(
      [plain!.indices.top, plain!.indices.rollup, plain!.healthLevelIndices],
      [100, true, false],
    );
  });

  test('a series budget per cluster: profile, include and exclude in an entry, else the top level', () => {
    const entries = parseClusterEntries([
      { name: 'lean', es: ['http://a:9200'], profile: 'essential', exclude: 'es.lean.nodes.*.breakers.**' },
      {
        name: 'picked',
        es: ['http://b:9200'],
        include: ['es.picked.cluster.health.{status,number_of_nodes}'],
      },
      { name: 'top', es: ['http://c:9200'] },
    ]);
    const targets = resolveTargets(
      config({ clusters: entries, profile: 'full', include: [], exclude: ['es.*.indices.**'] }),
      { env: {} },
    );
    assert.deepEqual(
      targets.map((target) => target.series),
      [
        { profile: 'essential', include: [], exclude: ['es.lean.nodes.*.breakers.**'] },
        {
          profile: 'full',
          include: ['es.picked.cluster.health.{status,number_of_nodes}'],
          exclude: ['es.*.indices.**'],
        },
        { profile: 'full', include: [], exclude: ['es.*.indices.**'] },
      ],
    );
    assert.throws(
      () => parseClusterEntries([{ es: ['http://a:9200'], exclude: 'es.{a' }]),
      invalidAt('[0].exclude'),
    );
  });

  test('problems are ConfigErrors naming the key, never the secret', () => {
    const entries = parseClusterEntries([
      { name: 'x', es: ['http://x:9200'], username: 'u', 'password-env': 'MISSING' },
    ]);
    assert.throws(
      () => resolveTargets(config({ clusters: entries }), { env: {} }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /clusters\[0\]\.password-env/);
        return true;
      },
    );
    assert.throws(() => parseClusterEntries([{ name: 'x' }]), invalidAt('[0].es'));
    assert.throws(() => parseClusterEntries([{ es: ['ftp://x'] }]), invalidAt('[0].es'));
    const twice = parseClusterEntries([
      { name: 'same', es: ['http://a:9200'] },
      { name: 'same', es: ['http://b:9200'] },
    ]);
    assert.throws(() => resolveTargets(config({ clusters: twice }), { env: {} }), /distinct cluster names/);
    assert.throws(
      () =>
        resolveTargets(
          config({ es: [new URL('http://a:9200')], apiKeyEnv: 'K', username: 'u', passwordEnv: 'P' }),
          { env: { K: 'k', P: 'p' } },
        ),
      /one kind of authentication/,
    );
  });
});
