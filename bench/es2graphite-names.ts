/**
 * es-collector's es2graphite schemes next to the real es2graphite, on the same ES stand-in: which of
 * the names es2graphite sends Stoker sends too, and with the same value.
 *
 *   npm run bench -- es2graphite-names --es2graphite <git dir of mattweber/es2graphite>
 *     [--python <python 2.7>] [--versions 0.90,1.7.5,...]
 *
 * es2graphite is not part of this repository (nor ever copied into it): give a clone of
 * github.com/mattweber/es2graphite; its `es2graphite.py` is read with `git show` at commit 642dcd3
 * (last release, `--naming es2graphite`) and ac8bbf9 (2013, `--naming es2graphite-2013`) into a
 * temporary folder and run with Python 2.7 (`--python`, default `python2.7`), once per recorded
 * version, against the stand-in (test/harness/es-standin.ts: recorded answers; `_cat` answers
 * synthesised from the recorded node stats). Stoker runs against the same stand-in with
 * `--once --output stdout --cluster <the cluster name es2graphite used>`.
 *
 * - 2015: `--dry-run --protocol plaintext --stdout --log-level info`, which logs every line it
 *   would send (`Metric String: <name> <value> <ts>`) and exits (on 0.90 it stops at the first
 *   `_cat` 404 and retries forever: it is stopped after 30 s, with the health it sent).
 * - 2013: `--debug` (`<ts> <name> = <value>`); it loops forever, so it is stopped once its output
 *   has been quiet for 3 s. It asks `/_status`: on 0.90 and 1.x the stand-in answers one
 *   synthesised from the bodies it serves (test/harness/es-status.ts: no recording exists), so its
 *   names are compared too. From 2.0, where ES answers `/_status` with an error that ended
 *   es2graphite's cycle before `/_stats`, the stand-in is given `{"indices": {}}` instead, so that
 *   es2graphite goes on and its index stats names are compared.
 *
 * `--health telegraf/cluster_health/cluster_health_level_indices.json` serves a health with
 * per-index entries to every version (the recorded ones have none).
 *
 * Per version and era: es2graphite's name count, the share Stoker sends, the names with another
 * value, and Stoker's extra names (what es2graphite never sent). `--list` prints the missing names.
 *
 * Then the golden cases of both schemes (packages/es-collector/testcases/es2graphite*): each case's
 * recorded answers are served (over the nearest version's) to es2graphite of its era, and every line
 * of its `expected.out` must be a line es2graphite sent, with the same value (the cluster segment
 * aside: the cases call it `legacy`).
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { type EsStandinOptions, startEsStandin } from '../test/harness/es-standin.js';
import { sharedPath } from '../test/harness/fixtures.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');

const { values: args } = parseArgs({
  options: {
    es2graphite: { type: 'string' },
    python: { type: 'string', default: 'python2.7' },
    versions: { type: 'string', default: '0.90,1.7.5,2.4.5,5.6.16,6.8.8,7.13.1,8.4.2' },
    list: { type: 'boolean', default: false },
    /** A health recording (under fixtures/es) served to every version instead of its own. */
    health: { type: 'string' },
  },
});
if (!args.es2graphite) {
  console.error(
    'usage: es2graphite-names --es2graphite <git dir of mattweber/es2graphite> [--python python2.7]',
  );
  process.exit(2);
}

// A Python that does not run (a pyenv shim without a version) would make es2graphite send nothing,
// which would read as Stoker sending names es2graphite does not.
const probe = spawnSync(args.python!, ['-c', 'import sys; assert sys.version_info[:2] == (2, 7)'], {
  encoding: 'utf8',
});
if (probe.status !== 0) {
  console.error(
    `es2graphite needs Python 2.7: ${args.python} did not run as one (${probe.error?.message ?? probe.stderr.trim()}); give one with --python`,
  );
  process.exit(2);
}

