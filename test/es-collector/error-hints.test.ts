/**
 * The mistakes an operator makes first, against the ES stand-in, each answered with what to do:
 * https:// to a plain-HTTP port, a cluster that wants credentials, credentials refused or short of a
 * privilege. The hint is in the cycle's warning (and /status), not only a bare error code.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runAgentToEnd } from '../harness/agent.js';
import { type EsStandin, startEsStandin } from '../harness/es-standin.js';
import { sharedSkip } from '../harness/fixtures.js';

const CLI = 'packages/es-collector/src/cli.ts';

describe('es-collector: errors that say what to do', { skip: sharedSkip() }, () => {
  let es: EsStandin;
  before(async () => {
    es = await startEsStandin({ version: '8.4.2' });
  });
  after(async () => {
    await es?.close();
  });

  /** One cycle; the warning that reports it failing (JSON log lines on stderr). */
  async function failedCycle(url: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) {
    const result = await runAgentToEnd(
      CLI,
      ['--es', url, '--cluster', 'c', '--once', '--output', 'stdout', '--self-metrics', 'false', ...args],
      env,
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /^es\.c\.collector\.up 0 /m);
    const warning = result.stderr.split('\n').find((line) => line.includes('collector.up 0'));
    assert.ok(warning, result.stderr);
    return warning;
  }

  test('https:// to a plain-HTTP port: "the server speaks plain HTTP; use http://"', async () => {
    es.fault('*', undefined);
    const warning = await failedCycle(es.url.replace(/^http:/, 'https:'));
    assert.match(
      warning,
      /the server speaks plain HTTP; use http:\/\/ in --es \(ERR_SSL_WRONG_VERSION_NUMBER\)/,
    );
  });

  test('401 without credentials: the flags that give them', async () => {
    es.fault('*', { kind: 'status', status: 401 });
    const warning = await failedCycle(es.url);
    assert.match(
      warning,
      /HTTP 401.*the cluster wants credentials: --username with --password-env or --password-file/,
    );
    assert.match(warning, /--api-key-env/);
  });

  test('401 with credentials: they were refused', async () => {
    es.fault('*', { kind: 'status', status: 401 });
    const warning = await failedCycle(es.url, ['--username', 'monitor', '--password-env', 'ES_PW'], {
      ES_PW: 'wrong',
    });
    assert.match(warning, /HTTP 401.*the cluster refused the user and password\)/);
    assert.doesNotMatch(warning, /wrong/, 'the password never appears');
  });

  test('403 with credentials: the privilege es-collector needs', async () => {
    es.fault('*', { kind: 'status', status: 403 });
    const warning = await failedCycle(es.url, ['--api-key-env', 'ES_KEY'], {
      ES_KEY: Buffer.from('stoker-id:Zq8vN3xq').toString('base64'),
    });
    assert.match(
      warning,
      /HTTP 403.*the API key has too few privileges: es-collector needs the monitor cluster privilege/,
    );
  });

  test('other statuses get no credentials hint', async () => {
    es.fault('*', { kind: 'status', status: 500 });
    const warning = await failedCycle(es.url, ['--es-timeout', '1s']);
    assert.match(warning, /HTTP 500/);
    assert.doesNotMatch(warning, /credentials/);
  });
});
