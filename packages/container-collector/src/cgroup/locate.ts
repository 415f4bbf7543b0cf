import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';

/**
 * Finds a container's cgroup directories from `/proc/<pid>/cgroup`, which names the container's group in
 * every hierarchy whatever the driver: `/docker/<id>` (cgroupfs), `/system.slice/docker-<id>.scope`
 * (systemd), `/mesos/<uuid>`, a Kubernetes pod slice... so no driver-specific path guessing is needed
 * unless the process is already gone.
 */

/** How the host mounts cgroups, learnt once at start-up from `--cgroup-root`. */
export interface CgroupLayout {
  /** v2: one unified tree. hybrid: v1 controllers plus a v2 tree at `<root>/unified` (PSI lives there). */
  mode: 'v1' | 'v2' | 'hybrid';
  root: string;
  /** v1 controller → mount directory under root (`cpu` → `cpu,cpuacct` when there is no symlink). */
  v1Mounts: ReadonlyMap<string, string>;
}

export interface ProcCgroupEntry {
  hierarchyId: number;
  /** Empty for the v2 line `0::/path`; `name=systemd` stays as written. */
  controllers: string[];
  path: string;
}

/** Where one container's files are. */
export type CgroupPaths =
  | { version: 1; dirs: Partial<Record<V1Controller, string>>; unifiedDir?: string }
  | { version: 2; dir: string };

export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'blkio', 'pids'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

/** Parses `/proc/<pid>/cgroup` (`<id>:<controllers>:<path>` per line). */
export function parseProcCgroup(text: string): ProcCgroupEntry[] {
  const entries: ProcCgroupEntry[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\d+):([^:]*):(.+)$/.exec(line.trim());
    if (!match) continue;
    entries.push({
      hierarchyId: Number(match[1]),
      controllers: match[2] === '' ? [] : match[2]!.split(','),
      path: match[3]!,
    });
  }
  return entries;
}

/**
 * Maps the entries onto the layout. Returns undefined when a path is relative to another cgroup namespace
 * (`/../..`): the agent then runs in a private cgroup namespace and must use `--cgroupns host`.
 */
export function cgroupPathsFor(
  entries: readonly ProcCgroupEntry[],
  layout: CgroupLayout,
): CgroupPaths | undefined {
  const unified = entries.find((entry) => entry.hierarchyId === 0 && entry.controllers.length === 0);
  if (layout.mode === 'v2') {
    if (!unified || !isAbsoluteClean(unified.path)) return undefined;
    return { version: 2, dir: join(layout.root, unified.path) };
  }
  const dirs: Partial<Record<V1Controller, string>> = {};
  for (const entry of entries) {
    if (!isAbsoluteClean(entry.path)) continue;
    for (const controller of entry.controllers) {
      if (!(V1_CONTROLLERS as readonly string[]).includes(controller)) continue;
      const mount = layout.v1Mounts.get(controller);
      if (mount) dirs[controller as V1Controller] = join(layout.root, mount, entry.path);
    }
  }
  if (Object.keys(dirs).length === 0) return undefined;
  const unifiedDir =
    layout.mode === 'hybrid' && unified && isAbsoluteClean(unified.path)
      ? join(layout.root, 'unified', unified.path)
      : undefined;
  return unifiedDir ? { version: 1, dirs, unifiedDir } : { version: 1, dirs };
}

function isAbsoluteClean(path: string): boolean {
  return path.startsWith('/') && posix.normalize(path) === path && !path.includes('/../');
}

/**
 * When `/proc/<pid>/cgroup` cannot be read (the process just exited, or `--proc-root` is not the host's),
 * the two places Docker puts a container: cgroupfs driver, then systemd driver.
 */
export function guessedEntries(
  containerId: string,
  layout: CgroupLayout,
  driver: 'cgroupfs' | 'systemd',
): ProcCgroupEntry[] {
  const path = driver === 'systemd' ? `/system.slice/docker-${containerId}.scope` : `/docker/${containerId}`;
  if (layout.mode === 'v2') return [{ hierarchyId: 0, controllers: [], path }];
  return [
    ...V1_CONTROLLERS.map((controller, index) => ({
      hierarchyId: index + 1,
      controllers: [controller],
      path,
    })),
    { hierarchyId: 0, controllers: [], path },
  ];
}

/** Learns the layout under `root` (default `/sys/fs/cgroup`). */
export async function detectLayout(root: string): Promise<CgroupLayout> {
  if (await exists(join(root, 'cgroup.controllers'))) return { mode: 'v2', root, v1Mounts: new Map() };
  const v1Mounts = new Map<string, string>();
  let names: string[] = [];
  try {
    names = await readdir(root);
  } catch {
    // Reported by the first read instead; an empty layout finds nothing.
  }
  // Prefer `cpu` over `cpu,cpuacct` when both exist (the usual symlink); either points at the same tree.
  for (const name of names.sort((a, b) => a.length - b.length)) {
    for (const controller of name.split(',')) {
      if (!v1Mounts.has(controller)) v1Mounts.set(controller, name);
    }
  }
  const hybrid = await exists(join(root, 'unified', 'cgroup.controllers'));
  return { mode: hybrid ? 'hybrid' : 'v1', root, v1Mounts };
}

/** Reads and maps `/proc/<pid>/cgroup` under `procRoot`. */
export async function locateByPid(
  pid: number,
  procRoot: string,
  layout: CgroupLayout,
): Promise<CgroupPaths | undefined> {
  const text = await readFile(join(procRoot, String(pid), 'cgroup'), 'utf8');
  return cgroupPathsFor(parseProcCgroup(text), layout);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