const ERAS = [
  { era: '2015', commit: '642dcd3', naming: 'es2graphite' },
  { era: '2013', commit: 'ac8bbf9', naming: 'es2graphite-2013' },
] as const;

/** 0.90 has no recording of `GET /` nor of the health: the nearest (1.4.5) health, a root saying 0.90. */
function standinOptions(version: string): EsStandinOptions {
  // From 2.0 ES answers `/_status` with an error, which ended es2graphite 2013's cycle before it
  // asked `/_stats`: an empty `_status` lets it go on, so its index stats names are compared too.
  const bodies: EsStandinOptions['bodies'] =
    Number(version.split('.')[0]) >= 2 ? { indices_status: { indices: {} } } : {};
  const health = (file: string) => JSON.parse(readFileSync(sharedPath('fixtures', 'es', file), 'utf8'));
  if (version === '0.90') {
    bodies.root = { cluster_name: 'elasticsearch', version: { number: '0.90.13' } };
    bodies.cluster_health = health('signalfx_collectd/1.4.5/cluster_health.json');
  }
  if (args.health) bodies.cluster_health = health(args.health);
  return { version, bodies, gzip: false };
}

type Lines = Map<string, number>;

function parse(output: string, pattern: RegExp): Lines {
  const lines: Lines = new Map();
  for (const match of output.matchAll(pattern)) lines.set(match.groups!.name!, Number(match.groups!.value));
  return lines;
}

/**
 * Runs es2graphite until it exits (a 2015 dry run that went well) or its output has been quiet for
 * 3 s after its first output (at most 30 s): the 2013 one loops forever, and so does a 2015 dry run whose cycle failed
 * (on 0.90, `_cat` answers 404; its main loop logs the exception and tries again at once).
 */
function es2graphite(script: string, era: '2013' | '2015', host: string): Promise<Lines> {
  const argv =
    era === '2015'
      ? ['-u', script, '--dry-run', '--protocol', 'plaintext', '--stdout', '--log-level', 'info', host]
      : ['-u', script, '--debug', '--interval', '3600', host];
  return new Promise((resolve, reject) => {
    const child = spawn(args.python!, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let quiet: NodeJS.Timeout | undefined;
    const settle = () => {
      clearTimeout(quiet);
      quiet = setTimeout(() => child.kill('SIGKILL'), 3000);
    };
    child.stdout.on('data', (chunk) => {
      output += chunk;
      settle();
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    // A failing 2015 cycle is retried at once, and logged every time: never quiet.
    const cap = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(quiet);
      clearTimeout(cap);
      resolve(
        era === '2015'
          ? parse(output, /Metric String: (?<name>\S+) (?<value>\S+) \d+/g)
          : parse(output, /'\d+ (?<name>\S+) = (?<value>[^']+)'/g),
      );
    });
  });
}

