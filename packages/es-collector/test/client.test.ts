/**
 * The HTTP client's error texts against a real HTTP server: credentials a server or proxy echoes back
 * never reach them, and an abort says whether the cycle's deadline passed or the agent is stopping.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CycleAbort } from '@stoker/shared';
import { type EsAuth, EsClient, EsRequestError } from '../src/client.js';

let server: Server;
let seed: URL;
let handler: (req: IncomingMessage, res: ServerResponse) => void = () => {};

before(async () => {
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  seed = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
after(() => {
  server.closeAllConnections();
  server.close();
});

async function failure(client: EsClient, signal = new AbortController().signal): Promise<string> {
  try {
    await client.get('/_cluster/health', signal);
  } catch (error) {
    assert.ok(error instanceof EsRequestError, String(error));
    return error.message;
  } finally {
    await client.close();
  }
  assert.fail('the request succeeded');
}

describe('credentials echoed by the server are not repeated in error text', () => {
  const apiKey = Buffer.from('key-id:apikey-Secret-9a8b7c').toString('base64');
  const cases: Array<[string, EsAuth, string[]]> = [
    [
      'basic',
      { kind: 'basic', username: 'monitor', password: 'pw-Secret-"1f2e3d' },
      [
        'pw-Secret-"1f2e3d',
        'pw-Secret-\\"1f2e3d',
        Buffer.from('monitor:pw-Secret-"1f2e3d').toString('base64'),
      ],
    ],
    ['api key', { kind: 'api_key', apiKey }, [apiKey, 'key-id:apikey-Secret-9a8b7c', 'apikey-Secret-9a8b7c']],
    ['bearer token', { kind: 'bearer', token: 'token-Secret-7c6d5e' }, ['token-Secret-7c6d5e']],
  ];
  for (const [name, auth, secrets] of cases) {
    for (const contentType of ['application/json', 'text/html']) {
      test(`${name}, in a ${contentType} 401 whose hint is cut inside the secret`, async () => {
        handler = (req, res) => {
          const header = String(req.headers.authorization);
          const decoded = Buffer.from(header.split(' ')[1] ?? '', 'base64').toString();
          const password = auth.kind === 'basic' ? auth.password : '';
          // The padding puts the echoed header where the 160-character hint is cut.
          const echo = `${'x'.repeat(130)} ${header} ${decoded} ${password}`;
          res.writeHead(401, { 'content-type': contentType });
          res.end(
            contentType === 'text/html'
              ? `<html><body>${echo}</body></html>`
              : JSON.stringify({ error: echo }),
          );
        };
        const message = await failure(new EsClient({ seeds: [seed], auth, requestTimeoutMs: 2000 }));
        assert.match(message, /HTTP 401/);
        for (const secret of secrets) {
          // Not even a part of one: no 8 characters of it in a row.
          for (let i = 0; i + 8 <= secret.length; i++) {
            const part = secret.slice(i, i + 8);
            assert.ok(!message.includes(part), `"${part}" of a secret in: ${message}`);
          }
        }
      });
    }
  }
});

describe('an aborted request says why', () => {
  const hang = () => {
    handler = () => {};
  };
  test('the cycle deadline', async () => {
    hang();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new CycleAbort('deadline', 'cycle deadline of 100 ms passed')), 100);
    const message = await failure(new EsClient({ seeds: [seed], requestTimeoutMs: 5000 }), controller.signal);
    assert.match(message, /cycle deadline reached/);
  });
  test('the agent stopping', async () => {
    hang();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new CycleAbort('shutdown', 'shutting down')), 100);
    const message = await failure(
      new EsClient({ seeds: [seed, seed], requestTimeoutMs: 5000 }),
      controller.signal,
    );
    assert.match(message, /agent stopping/);
    assert.doesNotMatch(message, /deadline/);
  });
});
