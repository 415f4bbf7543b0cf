import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEsStandin } from './es-standin.js';

const es = await startEsStandin({ version: process.argv[2] ?? '8.4.2' });
const child = spawn(
  'prometheus-elasticsearch-exporter',
  ['--es.uri', es.url, '--es.all', '--es.indices', '--web.listen-address', '127.0.0.1:19114'],
  { stdio: 'ignore' },
);
await sleep(1500);
const text = await (await fetch('http://127.0.0.1:19114/metrics')).text();
process.stdout.write(text);
child.kill();
await es.close();
console.error([...es.requests.keys()]);
