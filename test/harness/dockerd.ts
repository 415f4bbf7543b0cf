/**
 * Test harness for a REAL Docker daemon (Debian `docker.io`, dockerd 20.10) on a private socket, data-root
 * and exec-root in a temp dir, so tests never touch the host's own daemon. Started once per test process
 * (or reused from STOKER_TEST_DOCKER_HOST, e.g. one the test runner started for the whole run), with an
 * image imported from a folder holding Debian's static busybox: no registry is needed.
 *
 * The collector under test only ever GETs; this harness is the one that creates and removes containers.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, openSync, readFileSync, rmSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';

export const TEST_IMAGE = 'stoker-busybox:test';
/** Every container the harness starts carries this label, so leftovers can be found and removed. */
export const HARNESS_LABEL = 'io.stoker.test';

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;

/**
 * For node:test's `skip`: a message when dockerd or busybox is missing (naming the Debian package), so a
 * developer without them gets a green run of everything else; under CI=true their absence fails instead.
 */
export function dockerSkip(): string | undefined {
  if (process.env.STOKER_TEST_DOCKER_HOST) return undefined;
  const missing: string[] = [];
  if (!onPath('dockerd'))
    missing.push('dockerd not found on PATH; install it with: apt-get install docker.io');
  if (!busyboxPath()) missing.push('busybox not found; install it with: apt-get install busybox-static');
  if (process.getuid?.() !== 0) missing.push('dockerd needs root (cgroups, mounts)');
  if (missing.length === 0) return undefined;
  const message = missing.join('; ');
  if (process.env.CI === 'true') throw new Error(message);
  return message;
}

