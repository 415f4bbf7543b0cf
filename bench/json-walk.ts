/**
 * The streaming JSON walker of es-collector (src/json-walk.ts), in this process, from the sources:
 *
 *   npm run bench -- json-walk [--rounds 5] [--indices 5000] [--string-mib 4]
 *
 * - throughput: a synthesised index stats answer of --indices indices (a real 7.17.3 entry
 *   replicated, as bench/lib/es-cluster.ts serves it) read by IndicesStatsReader in 16 KiB chunks
 *   (what gunzip hands on), MB per CPU second, median of --rounds after a warm-up.
 * - split tokens: a document holding one string of --string-mib MiB, walked in one chunk and in 1 KiB
 *   chunks; and one of 64 KiB in 1-byte chunks against one chunk. A token cut by a chunk is
 *   continued, not re-scanned, so the cost per byte should not depend on the chunking.
 */
import { parseArgs } from 'node:util';
import { IndicesStatsReader } from '../packages/es-collector/src/collectors/indices-stats.js';
import { type JsonHandler, JsonWalk } from '../packages/es-collector/src/json-walk.js';
import { loadFixture, synthesizeIndicesStats } from '../test/harness/es-standin.js';
import { INDEX_RECORDING } from './lib/es-cluster.js';
import { formatNumber, log, machine, median, table } from './lib/report.js';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    indices: { type: 'string', default: '5000' },
    'string-mib': { type: 'string', default: '4' },
  },
});
const rounds = Number(flags.rounds);

/**
 * CPU milliseconds `run` takes (this process, garbage collection included), median of `rounds` after
 * one warm-up: CPU time rather than wall time, which on a shared machine counts other processes.
 */
function timeMs(run: () => void): number {
  run();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    times.push((used.user + used.system) / 1e3);
  }
  return median(times);
}

function inChunks(bytes: Uint8Array, size: number, write: (chunk: Uint8Array) => void): void {
  for (let at = 0; at < bytes.length; at += size) write(bytes.subarray(at, at + size));
}

const body = Buffer.from(
  JSON.stringify(synthesizeIndicesStats(loadFixture(INDEX_RECORDING), Number(flags.indices))),
);
log(`index stats body: ${formatNumber(body.length / 1e6, 1)} MB`);
const readMs = timeMs(() => {
  const reader = new IndicesStatsReader();
  inChunks(body, 16 * 1024, (chunk) => reader.write(chunk));
  reader.end();
});

const ignore: JsonHandler<number> = {
  object: () => undefined,
  number: () => {},
  repeated: () => {},
  close: () => {},
};
/** `{"s":"xxx…","n":1}` with a string of `bytes` bytes, walked in chunks of `size`. */
function stringWalkMs(bytes: number, size: number): number {
  const doc = Buffer.from(`{"s":"${'x'.repeat(bytes)}","n":1}`);
  return timeMs(() => {
    const walk = new JsonWalk(ignore, 0);
    inChunks(doc, size, (chunk) => walk.write(chunk));
    walk.end();
  });
}
const stringBytes = Number(flags['string-mib']) * 1024 * 1024;
log(`strings of ${flags['string-mib']} MiB and 64 KiB`);
const rows = [
  [
    `${flags['string-mib']} MiB string`,
    'one chunk',
    formatNumber(stringWalkMs(stringBytes, stringBytes + 64), 2),
  ],
  [`${flags['string-mib']} MiB string`, '1 KiB chunks', formatNumber(stringWalkMs(stringBytes, 1024), 2)],
  ['64 KiB string', 'one chunk', formatNumber(stringWalkMs(65536, 65536 + 64), 3)],
  ['64 KiB string', '1-byte chunks', formatNumber(stringWalkMs(65536, 1), 3)],
];

console.log(`# JSON walker (${machine()})\n`);
console.log(
  table(
    ['index stats body', 'MB', 'CPU ms (median)', 'MB/s'],
    [
      [
        `${flags.indices} indices, 16 KiB chunks`,
        formatNumber(body.length / 1e6, 1),
        formatNumber(readMs, 1),
        formatNumber(body.length / 1e3 / readMs, 0),
      ],
    ],
  ),
);
console.log();
console.log(table(['document', 'chunking', 'CPU ms (median)'], rows));
