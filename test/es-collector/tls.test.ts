/** TLS toward Elasticsearch with real certificates: verification on by default, --ca, --insecure, client certs. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runAgentToEnd } from '../harness/agent.js';
import { makeTestPki, type TestPki } from '../harness/certs.js';
import { type EsStandin, startEsStandin } from '../harness/es-standin.js';
import { sharedSkip } from '../harness/fixtures.js';
import { requireProgram } from '../harness/graphite.js';

const CLI = 'packages/es-collector/src/cli.ts';
const skip = sharedSkip() ?? requireProgram('openssl', 'openssl');

describe('es-collector over TLS', { skip }, () => {
  let pki: TestPki;
  let es: EsStandin;
  let mutual: EsStandin;
  before(async () => {
    pki = makeTestPki();
    es = await startEsStandin({ tls: { key: pki.serverKey, cert: pki.serverCert } });
    mutual = await startEsStandin({ tls: { key: pki.serverKey, cert: pki.serverCert, clientCa: pki.ca } });
  });
  after(async () => {
    await es?.close();
    await mutual?.close();
  });

  const once = (url: string, ...args: string[]) =>
    runAgentToEnd(CLI, ['--es', url, '--once', '--output', 'stdout', '--cluster', 'tls', ...args]);

  test('a certificate from an unknown CA is refused by default', async () => {
    const result = await once(es.url);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^es\.tls\.collector\.up 0 /m);
    assert.doesNotMatch(result.stdout, /cluster\.health\.status /);
    assert.match(result.stderr, /certificate/i);
  });

  test('trusting another CA does not help', async () => {
    const result = await once(es.url, '--ca', pki.otherCaFile);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^es\.tls\.collector\.up 0 /m);
  });

  test('--ca with the signing CA verifies and collects', async () => {
    const result = await once(es.url, '--ca', pki.caFile);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^es\.tls\.cluster\.health\.status 0 /m);
    assert.match(result.stdout, /^es\.tls\.collector\.up 1 /m);
  });

  test('--insecure skips verification', async () => {
    const result = await once(es.url, '--insecure');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^es\.tls\.collector\.up 1 /m);
  });

  test('a cluster that demands a client certificate gets it from --cert and --key', async () => {
    const without = await once(mutual.url, '--ca', pki.caFile);
    assert.equal(without.code, 1);
    const withCert = await once(
      mutual.url,
      '--ca',
      pki.caFile,
      '--cert',
      pki.clientCertFile,
      '--key',
      pki.clientKeyFile,
    );
    assert.equal(withCert.code, 0, withCert.stderr);
    assert.match(withCert.stdout, /^es\.tls\.collector\.up 1 /m);
  });
});