function onPath(program: string): boolean {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .concat(['/usr/sbin', '/sbin'])
    .some((dir) => {
      try {
        accessSync(path.join(dir, program), fsConstants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

function busyboxPath(): string | undefined {
  for (const candidate of ['/bin/busybox', '/usr/bin/busybox']) {
    try {
      accessSync(candidate, fsConstants.X_OK);
      // A dynamically linked busybox would need its libraries inside the image.
      if (!execFileSync('file', ['-L', candidate], { encoding: 'utf8' }).includes('dynamically'))
        return candidate;
    } catch {
      // `file` missing: trust Debian's busybox-static layout.
      try {
        accessSync(candidate, fsConstants.X_OK);
        return candidate;
      } catch {}
    }
  }
  return undefined;
}

export interface RunOptions {
  /** Shell command run by busybox sh -c. */
  cmd: string;
  name?: string;
  /** Another reference of TEST_IMAGE (tagged by the test); default TEST_IMAGE. */
  image?: string;
  env?: Record<string, string>;
  labels?: Record<string, string>;
  cpus?: number;
  memoryBytes?: number;
  /** Default `none`: tests never send traffic beyond a container's own loopback. */
  networkMode?: string;
  /** Docker's restart policy (`--restart on-failure:2` is `{ name: 'on-failure', maxRetries: 2 }`). */
  restart?: { name: 'no' | 'always' | 'unless-stopped' | 'on-failure'; maxRetries?: number };
}

export interface TestContainer {
  id: string;
  name: string;
  pid: number;
  /** Removes it (force: kills it first). */
  remove(): Promise<void>;
}

export interface Dockerd {
  /** `unix://<tmp>/docker.sock`: what the collector's --docker takes. */
  address: string;
  docker: Docker;
  /** False for a daemon reused from STOKER_TEST_DOCKER_HOST (it cannot be restarted by us). */
  owned: boolean;
  run(options: RunOptions): Promise<TestContainer>;
  /**
   * Stops the daemon and starts it again on the same socket and dirs (containers stop with it, unless
   * it was started with `liveRestore`); `whileDown` runs between the two.
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
  logTail(): string;
}

let shared: Promise<Dockerd> | undefined;

/**
 * The process-wide daemon: started on first use and stopped cleanly (containers removed, dockerd
 * SIGTERMed and awaited, temp dir removed) once the test file has nothing left to do. The daemon process
 * is unref'd so it does not itself keep the test process alive; `beforeExit` then does the clean stop.
 */
export function sharedDockerd(): Promise<Dockerd> {
  if (!shared) {
    shared = startDockerd();
    let stopping = false;
    process.on('beforeExit', () => {
      if (stopping) return;
      stopping = true;
      void shared?.then((dockerd) => dockerd.stop()).catch(() => {});
    });
  }
  return shared;
}

// A hard exit cannot wait; SIGTERM (not SIGKILL) still lets dockerd stop its containers and unmount its
// data-root after we are gone, where SIGKILL would leave shims, containers and mounts behind.
const liveDaemons = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveDaemons) child.kill('SIGTERM');
});

export async function startDockerd(options: { liveRestore?: boolean } = {}): Promise<Dockerd> {
  const external = process.env.STOKER_TEST_DOCKER_HOST;
  if (external) {
    const docker = new Docker(
      external.startsWith('unix://') ? { socketPath: external.slice(7) } : { host: external },
    );
    await waitForPing(docker, () => '', START_TIMEOUT_MS);
    await ensureImage(docker, await mkdtemp(path.join(os.tmpdir(), 'stoker-image-')));
    return makeHandle({
      address: external,
      docker,
      owned: false,
      restart: noRestart,
      stop: async () => {},
      logTail: () => '',
    });
  }
  const root = await mkdtemp(path.join(os.tmpdir(), 'stoker-dockerd-'));
  const socket = path.join(root, 'docker.sock');
  const logFile = path.join(root, 'dockerd.log');
  const args = [
    '--host',
    `unix://${socket}`,
    '--data-root',
    path.join(root, 'data'),
    '--exec-root',
    path.join(root, 'exec'),
    '--pidfile',
    path.join(root, 'docker.pid'),
    '--iptables=false',
    '--ip6tables=false',
    '--bridge=none',
    '--log-level=warn',
    // Containers that ignore SIGTERM (a shell as PID 1) would hold every stop for the default 15 s.
    '--shutdown-timeout=2',
    // Containers keep running while the daemon is away (what production hosts often configure).
    ...(options.liveRestore ? ['--live-restore'] : []),
  ];
  const docker = new Docker({ socketPath: socket });
  const logTail = () => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '';
    }
  };
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const launch = async () => {
    const fd = openSync(logFile, 'a');
    try {
      child = spawn('dockerd', args, {
        stdio: ['ignore', fd, fd],
        env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
      });
    } finally {
      closeSync(fd);
    }
    const started = child;
    started.unref();
    liveDaemons.add(started);
    exited = new Promise<void>((resolve) => {
      started.once('exit', () => resolve());
      started.once('error', () => resolve());
    }).then(() => {
      liveDaemons.delete(started);
    });
    await waitForPing(docker, logTail, START_TIMEOUT_MS, exited);
  };
  const halt = async () => {
    if (!child || child.exitCode !== null) return;
    // While stopping, the daemon and the timer hold the event loop: a caller awaiting stop() at the
    // end of a script (a benchmark) would otherwise see Node exit mid-await. The timer is cancelled
    // once the daemon is gone, so nothing is held afterwards.
    child.ref();
    child.kill('SIGTERM');
    const controller = new AbortController();
    const timeout = sleep(STOP_TIMEOUT_MS, 'timeout' as const, { signal: controller.signal }).catch(
      () => undefined,
    );
    if ((await Promise.race([exited, timeout])) === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
    controller.abort();
  };
  await launch();
  await ensureImage(docker, root);
  return makeHandle({
    address: `unix://${socket}`,
    docker,
    owned: true,
    restart: async (whileDown) => {
      await halt();
      await whileDown?.();
      await launch();
    },
    stop: async () => {
      await removeHarnessContainers(docker).catch(() => {});
      await halt();
      // dockerd 20.10 leaves <exec-root>/netns/default mounted once a container used the host network.
      const hostNetns = path.join(root, 'exec', 'netns', 'default');
      try {
        execFileSync('umount', ['-l', hostNetns], { stdio: 'ignore' });
      } catch {}
      // Only after a clean stop: dockerd unmounted every overlay by then.
      await rm(root, { recursive: true, force: true, maxRetries: 3 }).catch(() => {});
    },
    logTail,
  });
}

async function noRestart(): Promise<void> {
  throw new Error('cannot restart a daemon given by STOKER_TEST_DOCKER_HOST');
}

function makeHandle(base: Omit<Dockerd, 'run'>): Dockerd {
  return {
    ...base,
    run: (options) => runContainer(base.docker, options),
  };
}

async function waitForPing(
  docker: Docker,
  logTail: () => string,
  timeoutMs: number,
  exited?: Promise<void>,
): Promise<void> {
  let dead = false;
  void exited?.then(() => {
    dead = true;
  });
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline && !dead) {
    try {
      await docker.ping();
      return;
    } catch (error) {
      lastError = error;
      await sleep(100);
    }
  }
  throw new Error(
    `dockerd did not answer /_ping (${dead ? 'it exited' : 'timeout'}): ${String(lastError)}\n${logTail()}`,
  );
}

/** Imports a busybox-only image (`docker import` of a tar) unless it is already there. */
async function ensureImage(docker: Docker, workDir: string): Promise<void> {
  const images = await docker.listImages({ filters: { reference: [TEST_IMAGE] } });
  if (images.length > 0) return;
  const busybox = busyboxPath();
  if (!busybox) throw new Error('busybox not found; install it with: apt-get install busybox-static');
  const rootfs = path.join(workDir, 'rootfs');
  await mkdir(path.join(rootfs, 'bin'), { recursive: true });
  for (const dir of ['tmp', 'data', 'proc', 'sys', 'dev', 'etc'])
    await mkdir(path.join(rootfs, dir), { recursive: true });
  await copyFile(busybox, path.join(rootfs, 'bin', 'busybox'));
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) {
    if (applet !== 'busybox') await symlink('busybox', path.join(rootfs, 'bin', applet)).catch(() => {});
  }
  const tarball = path.join(workDir, 'rootfs.tar');
  execFileSync('tar', ['-C', rootfs, '-cf', tarball, '.']);
  const stream = await docker.importImage(tarball, {
    repo: TEST_IMAGE.split(':')[0],
    tag: TEST_IMAGE.split(':')[1],
  });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (error) => (error ? reject(error) : resolve())),
  );
  rmSync(rootfs, { recursive: true, force: true });
  rmSync(tarball, { force: true });
}

async function runContainer(docker: Docker, options: RunOptions): Promise<TestContainer> {
  const container = await docker.createContainer({
    Image: options.image ?? TEST_IMAGE,
    Cmd: ['sh', '-c', options.cmd],
    ...(options.name ? { name: options.name } : {}),
    Env: Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`),
    Labels: { [HARNESS_LABEL]: '1', ...options.labels },
    HostConfig: {
      NetworkMode: options.networkMode ?? 'none',
      ...(options.cpus ? { NanoCpus: Math.round(options.cpus * 1e9) } : {}),
      // Memory+swap equal to memory: no swap, so a container over its limit is OOM-killed, not swapped.
      ...(options.memoryBytes ? { Memory: options.memoryBytes, MemorySwap: options.memoryBytes } : {}),
      ...(options.restart
        ? {
            RestartPolicy: { Name: options.restart.name, MaximumRetryCount: options.restart.maxRetries ?? 0 },
          }
        : {}),
    },
  });
  await container.start();
  const info = await container.inspect();
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    pid: info.State.Pid,
    remove: () => container.remove({ force: true }).catch(() => {}),
  };
}

async function removeHarnessContainers(docker: Docker): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label: [HARNESS_LABEL] } });
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => {}),
    ),
  );
}
