import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { recordingCycle } from '../../../test/harness/cycle.js';
import { sharedPath, sharedSkip } from '../../../test/harness/fixtures.js';
import { detectLayout } from '../src/cgroup/locate.js';
import { ContainerCollector, type ContainerSource } from '../src/collector.js';
import { type ContainerIdentity, identityFromInspect } from '../src/docker/identity.js';
import { NAMING_SCHEMES } from '../src/naming/index.js';

/**
 * Golden cases as folders (testcases/<case>/): `input.json` builds a host from recorded files of
 * `../shared/fixtures/containers` (a cgroup tree per container, its `/proc/<pid>/net/dev`, Docker's
 * inspect and one-shot stats answers), the collector runs one `--once` cycle on it (two samples of
 * unchanged files: rates are 0), and `expected.out` holds the carbon lines it must give.
 * UPDATE_GOLDEN=1 rewrites expected.out after a deliberate change; review the diff.
 */
interface CaseInput {
  description: string;
  naming: keyof typeof NAMING_SCHEMES;
  cgroup: 'v1' | 'v2';
  groupLabels?: string[];
  /** The host's `/sys/dev/block`: `<major>:<minor>` → the device's kernel name. */
  blockDevices?: Record<string, string>;
  containers: ContainerCase[];
}

interface ContainerCase {
  /** A recorded `GET /containers/{id}/json`, and what differs from it (objects merged, arrays appended). */
  inspect: string;
  override?: Record<string, unknown>;
  /** v2: the container's directory; v1: one per controller mount (`cpu,cpuacct`, `memory`, ...). None: unreadable. */
  cgroup?: Directory | Record<string, Directory>;
  /** The file that stands for `/proc/<State.Pid>/net/dev`. */
  netDev?: string;
  /** A recorded one-shot stats answer (Docker's API, asked when the cgroup cannot be read). */
  stats?: string;
}

/** Every file of the fixture directory `dir`, then `files` (name → fixture file, or a text no fixture has). */
interface Directory {
  dir?: string;
  files?: Record<string, string | { text: string }>;
}

const V1_MOUNTS = ['cpu,cpuacct', 'memory', 'blkio', 'pids'];
const casesDir = fileURLToPath(new URL('../testcases/', import.meta.url));
const fixture = (path: string) => sharedPath('fixtures', 'containers', path);

function merged(base: unknown, override: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(override)) return [...base, ...override];
  if (typeof base !== 'object' || base === null || typeof override !== 'object' || override === null)
    return override;
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override))
    result[key] = key in result ? merged(result[key], value) : value;
  return result;
}

async function makeDirectory(target: string, spec: Directory): Promise<void> {
  await mkdir(target, { recursive: true });
  const files: Record<string, string | { text: string }> = {};
  for (const name of spec.dir ? await readdir(fixture(spec.dir)) : []) files[name] = `${spec.dir}/${name}`;
  Object.assign(files, spec.files);
  for (const [name, source] of Object.entries(files)) {
    if (typeof source === 'string') await symlink(fixture(source), join(target, name));
    else await writeFile(join(target, name), source.text);
  }
}

/** The host the case describes, under `root`; the collector's source of containers. */
async function makeHost(root: string, input: CaseInput): Promise<ContainerSource> {
  const cgroupRoot = join(root, 'cgroup');
  await mkdir(join(root, 'sys', 'dev', 'block'), { recursive: true });
  for (const [device, name] of Object.entries(input.blockDevices ?? {}))
    await symlink(`../../devices/virtual/block/${name}`, join(root, 'sys', 'dev', 'block', device));
  if (input.cgroup === 'v2')
    await makeDirectory(cgroupRoot, { files: { 'cgroup.controllers': { text: '' } } });
  else for (const mount of V1_MOUNTS) await mkdir(join(cgroupRoot, mount, 'docker'), { recursive: true });
  const containers = new Map<string, ContainerIdentity>();
  const stats = new Map<string, unknown>();
  for (const each of input.containers) {
    const inspect = merged(JSON.parse(await readFile(fixture(each.inspect), 'utf8')), each.override ?? {});
    const identity = identityFromInspect(inspect as never, input.groupLabels ?? []);
    containers.set(identity.id, identity);
    if (each.stats) stats.set(identity.id, JSON.parse(await readFile(fixture(each.stats), 'utf8')));
    if (each.netDev) {
      await mkdir(join(root, 'proc', String(identity.pid), 'net'), { recursive: true });
      await symlink(fixture(each.netDev), join(root, 'proc', String(identity.pid), 'net', 'dev'));
    }
    if (!each.cgroup) continue;
    const byMount: Record<string, Directory> =
      input.cgroup === 'v2' ? { '.': each.cgroup as Directory } : (each.cgroup as Record<string, Directory>);
    for (const [mount, spec] of Object.entries(byMount))
      await makeDirectory(join(cgroupRoot, mount, 'docker', identity.id), spec);
  }
  return {
    containers,
    ready: true,
    connected: true,
    status: () => ({}),
    oneShotStats: async (id) => {
      if (!stats.has(id)) throw new Error(`no recorded stats for ${id}`);
      return stats.get(id);
    },
  };
}

async function render(name: string, input: CaseInput): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), `stoker-golden-${name}-`));
  after(() => rm(root, { recursive: true, force: true }));
  const naming = NAMING_SCHEMES[input.naming];
  const collector = new ContainerCollector({
    source: await makeHost(root, input),
    layout: await detectLayout(join(root, 'cgroup')),
    procRoot: join(root, 'proc'),
    naming,
    hostName: 'agent1',
    hostMetrics: false,
    readConcurrency: 4,
    intervalMs: 10_000,
    timeoutMs: 9_000,
    log: pino({ level: 'silent' }),
    onceGapMs: 10,
    sysDevBlockDir: join(root, 'sys', 'dev', 'block'),
  });
  const cycle = recordingCycle({ job: 'containers', once: true, prefix: [naming.defaultPrefix] });
  try {
    await collector.run(cycle);
  } finally {
    collector.close();
  }
  return cycle
    .lines()
    .sort()
    .map((line) => `${line}\n`)
    .join('');
}

describe('golden cases (testcases/)', { skip: sharedSkip() }, () => {
  for (const name of readdirSync(casesDir).sort()) {
    test(name, async () => {
      const input = JSON.parse(await readFile(join(casesDir, name, 'input.json'), 'utf8')) as CaseInput;
      const actual = await render(name, input);
      const expectedPath = join(casesDir, name, 'expected.out');
      if (process.env.UPDATE_GOLDEN === '1') await writeFile(expectedPath, actual);
      assert.ok(actual.length > 0, `${name}: no line`);
      assert.equal(actual, await readFile(expectedPath, 'utf8'), `${name}: ${input.description}`);
    });
  }
});
