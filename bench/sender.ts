/**
 * The carbon sender (packages/shared): how many lines per second one core formats (LineBatch) and
 * writes through CarbonSender to a local TCP sink, and whether memory stays within the queue bound
 * during a long carbon outage.
 *
 *   npm run bench -- sender [--rounds 5] [--lines 2000000]
 *
 * The measured code runs in a worker process pinned to CPU 0 (`taskset`), importing the BUILT
 * @stoker/shared (dist/, no --conditions=stoker-source); the sink runs in this process, pinned to
 * CPU 1, so it does not share the worker's core. The worker times itself after a warm-up round, so
 * start-up and TypeScript compilation are not measured.
 * - throughput: `format` (LineBatch.add only), `send` (pre-formatted lines through the sender) and
 *   `format+send` (what an agent does), alternating, medians of --rounds runs. Names are 6
 *   segments (`bench.nodes.node-017.jvm.mem.heap_used_in_bytes` style) from a pool of 10,000;
 *   batches of 10,000 lines; the producer yields whenever more than 8 MiB wait in the queue.
 * - outage: carbon refuses connections; --outage-factor times the queue bound (default 64 MiB, the
 *   agents' default) is pushed in 20,000-line batches. Peak RSS (VmHWM) against the RSS before the
 *   first push plus the bound; then carbon comes back and what the queue kept is delivered.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { repoRoot } from '../test/harness/fixtures.js';
import { agentsRoot, freePort } from './lib/agents.js';
import { startLineSink } from './lib/line-sink.js';
import {
  formatMiB,
  formatNumber,
  loadNow,
  log,
  machine,
  maxOf,
  median,
  minOf,
  table,
  type Verdict,
  verdictTable,
} from './lib/report.js';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    lines: { type: 'string', default: '2000000' },
    'queue-mib': { type: 'string', default: '64' },
    'outage-factor': { type: 'string', default: '10' },
    worker: { type: 'string' },
    port: { type: 'string' },
  },
});

const BATCH_LINES = 10_000;
const NAME_POOL = 10_000;
const YIELD_ABOVE_BYTES = 8 * 1024 * 1024;

// ---- worker side (the measured process) --------------------------------------------------------

function namePool(): string[][] {
  const sections = [
    'jvm',
    'indices',
    'thread_pool',
    'os',
    'process',
    'transport',
    'fs',
    'http',
    'breakers',
    'ingest',
  ];
  const leaves = ['heap_used_in_bytes', 'query_total', 'rejected', 'percent', 'open_file_descriptors'];
  const pool: string[][] = [];
  for (let i = 0; pool.length < NAME_POOL; i++) {
    const node = `node-${String(i % 200).padStart(3, '0')}`;
    const section = sections[Math.floor(i / 200) % sections.length]!;
    const leaf = leaves[Math.floor(i / 2000) % leaves.length]!;
    pool.push(['bench', 'nodes', node, section, `sub${Math.floor(i / 200) % 5}`, leaf]);
  }
  return pool;
}

function peakRss(): number {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}

function cpuNowMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

async function worker(mode: string): Promise<void> {
  // The built package (dist/): this process runs without --conditions=stoker-source. A candidate
  // change in another tree is measured with STOKER_BENCH_AGENTS_ROOT, like the agents.
  const shared: typeof import('@stoker/shared') =
    agentsRoot === repoRoot
      ? await import('@stoker/shared')
      : await import(pathToFileURL(path.join(agentsRoot, 'packages/shared/dist/index.js')).href);
  const { CarbonSender, LineBatch, createLogger } = shared;
  const log = createLogger({ name: 'bench', level: 'silent' });
  const names = namePool();
  const queueBytes = Number(flags['queue-mib']) * 1024 * 1024;
  const port = Number(flags.port);
  const report = (result: unknown) => process.stdout.write(`${JSON.stringify(result)}\n`);

  if (mode === 'throughput') {
    const sender = new CarbonSender({
      destinations: [{ host: '127.0.0.1', port }],
      mode: 'replicate',
      protocol: 'tcp',
      queueBytes,
      connectTimeoutMs: 5000,
      log,
    });
    while (!sender.reachable) await sleep(10);
    const total = Number(flags.lines);
    const timestampSec = Math.floor(Date.now() / 1000);
    const format = (
      count: number,
      offset: number,
      onChunk: (chunk: Buffer, lines: number) => void = () => {},
    ) => {
      const batch = new LineBatch({ prefix: ['es'], timestampSec, onChunk });
      for (let i = 0; i < count; i++) batch.add(names[(offset + i) % NAME_POOL]!, (offset + i) * 0.5);
      batch.end();
    };
    const drain = async () => {
      while (sender.queueBytes > YIELD_ABOVE_BYTES) await new Promise((resolve) => setImmediate(resolve));
    };
    const preformatted: [Buffer, number][] = [];
    format(BATCH_LINES, 0, (chunk, lines) => preformatted.push([Buffer.from(chunk), lines]));
    const run = async (which: string) => {
      const cpuBefore = cpuNowMs();
      const started = performance.now();
      for (let done = 0; done < total; done += BATCH_LINES) {
        if (which === 'format') format(BATCH_LINES, done);
        else if (which === 'send') {
          for (const [chunk, lines] of preformatted) sender.send(chunk, lines);
          await drain();
        } else {
          format(BATCH_LINES, done, (chunk, lines) => sender.send(chunk, lines));
          await drain();
        }
      }
      if (which !== 'format' && !(await sender.flush(60_000))) throw new Error('flush timed out');
      return {
        mode: which,
        lines: total,
        wallMs: performance.now() - started,
        cpuMs: cpuNowMs() - cpuBefore,
      };
    };
    const rounds = Number(flags.rounds);
    // Warm-up: JIT, socket buffers, heap sizing.
    for (const which of ['format', 'send', 'format+send']) await run(which);
    for (let round = 0; round < rounds; round++)
      for (const which of ['format', 'send', 'format+send']) report(await run(which));
    await sender.close();
    return;
  }

  if (mode === 'outage') {
    // Nothing listens on `port` yet: carbon is down.
    const sender = new CarbonSender({
      destinations: [{ host: '127.0.0.1', port }],
      mode: 'replicate',
      protocol: 'tcp',
      queueBytes,
      connectTimeoutMs: 1000,
      log,
    });
    const target = queueBytes * Number(flags['outage-factor']);
    const timestampSec = Math.floor(Date.now() / 1000);
    // Warm up the formatting path (and its heap) with one batch that is thrown away.
    new LineBatch({ prefix: ['es'], timestampSec }).add(names[0]!, 1);
    globalThis.gc?.();
    await sleep(200);
    const rssBefore = peakRss();
    let pushedBytes = 0;
    let pushedLines = 0;
    let maxQueueBytes = 0;
    const started = performance.now();
    while (pushedBytes < target) {
      const batch = new LineBatch({
        prefix: ['es'],
        timestampSec,
        onChunk: (chunk, lines) => {
          pushedBytes += chunk.length;
          pushedLines += lines;
          sender.send(chunk, lines);
        },
      });
      // The value is the line's sequence number: after the outage, which lines survived shows.
      const first = pushedLines;
      for (let i = 0; i < 20_000; i++) batch.add(names[(first + i) % NAME_POOL]!, first + i);
      batch.end();
      maxQueueBytes = Math.max(maxQueueBytes, sender.queueBytes);
      // An agent pushes one cycle at a time; let timers (reconnect attempts) run in between.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const pushMs = performance.now() - started;
    const stats = sender.stats();
    const rssPeak = peakRss();
    // Carbon comes back: count what arrives and the sequence number of the first and last line.
    let received = 0;
    let firstSeq = -1;
    let lastSeq = -1;
    let carry = '';
    let ordered = true;
    const server = createServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        const text = carry + chunk.toString('latin1');
        const end = text.lastIndexOf('\n');
        carry = text.slice(end + 1);
        for (const line of text.slice(0, end).split('\n')) {
          const seq = Number(line.split(' ')[1]);
          if (firstSeq < 0) firstSeq = seq;
          if (seq <= lastSeq) ordered = false;
          lastSeq = seq;
          received++;
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    const flushStarted = performance.now();
    const flushed = await sender.flush(120_000);
    const flushMs = performance.now() - flushStarted;
    await sleep(300);
    report({
      mode,
      queueBytes,
      pushedBytes,
      pushedLines,
      pushMs,
      maxQueueBytes,
      queuedLines: stats.linesQueued,
      droppedLines: stats.linesDroppedQueueFull,
      rssBefore,
      rssPeak,
      flushed,
      flushMs,
      received,
      firstSeq,
      lastSeq,
      ordered,
    });
    await sender.close();
    server.close();
    return;
  }
  throw new Error(`unknown worker mode ${mode}`);
}

// ---- parent side --------------------------------------------------------------------------------

/** Runs this file as a worker pinned to CPU 0, with the built packages; returns its JSON lines. */
async function runWorker(mode: string, port: number): Promise<any[]> {
  const self = fileURLToPath(import.meta.url);
  const args = [
    '--import',
    'tsx',
    '--expose-gc',
    self,
    '--worker',
    mode,
    '--port',
    String(port),
    '--rounds',
    String(flags.rounds),
    '--lines',
    String(flags.lines),
    '--queue-mib',
    String(flags['queue-mib']),
    '--outage-factor',
    String(flags['outage-factor']),
  ];
  const pinned = pinning ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(pinned[0] as string, pinned[1] as string[], {
    cwd: path.resolve(path.dirname(self), '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`sender worker (${mode}) exited with ${code}`);
  return out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

let pinning = false;

async function main(): Promise<void> {
  const { execFileSync } = await import('node:child_process');
  try {
    execFileSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' });
    pinning = true;
  } catch {
    log('taskset not available: worker and sink are not pinned to separate cores');
  }
  console.log(`## Carbon sender\n\n\`\`\`\n${machine()}\n\`\`\`\n`);
  const verdicts: Verdict[] = [];

  const sink = await startLineSink();
  log(`throughput: ${formatNumber(Number(flags.lines))} lines per run, ${flags.rounds} rounds`);
  const results = await runWorker('throughput', sink.port);
  await sink.close();
  const rows: string[][] = [];
  let combined = 0;
  for (const mode of ['format', 'send', 'format+send']) {
    const runs = results.filter((result) => result.mode === mode);
    const rates = runs.map((run) => run.lines / (run.wallMs / 1000));
    const cpuPerLine = runs.map((run) => (run.cpuMs * 1e6) / run.lines);
    rows.push([
      mode,
      `${formatNumber(median(rates))} (${formatNumber(minOf(rates))}–${formatNumber(maxOf(rates))})`,
      formatNumber(median(cpuPerLine), 0),
    ]);
    if (mode === 'format+send') combined = median(rates);
  }
  verdicts.push({
    target: '≥ 1,000,000 lines/s formatted and written to a local TCP sink on one core',
    measured: `${formatNumber(combined)} lines/s`,
    met: combined >= 1_000_000,
  });

  log(
    `outage: pushing ${flags['outage-factor']}× a ${flags['queue-mib']} MiB queue into a sender whose carbon is down`,
  );
  const outages: any[] = [];
  for (let round = 0; round < Number(flags.rounds); round++) {
    const [result] = await runWorker('outage', await freePort());
    outages.push(result);
    log(
      `outage ${round + 1}: pushed ${formatMiB(result.pushedBytes)}, queue max ${formatMiB(result.maxQueueBytes)}, RSS ${formatMiB(result.rssBefore)} → peak ${formatMiB(result.rssPeak)}; after recovery ${formatNumber(result.received)} lines in ${formatNumber(result.flushMs)} ms`,
    );
  }
  const bound = Number(flags['queue-mib']) * 1024 * 1024;
  const growth = outages.map((o) => o.rssPeak - o.rssBefore);
  const o = outages[0]!;
  const outageTable = table(
    ['measure', 'value'],
    [
      ['queue bound', formatMiB(bound)],
      ['pushed while carbon was down', `${formatMiB(o.pushedBytes)} (${formatNumber(o.pushedLines)} lines)`],
      ['queue bytes, max seen', formatMiB(maxOf(outages.map((x) => x.maxQueueBytes)))],
      ['oldest lines dropped', formatNumber(o.droppedLines)],
      ['RSS before the first push', formatMiB(median(outages.map((x) => x.rssBefore)))],
      [
        'peak RSS (VmHWM), median (min–max)',
        `${formatMiB(median(outages.map((x) => x.rssPeak)))} (${formatMiB(minOf(outages.map((x) => x.rssPeak)))}–${formatMiB(maxOf(outages.map((x) => x.rssPeak)))})`,
      ],
      [
        'peak RSS − RSS before, median',
        `${formatMiB(median(growth))} = ${(median(growth) / bound).toFixed(2)}× the bound`,
      ],
      [
        'after carbon is back',
        `${formatNumber(o.received)} lines delivered in ${formatNumber(o.flushMs)} ms, sequence ${formatNumber(o.firstSeq)}…${formatNumber(o.lastSeq)} (the newest), in order: ${o.ordered ? 'yes' : 'NO'}`,
      ],
    ],
  );
  verdicts.push({
    target: 'queue within its bound during a long outage',
    measured: `max ${formatMiB(maxOf(outages.map((x) => x.maxQueueBytes)))} of ${formatMiB(bound)}`,
    met: maxOf(outages.map((x) => x.maxQueueBytes)) <= bound,
  });
  verdicts.push({
    target:
      'memory stays within the bound: RSS growth ≤ 2× the queue bound (the bound, plus the heap and garbage of the lines being pushed)',
    measured: `${formatMiB(maxOf(growth))} growth for a ${formatMiB(bound)} bound`,
    met: maxOf(growth) <= 2 * bound,
  });

  console.log(
    `### Throughput: ${formatNumber(Number(flags.lines))} lines per run, batches of ${formatNumber(BATCH_LINES)}, medians of ${flags.rounds} alternating runs (min–max)\n\n` +
      table(['mode', 'lines/s', 'CPU ns per line'], rows),
  );
  console.log(
    `\n### Outage: ${flags['outage-factor']}× the bound pushed, ${flags.rounds} runs\n\n${outageTable}`,
  );
  console.log(`\n### Targets\n\n${verdictTable(verdicts)}\n\n${loadNow()} at the end`);
}

if (flags.worker) await worker(flags.worker);
else await main();
