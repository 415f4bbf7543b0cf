/**
 * The differential fuzz of es-collector's JSON walker (packages/es-collector/test/json-fuzz.ts) for
 * longer than the test suite runs it: random and damaged index stats documents from the recorded
 * answers, in random chunkings, through the walker and the index stats reader, against JSON.parse.
 *
 *   npm run bench -- json-walk-fuzz [--seconds 600] [--seed <n>]
 *
 * Seeds count up from --seed (default: from the clock, printed), 1,000 documents each. A document
 * on which they disagree is written to json-walk-fuzz-<seed>-<n>.json in the working directory and
 * the run fails at its end. Progress on stderr, a summary on stdout.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FIXTURES_ES, fixtureFiles } from '../packages/es-collector/test/helpers.js';
import {
  checkDocument,
  fuzzCuts,
  fuzzDocument,
  parseReference,
  seededRandom,
} from '../packages/es-collector/test/json-fuzz.js';
import { formatNumber, log } from './lib/report.js';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '600' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
  },
});
const DOCUMENTS_PER_SEED = 1000;
const templates = fixtureFiles(/^indices_stats.*\.json$/).map(
  (file) => JSON.parse(readFileSync(join(FIXTURES_ES, file), 'utf8')) as Record<string, unknown>,
);
const until = Date.now() + Number(flags.seconds) * 1000;
let documents = 0;
let refused = 0;
let bytes = 0;
let failures = 0;
let seed = Number(flags.seed);
log(`fuzzing for ${flags.seconds} s from seed ${seed} (${templates.length} recorded answers)`);
for (; Date.now() < until; seed++) {
  const random = seededRandom(seed);
  for (let i = 0; i < DOCUMENTS_PER_SEED; i++) {
    const document = fuzzDocument(random, templates[Math.floor(random() * templates.length)]!);
    const cuts = fuzzCuts(random, document);
    documents++;
    bytes += document.length;
    if (!parseReference(document)) refused++;
    const problem = checkDocument(document, cuts);
    if (problem) {
      failures++;
      const file = `json-walk-fuzz-${seed}-${i}.json`;
      writeFileSync(file, document);
      log(
        `seed ${seed} document ${i}: ${problem} (written to ${file}; cuts ${JSON.stringify(cuts.slice(0, 50))})`,
      );
    }
  }
  log(`seed ${seed} done: ${formatNumber(documents)} documents, ${failures} disagreements`);
}
console.log(
  `json-walk-fuzz: ${formatNumber(documents)} documents (${formatNumber(bytes / 1e6, 1)} MB, ${formatNumber(refused)} refused by JSON.parse), seeds ${flags.seed}..${seed - 1}, ${failures} disagreements`,
);
if (failures > 0) process.exit(1);
