/**
 * Secrets and access of the real es-collector: a password (from an environment variable), an API
 * key, a bearer token and credentials in a seed URL never show up in anything the agent writes or
 * serves (stdout, stderr at trace level, /status, /healthz, error messages, config errors), and its
 * HTTP endpoint answers only GET/HEAD on /healthz and /status.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, runAgentToEnd, startAgent } from '../harness/agent.js';
import { type EsStandin, startEsStandin } from '../harness/es-standin.js';
import { sharedSkip } from '../harness/fixtures.js';
import { freePort } from '../harness/graphite.js';
import { ES_CLI, tempFile } from './helpers.js';

const skip = sharedSkip();

const PASSWORD = 'pw-Secret-1f2e3d';
const API_KEY = Buffer.from('key-id:apikey-Secret-9a8b7c').toString('base64');
const TOKEN = 'token-Secret-7c6d5e';
const URL_PASSWORD = 'url-Secret-5e4f3a';
const DENIED_PASSWORD = 'denied-Secret-0b1c2d';

/** Every form in which a secret could leak: as given, and as it travels in the Authorization header. */
const FORBIDDEN = [
  PASSWORD,
  API_KEY,
  Buffer.from(API_KEY, 'base64').toString(),
  TOKEN,
  URL_PASSWORD,
  DENIED_PASSWORD,
  Buffer.from(`monitor:${PASSWORD}`).toString('base64'),
  Buffer.from(`urluser:${URL_PASSWORD}`).toString('base64'),
  Buffer.from(`monitor:${DENIED_PASSWORD}`).toString('base64'),
];

function assertNoSecret(where: string, text: string): void {
  for (const secret of FORBIDDEN) {
    const at = text.indexOf(secret);
    assert.equal(at, -1, `${where} holds a secret: …${text.slice(Math.max(0, at - 120), at + 40)}…`);
  }
}