async function stoker(naming: string, cluster: string, url: string): Promise<Lines> {
  const { stdout } = await run(
    process.execPath,
    [
      '--conditions=stoker-source',
      '--import',
      'tsx',
      path.join(root, 'packages/es-collector/src/cli.ts'),
      '--es',
      url,
      '--once',
      '--output',
      'stdout',
      '--naming',
      naming,
      '--cluster',
      cluster,
      '--self-metrics=false',
    ],
    { cwd: root, maxBuffer: 64 << 20 },
  ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  return parse(stdout, /^(?<name>\S+) (?<value>\S+) \d+$/gm);
}

const work = mkdtempSync(path.join(tmpdir(), 'es2graphite-'));
const scripts = new Map<string, string>();
for (const { era, commit } of ERAS) {
  const { stdout } = await run('git', ['--git-dir', args.es2graphite, 'show', `${commit}:es2graphite.py`]);
  const file = path.join(work, `es2graphite-${era}.py`);
  writeFileSync(file, stdout);
  scripts.set(era, file);
}

console.log('| version | era | es2graphite names | sent by Stoker | other value | Stoker extra names |');
console.log('| --- | --- | ---: | ---: | ---: | ---: |');
const missingByCase: string[] = [];
for (const version of args.versions!.split(',')) {
  const es = await startEsStandin(standinOptions(version));
  try {
    for (const { era, naming } of ERAS) {
      const theirs = await es2graphite(scripts.get(era)!, era, `127.0.0.1:${es.port}`);
      const cluster = [...theirs.keys()][0]?.split('.')[1] ?? 'elasticsearch';
      const ours = await stoker(naming, cluster, es.url);
      const missing = [...theirs.keys()].filter((name) => !ours.has(name)).sort();
      const differing = [...theirs].filter(([name, value]) => ours.has(name) && ours.get(name) !== value);
      const extra = [...ours.keys()].filter((name) => !theirs.has(name)).length;
      const sent = theirs.size - missing.length;
      const share = theirs.size === 0 ? '–' : `${((100 * sent) / theirs.size).toFixed(1)} %`;
      console.log(
        `| ${version} | ${era} | ${theirs.size} | ${sent} (${share}) | ${differing.length} | ${extra} |`,
      );
      if (args.list && (missing.length > 0 || differing.length > 0))
        missingByCase.push(
          `## ${version} ${era}`,
          ...missing.map((name) => `missing ${name}`),
          ...differing.map(
            ([name, value]) => `value ${name}: es2graphite ${value}, Stoker ${ours.get(name)}`,
          ),
        );
    }
  } finally {
    await es.close();
  }
}
if (missingByCase.length > 0) console.log(`\n${missingByCase.join('\n')}`);

console.log('\n| golden case | expected lines | sent alike by es2graphite |');
console.log('| --- | ---: | ---: |');
const casesDir = path.join(root, 'packages/es-collector/testcases');
const VERSION_OF_MAJOR: Record<number, string> = {
  1: '1.7.5',
  2: '2.4.5',
  5: '5.6.16',
  6: '6.8.8',
  7: '7.13.1',
  8: '8.4.2',
};
const ERA_OF_NAMING: Record<string, '2013' | '2015'> = { es2graphite: '2015', 'es2graphite-2013': '2013' };
let goldenFailures = 0;
for (const name of readdirSync(casesDir)
  .filter((each) => each.startsWith('es2graphite'))
  .sort()) {
  const input = JSON.parse(readFileSync(path.join(casesDir, name, 'input.json'), 'utf8')) as {
    naming: string;
    cat?: number;
    status?: number;
    responses: Record<string, string>;
  };
  const era = ERA_OF_NAMING[input.naming]!;
  const version = name.includes('0.90') ? '0.90' : VERSION_OF_MAJOR[input.cat ?? input.status ?? 8]!;
  const options = standinOptions(version);
  for (const [api, file] of Object.entries(input.responses))
    (options.bodies as Record<string, unknown>)[api] = JSON.parse(
      readFileSync(sharedPath('fixtures', 'es', file), 'utf8'),
    );
  const es = await startEsStandin(options);
  try {
    const theirs = await es2graphite(scripts.get(era)!, era, `127.0.0.1:${es.port}`);
    const renamed = new Map(
      [...theirs].map(([line, value]) => [line.replace(/^([^.]+)\.[^.]+/, '$1.legacy'), value]),
    );
    const expected = readFileSync(path.join(casesDir, name, 'expected.out'), 'utf8')
      .trim()
      .split('\n');
    const alike = expected.filter((line) => {
      const [lineName, value] = line.split(' ');
      return renamed.get(lineName!) === Number(value);
    });
    if (alike.length !== expected.length) goldenFailures++;
    console.log(`| ${name} | ${expected.length} | ${alike.length} |`);
    if (args.list)
      for (const line of expected.filter((each) => !alike.includes(each)))
        console.log(`  not sent alike: ${line}`);
  } finally {
    await es.close();
  }
}
process.exitCode = goldenFailures > 0 ? 1 : 0;
