import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, isSecretName, redactCredentials, redactUrl } from '@stoker/shared';

test('secrets never reach a log line, wherever they sit in the logged object', () => {
  let output = '';
  const destination = new Writable({
    write(chunk, _encoding, done) {
      output += chunk;
      done();
    },
  });
  const log = createLogger({ name: 'test', level: 'info', format: 'json', destination });
  log.info(
    {
      password: 'pw-1',
      target: { apiKey: 'key-2', auth: { token: 'tok-3' } },
      headers: { authorization: 'Basic c2VjcmV0' },
      cluster: 'logs',
    },
    'hello',
  );
  assert.match(output, /"cluster":"logs"/);
  for (const secret of ['pw-1', 'key-2', 'tok-3', 'c2VjcmV0'])
    assert.ok(!output.includes(secret), `${secret} leaked: ${output}`);
  assert.match(output, /\[redacted\]/);
});

test('credentials are stripped from URLs before they are shown', () => {
  assert.equal(redactUrl('https://elastic:changeme@es.example:9200/'), 'https://es.example:9200/');
  assert.equal(
    redactUrl('http://es:9200/_stats?api_key=abc&level=indices'),
    'http://es:9200/_stats?api_key=redacted&level=indices',
  );
  assert.equal(redactUrl('not a url'), '(unparseable URL)');
});

test('credentials are stripped from free text, whether its URLs parse or not', () => {
  assert.equal(
    redactCredentials('got ["http://admin:pw1@bad host:9200","https://u:p@ss@es:9200/x?token=t1&a=1"]'),
    'got ["http://bad host:9200","https://es:9200/x?token=redacted&a=1"]',
  );
  assert.equal(redactCredentials('--es http://es:9200 --interval 10s'), '--es http://es:9200 --interval 10s');
});

test('names of secrets are told from names of where a secret is', () => {
  for (const name of [
    'password',
    '--password',
    'STOKER_API_KEY',
    'apiKey',
    'bearer-token',
    'config file key "passwd"',
  ])
    assert.ok(isSecretName(name), name);
  for (const name of [
    '--password-env',
    'passwordFile',
    'STOKER_BEARER_TOKEN_FILE',
    'username',
    '--es',
    'keyspace',
  ])
    assert.ok(!isSecretName(name), name);
});
