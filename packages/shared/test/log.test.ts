import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, redactUrl } from '@stoker/shared';

test('secrets never reach a log line, wherever they sit in the logged object', () => {
  let output = '';
  const destination = new Writable({
    write(chunk, _encoding, done) {
      output += chunk;
      done();
    },
  });
  const log = createLogger({ name: 'test', level: 'info', pretty: false, destination });
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