/** A raw request (paths are sent as written, not normalised the way fetch() does). */
function raw(port: number, method: string, path: string) {
  return new Promise<{ status: number; allow?: string; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body,
          ...(res.headers.allow ? { allow: res.headers.allow } : {}),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('es-collector: secrets never leave the Authorization header', { skip }, () => {
  const standins: EsStandin[] = [];
  let agent: AgentProcess;
  let httpPort: number;
  let config: string;
  let onceConfig: string;
  const env = { ES_TEST_PASSWORD: PASSWORD, ES_TEST_API_KEY: API_KEY, ES_TEST_DENIED: DENIED_PASSWORD };

  before(async () => {
    for (let i = 0; i < 5; i++) standins.push(await startEsStandin());
    const [basic, apiKey, bearer, inUrl, denied] = standins as [
      EsStandin,
      EsStandin,
      EsStandin,
      EsStandin,
      EsStandin,
    ];
    denied.fault('*', { kind: 'status', status: 401 });
    const tokenFile = tempFile('token', `${TOKEN}\n`);
    const entries = [
      '  - name: basic',
      `    es: [${basic.url}]`,
      '    username: monitor',
      '    password-env: ES_TEST_PASSWORD',
      '  - name: apikey',
      `    es: [${apiKey.url}]`,
      '    api-key-env: ES_TEST_API_KEY',
      '  - name: bearer',
      `    es: [${bearer.url}]`,
      `    bearer-token-file: ${tokenFile}`,
      '  - name: inurl',
      `    es: ["http://urluser:${URL_PASSWORD}@127.0.0.1:${inUrl.port}"]`,
      '  - name: denied',
      `    es: [${denied.url}]`,
      '    username: monitor',
      '    password-env: ES_TEST_DENIED',
    ];
    config = tempFile('es-collector.yaml', ['interval: 1s', 'clusters:', ...entries, ''].join('\n'));
    // For --once, the first and the last cluster: one with a password that works, one refused.
    onceConfig = tempFile(
      'es-collector.yaml',
      ['clusters:', ...entries.slice(0, 4), ...entries.slice(-4), ''].join('\n'),
    );
    httpPort = await freePort();
    agent = startAgent(ES_CLI, ['--config', config, '--log-level', 'trace', '--output', 'stdout'], {
      httpPort,
      env,
    });
    await agent.waitForStatus((s) => Object.values(s.jobs).every((job: any) => job.runs >= 3), 30_000);
  });
  after(async () => {
    await agent?.stop();
    await Promise.all(standins.map((es) => es.close()));
  });

  test('each secret was sent, in its header, to its cluster only', () => {
    const [basic, apiKey, bearer, inUrl, denied] = standins as [
      EsStandin,
      EsStandin,
      EsStandin,
      EsStandin,
      EsStandin,
    ];
    const auth = (es: EsStandin) =>
      String(es.lastHeaders.get('/_cluster/health')?.authorization ?? es.lastHeaders.get('/')?.authorization);
    assert.equal(auth(basic), `Basic ${Buffer.from(`monitor:${PASSWORD}`).toString('base64')}`);
    assert.equal(auth(apiKey), `ApiKey ${API_KEY}`);
    assert.equal(auth(bearer), `Bearer ${TOKEN}`);
    assert.equal(auth(inUrl), `Basic ${Buffer.from(`urluser:${URL_PASSWORD}`).toString('base64')}`);
    assert.equal(auth(denied), `Basic ${Buffer.from(`monitor:${DENIED_PASSWORD}`).toString('base64')}`);
  });

  test('/status, /healthz, stdout and trace-level stderr hold none of them, 401 errors included', async () => {
    const status = await raw(httpPort, 'GET', '/status');
    assert.equal(status.status, 200);
    assert.match(status.body, /HTTP 401/, '/status shows why the denied cluster is down');
    assertNoSecret('/status', status.body);
    assertNoSecret('/healthz', (await raw(httpPort, 'GET', '/healthz')).body);
    assertNoSecret('a 404 body', (await raw(httpPort, 'GET', '/nope')).body);
    assert.equal(await agent.stop(), 0);
    assert.match(agent.stderr(), /HTTP 401/);
    assertNoSecret('stderr', agent.stderr());
    assertNoSecret('stdout', agent.stdout());
  });

  test('--once (a working and a refused cluster): output and errors hold none of them', async () => {
    const result = await runAgentToEnd(
      ES_CLI,
      ['--config', onceConfig, '--once', '--output', 'stdout', '--log-level', 'trace'],
      env,
    );
    assert.equal(result.code, 1, 'one cluster is down');
    assert.match(result.stderr, /cluster denied: down/);
    assertNoSecret('stderr', result.stderr);
    assertNoSecret('stdout', result.stdout);
  });

  test('a 401 whose body echoes the credentials (as some proxies do) is not repeated in logs or /status', async () => {
    const echo = await startEsStandin();
    try {
      const header = `Basic ${Buffer.from(`monitor:${PASSWORD}`).toString('base64')}`;
      echo.fault('*', {
        kind: 'status',
        status: 401,
        body: JSON.stringify({
          error: `invalid credentials: Authorization: ${header} (password ${PASSWORD})`,
        }),
      });
      const result = await runAgentToEnd(
        ES_CLI,
        [
          '--es',
          echo.url,
          '--username',
          'monitor',
          '--password-env',
          'ES_TEST_PASSWORD',
          '--once',
          '--output',
          'stdout',
        ],
        env,
      );
      assert.equal(result.code, 1);
      assert.match(result.stderr, /HTTP 401/);
      assertNoSecret('stderr', result.stderr);
    } finally {
      await echo.close();
    }
  });
});

describe('es-collector: config errors do not print the credentials of a seed URL', { skip }, () => {
  const url = `http://admin:${URL_PASSWORD}@127.0.0.1:9200`;
  const cases: Array<{
    name: string;
    args: string[];
    env?: NodeJS.ProcessEnv;
    file?: string;
    expect: RegExp;
  }> = [
    {
      name: 'an unknown flag beside --es',
      args: ['--es', url, '--intervall', '10s'],
      // Only the one unknown flag is named: the command line, with the URL in it, is never echoed.
      expect: /^es-collector: config error: --intervall: unknown option; did you mean --interval\?$/m,
    },
    {
      name: 'an invalid --es',
      args: ['--es', `http://admin:${URL_PASSWORD}@127.0.0.1:99999`],
      expect: /--es: .*expected a list whose item 0 is an http/,
    },
    {
      name: 'an invalid STOKER_ES',
      args: [],
      env: { STOKER_ES: `http://admin:${URL_PASSWORD}@bad host:9200` },
      expect: /environment variable STOKER_ES/,
    },
    {
      name: 'an invalid es: in the config file',
      args: [],
      file: `es: ["http://admin:${URL_PASSWORD}@bad host:9200"]\n`,
      expect: /config file key "es"/,
    },
  ];
  for (const { name, args, env, file, expect } of cases) {
    test(name, async () => {
      const extra = file === undefined ? [] : ['--config', tempFile('es-collector.yaml', file)];
      const result = await runAgentToEnd(ES_CLI, [...args, ...extra, '--once', '--output', 'stdout'], env);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, expect);
      assertNoSecret('the config error', result.stderr);
    });
  }
});

describe('es-collector HTTP endpoint: documented routes and methods only', { skip }, () => {
  let es: EsStandin;
  let agent: AgentProcess;
  let port: number;
  before(async () => {
    es = await startEsStandin();
    port = await freePort();
    agent = startAgent(
      ES_CLI,
      ['--es', es.url, '--cluster', 'http', '--interval', '1s', '--output', 'stdout', '--metrics'],
      { httpPort: port },
    );
    await agent.waitForStatus((s) => s.jobs.http.runs >= 1);
  });
  after(async () => {
    await agent?.stop();
    await es?.close();
  });

  test('GET and HEAD on /healthz, /status and /metrics; a query string is ignored', async () => {
    for (const path of ['/healthz', '/status', '/status?verbose=1', '/metrics', '/metrics?x=1']) {
      assert.equal((await raw(port, 'GET', path)).status, 200, path);
      const head = await raw(port, 'HEAD', path);
      assert.equal(head.status, 200, `HEAD ${path}`);
      assert.equal(head.body, '');
    }
  });

  test('every other method is 405 with Allow: GET, HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE']) {
      for (const path of ['/healthz', '/status', '/metrics']) {
        const answer = await raw(port, method, path);
        assert.equal(answer.status, 405, `${method} ${path}`);
        assert.equal(answer.allow, 'GET, HEAD');
      }
    }
  });

  test('every other path is 404, including look-alikes and traversals', async () => {
    for (const path of [
      '/',
      '/metrics/',
      '/METRICS',
      '/status/',
      '/healthz/x',
      '//status',
      '/../status',
      '/%2e%2e/status',
      '/STATUS',
      `/${'a'.repeat(4000)}`,
    ]) {
      const answer = await raw(port, 'GET', path);
      assert.equal(answer.status, 404, path);
      assert.doesNotMatch(answer.body, /"jobs"/, `${path} shows no status`);
    }
    assert.equal((await raw(port, 'DELETE', '/anything')).status, 404);
    assert.equal(agent.child.exitCode, null);
  });
});
