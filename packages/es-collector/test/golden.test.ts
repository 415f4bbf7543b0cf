import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type CatEndpoint, synthesizeCat } from '../../../test/harness/es-cat.js';
import { synthesizeStatus } from '../../../test/harness/es-status.js';
import { sharedSkip } from '../../../test/harness/fixtures.js';
import { APIS, type ApiName, mapBodies } from '../src/collectors/index.js';
import { DEFAULT_INDEX_SELECTION } from '../src/index-selection.js';
import { NAMING_SCHEMES, type NamingSchemeName } from '../src/naming/index.js';
import { schemeDefaults } from '../src/targets.js';
import { mapContext, namedLines, readFixture, readRecording } from './helpers.js';

/**
 * Golden cases as folders (testcases/<case>/): `input.json` names the recorded responses and the
 * options, `expected.out` holds the carbon lines they must give (filtered by `keep` to stay
 * readable). UPDATE_GOLDEN=1 rewrites expected.out after a deliberate change; review the diff.
 * A case with `cat` (the ES major version) also gets the `_cat` answers es2graphite asked, made
 * from its node stats and health as the ES stand-in makes them (test/harness/es-cat.ts), at the
 * paths es-collector asks; a case with `status` (an ES major before 2) gets the `_status` answer
 * es2graphite 2013 asked, made from its node stats, index stats and health
 * (test/harness/es-status.ts).
 */
interface CaseInput {
  description: string;
  naming: NamingSchemeName;
  cluster: string;
  responses: Partial<Record<ApiName, string>>;
  /** The ES major version whose synthesised `_cat` answers the case gets (es2graphite scheme). */
  cat?: number;
  /** The ES major version (< 2) whose synthesised `_status` answer the case gets (es2graphite-2013). */
  status?: number;
  options?: {
    include?: string[];
    exclude?: string[];
    rollup?: boolean;
    top?: number;
    healthLevelIndices?: boolean;
  };
  /** Regular expressions; a line is kept when its name matches one. */
  keep: string[];
}

const casesDir = fileURLToPath(new URL('../testcases/', import.meta.url));
const TIMESTAMP = 1_700_000_000;

function render(input: CaseInput): string {
  const bodies = new Map<ApiName, unknown>();
  for (const api of APIS) {
    const file = input.responses[api.name];
    if (file) bodies.set(api.name, readRecording(api, file));
  }
  if (input.cat !== undefined) {
    const nodes = readFixture(input.responses.nodes_stats!);
    const health = input.responses.cluster_health ? readFixture(input.responses.cluster_health) : undefined;
    for (const api of APIS) {
      const path = api.path(
        { major: input.cat, minor: 0, number: `${input.cat}.0.0`, distribution: 'elasticsearch' },
        {
          ...mapContext().options,
          naming: input.naming,
        },
      );
      if (!api.name.startsWith('cat_') || path === undefined) continue;
      const query = new URL(path, 'http://es').searchParams;
      bodies.set(api.name, synthesizeCat(api.name as CatEndpoint, query, input.cat, nodes, health));
    }
  }
  if (input.status !== undefined) {
    const fixture = (api: ApiName) => {
      const file = input.responses[api];
      return file ? readFixture(file) : undefined;
    };
    bodies.set(
      'indices_status',
      synthesizeStatus(
        input.status,
        fixture('nodes_stats'),
        fixture('indices_stats'),
        fixture('cluster_health'),
      ),
    );
  }
  const defaults = schemeDefaults(input.naming);
  const result = mapBodies(
    bodies,
    mapContext({
      indices: {
        include: input.options?.include ?? DEFAULT_INDEX_SELECTION.include,
        exclude: input.options?.exclude ?? DEFAULT_INDEX_SELECTION.exclude,
        rollup: input.options?.rollup ?? defaults.rollup,
        top: input.options?.top ?? defaults.top,
      },
      healthLevelIndices: input.options?.healthLevelIndices ?? defaults.healthLevelIndices,
      naming: input.naming,
    }),
  );
  assert.deepEqual([...result.errors], [], 'every response maps');
  const scheme = NAMING_SCHEMES[input.naming];
  const batch = namedLines(scheme, input.cluster, result.samples, TIMESTAMP);
  const keep = input.keep.map((pattern) => new RegExp(pattern));
  return batch.lines
    .filter((line) => keep.some((re) => re.test(line.split(' ')[0]!)))
    .sort()
    .join('');
}

describe('golden cases (testcases/)', { skip: sharedSkip() }, () => {
  for (const name of readdirSync(casesDir).sort()) {
    test(name, () => {
      const input = JSON.parse(readFileSync(join(casesDir, name, 'input.json'), 'utf8')) as CaseInput;
      const actual = render(input);
      const expectedPath = join(casesDir, name, 'expected.out');
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(expectedPath, actual);
      assert.ok(actual.length > 0, `${name}: keep matched no line`);
      assert.equal(actual, readFileSync(expectedPath, 'utf8'), `${name}: ${input.description}`);
    });
  }
});
