/**
 * `stoker-marathon`: one Marathon app per Elasticsearch cluster for es-collector, from a list of
 * clusters. A bin of es-collector, so it runs from the package or the image without a checkout:
 *
 *   stoker-marathon clusters.yaml [options]          (npx stoker-marathon from the repository)
 *   docker run --rm -i --entrypoint stoker-marathon stoker/es-collector - < clusters.yaml
 *
 * Prints a Marathon group (`{"id": "/monitoring/es-collector", "apps": [...]}`) for
 * `PUT /v2/groups/...`, or with `--out DIR` writes one app per file (`DIR/<cluster>.json`) for
 * `POST /v2/apps`. The input (YAML or JSON, `-` for standard input) is either a list of clusters or a
 * mapping with `clusters` and defaults for every app; see docker/marathon/clusters.example.yaml and
 * docker/marathon/README.md.
 *
 * Exit codes: 0 done; 2 bad input or flags (every problem is printed on its own line, starting with
 * the key it is about, e.g. `clusters[1].seeds[0]: ...`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { DEFAULTS, esCollectorGroup } from './app.js';
import { type GeneratorInput, InputError, parseGeneratorInput } from './input.js';

const NAME = 'stoker-marathon';
const USAGE = `Usage: ${NAME} CLUSTERS.yaml [options]     (CLUSTERS.yaml: - reads standard input)

Prints one es-collector Marathon app per cluster, as a Marathon group (PUT /v2/groups/<group>).

Options (override the input file's top level):
  --carbon HOST:PORT     carbon destination, repeatable (required here or in the file)
  --carbon-mode MODE     replicate or failover
  --image IMAGE          default ${DEFAULTS.image}
  --group ID             default ${DEFAULTS.group}
  --interval DURATION    default ${DEFAULTS.interval}
  --prefix PREFIX        metric prefix (es-collector's default: es)
  --marathon-version V   the Marathon the apps are for: 1.4 gets container.docker.network HOST,
                         1.5 and later get networks [{mode: host}]; default ${DEFAULTS.marathonVersion}
  --out DIR              write DIR/<cluster>.json, one app per file (POST /v2/apps), instead
  -h, --help             this text
Exit codes: 0 done, 2 bad input (each problem names its key).`;

/** Where main() writes; tests pass collectors. */
export interface GeneratorIo {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
}

export function main(argv: string[], io: GeneratorIo = { out: process.stdout, err: process.stderr }): number {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    io.err.write(`${NAME}: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.values.help) {
    io.out.write(`${USAGE}\n`);
    return 0;
  }
  const [file, ...extra] = parsed.positionals;
  if (!file || extra.length > 0) {
    io.err.write(`${NAME}: give exactly one input file\n\n${USAGE}\n`);
    return 2;
  }

  let data: unknown;
  try {
    // File descriptor 0: standard input, so the image needs no volume for the input.
    const text = readFileSync(file === '-' ? 0 : file, 'utf8');
    data = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    io.err.write(`${NAME}: ${file}: ${(error as Error).message.split('\n')[0]}\n`);
    return 2;
  }

  let input: GeneratorInput;
  try {
    input = parseGeneratorInput(data, parsed.values);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    io.err.write(`${NAME}: ${file} is not valid:\n${error.problems.map((p) => `  ${p}\n`).join('')}`);
    return 2;
  }

  const group = esCollectorGroup(input.clusters, input.defaults);
  const outDir = parsed.values.out;
  if (outDir === undefined) {
    io.out.write(`${JSON.stringify(group, null, 2)}\n`);
    return 0;
  }
  mkdirSync(outDir, { recursive: true });
  for (const app of group.apps) {
    const path = join(outDir, `${app.id.split('/').pop()}.json`);
    writeFileSync(path, `${JSON.stringify(app, null, 2)}\n`);
    io.out.write(`${path}\t${app.id}\n`);
  }
  return 0;
}

function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      carbon: { type: 'string', multiple: true },
      'carbon-mode': { type: 'string' },
      image: { type: 'string' },
      group: { type: 'string' },
      interval: { type: 'string' },
      prefix: { type: 'string' },
      'marathon-version': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
