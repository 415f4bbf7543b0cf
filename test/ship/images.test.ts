/**
 * docker/Dockerfile, for real: both targets are built on a private dockerd (test/harness/dockerd.ts) from
 * a Node base image made on this machine (test/harness/base-image.ts: no registry is reachable), then run
 * the way docker/README.md says. es-collector polls the ES stand-in and turns healthy as a non-root
 * user; container-collector, with the host's Docker socket, /sys/fs/cgroup and /proc mounted read-only
 * under /host, measures a `--cpus 0.5` sibling running `yes` at half a core, and, with the flags
 * docker/README.md gives for it, the host's disks as df on the host shows them.
 *
 * The build stage's `npm ci` fetches from the npm registry (run with host networking: the private daemon
 * has no bridge). Everything the built images talk to is on loopback or a unix socket.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, copyFile, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { baseImageSkip, buildBaseImage } from '../harness/base-image.js';
import { type Dockerd, dockerSkip, HARNESS_LABEL, sharedDockerd } from '../harness/dockerd.js';
import { ES_VERSIONS, type EsStandin, loadFixture, startEsStandin } from '../harness/es-standin.js';
import { repoRoot, sharedSkip } from '../harness/fixtures.js';
import {
  assertLikeDf,
  type DfRow,
  df,
  dfRange,
  loopDiskSkip,
  makeLoopDisk,
  ownedProcRoot,
} from '../harness/host-disks.js';

const skip = dockerSkip() ?? baseImageSkip() ?? sharedSkip();

const ES_IMAGE = 'stoker/es-collector:test';
const CONTAINER_IMAGE = 'stoker/container-collector:test';
const CLUSTER = 'standin';
const HOST = 'testhost';
const BUILD_TIMEOUT_MS = 15 * 60_000;
const RUN_TIMEOUT_MS = 120_000;
/** Given as the STOKER_COMMIT build argument: what --version must report. */
const TEST_COMMIT = 'c0ffee1';

describe('docker images', { skip }, () => {
  let dockerd: Dockerd;
  let docker: Docker;
  let standin: EsStandin;
  const started = Date.now();
  const timings: string[] = [];
  const time = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const result = await work();
    timings.push(`${label} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return result;
  };

  // Each image is built once; every test that runs it waits for the same build.
  let baseImage: Promise<string>;
  const builds = new Map<string, Promise<void>>();
  const built = (target: 'es-collector' | 'container-collector', tag: string) => {
    let build = builds.get(target);
    if (!build) {
      build = baseImage.then((base) => time(`build ${target}`, () => buildTarget(docker, target, tag, base)));
      builds.set(target, build);
    }
    return build;
  };

  before(async () => {
    dockerd = await sharedDockerd();
    docker = dockerd.docker;
    standin = await startEsStandin({ version: '8.4.2' });
    baseImage = time('base image', () => buildBaseImage(docker, (line) => console.log(line)));
    // Not awaited here: a failure shows up in the tests that need the image, with its message.
    baseImage.catch(() => {});
  });

  after(async () => {
    await standin?.close();
    console.log(`images: ${timings.join(', ')}; whole file ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  test('the es-collector target builds from the local Node base image', {
    timeout: BUILD_TIMEOUT_MS,
  }, async () => {
    await built('es-collector', ES_IMAGE);
    const { Config } = await docker.getImage(ES_IMAGE).inspect();
    assert.equal(Config.User, 'node', 'es-collector runs as the unprivileged user');
    // The script itself: its first line gives node its flags.
    assert.deepEqual(Config.Entrypoint, ['/app/packages/es-collector/bin/es-collector.js']);
    assert.ok(Config.Healthcheck?.Test?.join(' ').includes('/app/healthcheck.mjs'), 'HEALTHCHECK is set');
    assert.ok(Config.Env.includes('PORT0=9100'), `default HTTP port in ${Config.Env.join(' ')}`);
    // Production dependencies only, and only this agent's.
    const modules = await listDir(docker, ES_IMAGE, '/app/node_modules');
    assert.ok(modules.includes('undici'), `undici in ${modules.join(' ')}`);
    for (const devOrOther of ['typescript', 'tsx', '@biomejs', 'dockerode'])
      assert.ok(!modules.includes(devOrOther), `${devOrOther} must not be in the es-collector image`);
  });

  test('es-collector --once in the image reads the ES stand-in and prints carbon lines', async () => {
    await built('es-collector', ES_IMAGE);
    const before = standin.requestCount('/_cluster/health');
    const run = await runToExit(docker, {
      Image: ES_IMAGE,
      Cmd: ['--es', standin.url, '--cluster', CLUSTER, '--once', '--output', 'stdout'],
      // The stand-in listens on the host's 127.0.0.1: host networking makes that the container's loopback.
      HostConfig: { NetworkMode: 'host' },
    });
    assert.equal(run.code, 0, `exit code; stderr:\n${run.stderr.slice(-3000)}`);
    const lines = run.stdout.split('\n').filter(Boolean);
    assert.ok(lines.length > 100, `only ${lines.length} lines`);
    for (const line of lines)
      assert.match(line, /^es\.standin\.[\w.-]+ -?\d+(\.\d+)?(e[-+]\d+)? \d{10}$/, 'carbon line');
    const health = loadFixture(ES_VERSIONS['8.4.2']!.cluster_health!) as {
      status: string;
      number_of_nodes: number;
    };
    const statusCode = { green: 0, yellow: 1, red: 2 }[health.status];
    assert.equal(lastValue(run.stdout, `es.${CLUSTER}.cluster.health.status`), statusCode);
    assert.equal(
      lastValue(run.stdout, `es.${CLUSTER}.cluster.health.number_of_nodes`),
      health.number_of_nodes,
    );
    assert.ok(standin.requestCount('/_cluster/health') > before, 'the stand-in was asked');
  });

  test('es-collector --version in the image: the commit it was built from and its Node', async () => {
    await built('es-collector', ES_IMAGE);
    const run = await runToExit(docker, {
      Image: ES_IMAGE,
      Cmd: ['--version'],
      HostConfig: { NetworkMode: 'none' },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      new RegExp(`^es-collector \\S+ \\(commit ${TEST_COMMIT}, Node v\\d+\\.\\d+\\.\\d+\\)\\n$`),
    );
    const { Config } = await docker.getImage(ES_IMAGE).inspect();
    assert.equal(Config.Labels?.['org.opencontainers.image.revision'], TEST_COMMIT);
  });

  test('stoker-marathon runs from the es-collector image (no tsx there), for Marathon 1.4', async () => {
    await built('es-collector', ES_IMAGE);
    const dir = await mkdtemp(join(tmpdir(), 'stoker-image-marathon-'));
    try {
      await chmod(dir, 0o755);
      await copyFile(
        join(repoRoot, 'docker', 'marathon', 'clusters.example.yaml'),
        join(dir, 'clusters.yaml'),
      );
      await chmod(join(dir, 'clusters.yaml'), 0o644);
      const run = await runToExit(docker, {
        Image: ES_IMAGE,
        Entrypoint: ['/app/packages/es-collector/bin/stoker-marathon.js'],
        Cmd: ['/input/clusters.yaml', '--marathon-version', '1.4'],
        HostConfig: { NetworkMode: 'none', Binds: [`${dir}:/input:ro`] },
      });
      assert.equal(run.code, 0, run.stderr);
      const group = JSON.parse(run.stdout);
      assert.equal(group.apps.length, 3);
      for (const app of group.apps) assert.equal(app.container.docker.network, 'HOST', app.id);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('es-collector runs as non-root, turns healthy through its HEALTHCHECK and stops cleanly', async () => {
    await built('es-collector', ES_IMAGE);
    const httpPort = await freePort();
    const container = await docker.createContainer({
      Image: ES_IMAGE,
      Cmd: ['--es', standin.url, '--cluster', CLUSTER, '--output', 'stdout', '--interval', '2s'],
      // Host networking: a free port rather than the image's default, which the host may be using.
      Env: [`STOKER_HTTP_PORT=${httpPort}`],
      Labels: { [HARNESS_LABEL]: '1' },
      // The image's own test command, probed every second instead of every 30 s.
      Healthcheck: { Interval: 1e9, Timeout: 5e9, Retries: 3, StartPeriod: 60e9 },
      HostConfig: { NetworkMode: 'host' },
    });
    try {
      await container.start();
      const health = await waitForHealth(container, 60_000);
      assert.equal(health.status, 'healthy', health.log);
      const { State } = await container.inspect();
      const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${State.Pid}/status`, 'utf8'))?.[1]);
      assert.notEqual(uid, 0, 'the agent process is not root');
      assert.equal(uid, 1000, 'uid of the node user');
      // SIGTERM to PID 1 (node itself, no shell in between): flush and exit 0.
      await container.stop({ t: 15 });
      const stopped = await container.inspect();
      assert.equal(stopped.State.ExitCode, 0, 'exit code after SIGTERM');
    } finally {
      await container.remove({ force: true }).catch(() => {});
    }
  });

  test('the container-collector target builds, sharing the build stage', {
    timeout: BUILD_TIMEOUT_MS,
  }, async () => {
    await built('container-collector', CONTAINER_IMAGE);
    const { Config } = await docker.getImage(CONTAINER_IMAGE).inspect();
    assert.ok(['', 'root', '0'].includes(Config.User ?? ''), `runs as root, not ${Config.User}`);
    // The script itself: its first line gives node its flags (--no-memory-reducer).
    assert.deepEqual(Config.Entrypoint, ['/app/packages/container-collector/bin/container-collector.js']);
    assert.ok(Config.Env.includes('STOKER_CGROUP_ROOT=/host/sys/fs/cgroup'), Config.Env.join(' '));
    assert.ok(Config.Env.includes('STOKER_PROC_ROOT=/host/proc'), Config.Env.join(' '));
    assert.ok(Config.Healthcheck?.Test?.join(' ').includes('/app/healthcheck.mjs'), 'HEALTHCHECK is set');
    const modules = await listDir(docker, CONTAINER_IMAGE, '/app/node_modules');
    assert.ok(modules.includes('dockerode'), `dockerode in ${modules.join(' ')}`);
    for (const devOrOther of ['typescript', 'tsx', '@biomejs', 'undici'])
      assert.ok(!modules.includes(devOrOther), `${devOrOther} must not be in the container-collector image`);
  });

  test('container-collector in the image measures a --cpus 0.5 sibling at 0.5 ± 0.1 cores', async () => {
    await built('container-collector', CONTAINER_IMAGE);
    const sibling = await dockerd.run({ name: 'cpu-half', cmd: 'yes > /dev/null', cpus: 0.5 });
    try {
      await sleep(1000);
      const run = await runToExit(docker, {
        Image: CONTAINER_IMAGE,
        Cmd: ['--host-name', HOST, '--once', '--output', 'stdout'],
        HostConfig: containerCollectorHostConfig(dockerd),
      });
      assert.equal(run.code, 0, `exit code; stderr:\n${run.stderr.slice(-3000)}`);
      const base = `containers.${HOST}.containers.${sibling.name}.cpu`;
      const cores = lastValue(run.stdout, `${base}.cores`);
      console.log(`cpu-half measured from the container-collector image: ${cores?.toFixed(3)} cores`);
      assert.ok(cores !== undefined, `no ${base}.cores in:\n${run.stdout.slice(0, 3000)}`);
      assert.ok(Math.abs(cores - 0.5) <= 0.1, `${base}.cores = ${cores}`);
      assert.equal(lastValue(run.stdout, `${base}.limit_cores`), 0.5);
    } finally {
      await sibling.remove();
    }
  });

  test("container-collector in the image, run as docker/README.md says, measures the host's disks as df does", {
    skip: loopDiskSkip(),
  }, async () => {
    await built('container-collector', CONTAINER_IMAGE);
    const disk = makeLoopDisk();
    // This machine's own PID 1 may be out of everyone's reach (a sandbox): /host/proc is a procfs
    // whose PID 1 the test started in the host's mount namespace, as a real host's init is.
    const proc = await ownedProcRoot();
    try {
      const once = (extra: Docker.HostConfig, whileStopped?: () => void) =>
        runToExit(
          docker,
          {
            Image: CONTAINER_IMAGE,
            Cmd: ['--host-name', HOST, '--once', '--output', 'stdout'],
            HostConfig: containerCollectorHostConfig(dockerd, { procRoot: proc.path, ...extra }),
          },
          whileStopped,
        );
      const targets = [disk.mount, '/'];
      const loopName = disk.mount
        .slice(1)
        .replaceAll('/', '_')
        .replace(/[^A-Za-z0-9_-]/g, '_');
      // `/` of a shared machine is written to by everyone (other tests, builds): a moment of it the
      // sampling misses can still fall outside. It must match df in one of three runs; the loop disk,
      // which nobody writes to, in every run.
      const misses: string[] = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        // df every 50 ms from before the agent starts until its stopped container (its layer and
        // log, on `/` here) is removed: the figures the agent read lie within what df saw meanwhile.
        const readings: DfRow[][] = [df(targets)];
        const sampler = setInterval(() => readings.push(df(targets)), 50);
        const run = await once({ CapAdd: ['SYS_PTRACE'], SecurityOpt: ['apparmor=unconfined'] }, () => {
          clearInterval(sampler);
          readings.push(df(targets));
        });
        const [before, after] = [0, 1].map((which) =>
          targets.map((_, index) => dfRange(readings.map((reading) => reading[index]!))[which]!),
        ) as [DfRow[], DfRow[]];
        assert.equal(run.code, 0, `exit code; stderr:\n${run.stderr.slice(-3000)}`);
        const diskLines = run.stdout.split('\n').filter((line) => line.includes('.host.disk.'));
        console.log(`host disks from the image:\n${diskLines.join('\n')}`);
        const names = new Set(diskLines.map((line) => line.split('.')[4]));
        assert.deepEqual(
          [...names].sort(),
          [loopName, 'root'].sort(),
          'the disks: the loop disk once, and /',
        );
        const figures = (name: string) => {
          const read = (metric: string) =>
            lastValue(run.stdout, `containers.${HOST}.host.disk.${name}.${metric}`);
          return {
            sizeBytes: read('size_bytes'),
            usedBytes: read('used_bytes'),
            availableBytes: read('available_bytes'),
            inodesTotal: read('inodes_total'),
            inodesUsed: read('inodes_used'),
            inodesAvailable: read('inodes_available'),
            percentUsed: read('percent_used'),
          };
        };
        assertLikeDf(figures(loopName), before[0]!, after[0]!, 4096);
        try {
          assertLikeDf(figures('root'), before[1]!, after[1]!, 4096);
          break;
        } catch (error) {
          misses.push((error as Error).message);
          if (attempt === 3) assert.fail(`/ never matched df in 3 runs:\n${misses.join('\n')}`);
        }
      }
      // Without the capability, /host/proc/1/root is refused: no disks, and the log says why.
      const denied = await once({});
      assert.equal(denied.code, 0, `exit code; stderr:\n${denied.stderr.slice(-3000)}`);
      assert.ok(!denied.stdout.includes('.host.disk.'), 'no host disks without CAP_SYS_PTRACE');
      assert.match(denied.stderr, /host disks not measured/);
      assert.match(denied.stdout, new RegExp(`^containers\\.${HOST}\\.host\\.cpu\\.count `, 'm'));
    } finally {
      disk.remove();
      await proc.close();
    }
  });

  test('container-collector turns healthy on its default port through its HEALTHCHECK', async () => {
    await built('container-collector', CONTAINER_IMAGE);
    const container = await docker.createContainer({
      Image: CONTAINER_IMAGE,
      Cmd: ['--host-name', HOST, '--output', 'stdout', '--interval', '2s'],
      Labels: { [HARNESS_LABEL]: '1' },
      Healthcheck: { Interval: 1e9, Timeout: 5e9, Retries: 3, StartPeriod: 60e9 },
      // No network: the agent reads a unix socket and files, and the image's default port (PORT0)
      // is then in the container's own namespace.
      HostConfig: containerCollectorHostConfig(dockerd),
    });
    try {
      await container.start();
      const health = await waitForHealth(container, 60_000);
      assert.equal(health.status, 'healthy', health.log);
      // Healthy comes first (nothing has stalled yet); the first cycle's lines follow within an interval.
      const cpuCount = new RegExp(`^containers\\.${HOST}\\.host\\.cpu\\.count \\d+ `, 'm');
      let stdout = '';
      for (const deadline = Date.now() + 30_000; !cpuCount.test(stdout) && Date.now() < deadline; ) {
        await sleep(500);
        stdout = demux((await container.logs({ stdout: true, stderr: true })) as Buffer).stdout;
      }
      assert.match(stdout, cpuCount);
      await container.stop({ t: 15 });
      assert.equal((await container.inspect()).State.ExitCode, 0, 'exit code after SIGTERM');
    } finally {
      await container.remove({ force: true }).catch(() => {});
    }
  });
});

/**
 * The mounts docker/README.md documents: the Docker socket (here the private daemon's), the host's
 * cgroup tree and /proc read-only under /host (the image sets --cgroup-root/--proc-root to match), and
 * the host's cgroup namespace so /proc/<pid>/cgroup paths are the host's.
 */
function containerCollectorHostConfig(
  dockerd: Dockerd,
  { procRoot = '/proc', ...extra }: Docker.HostConfig & { procRoot?: string } = {},
): Docker.HostConfig {
  const socket = dockerd.address.replace(/^unix:\/\//, '');
  // CgroupnsMode (API 1.41) is missing from @types/dockerode; spread so the type check lets it through.
  const hostCgroupNamespace = { CgroupnsMode: 'host' };
  return {
    NetworkMode: 'none',
    Binds: [
      `${socket}:/var/run/docker.sock:ro`,
      '/sys/fs/cgroup:/host/sys/fs/cgroup:ro',
      `${procRoot}:/host/proc:ro`,
    ],
    ...hostCgroupNamespace,
    ...extra,
  };
}

/** Builds one target with the classic builder (what dockerd 20.10's /build speaks without a session). */
async function buildTarget(docker: Docker, target: string, tag: string, baseImage: string): Promise<void> {
  // The context is what a .dockerignore would leave: no node_modules, dist or .git (the classic
  // builder would otherwise send hundreds of MB).
  const tar = spawn(
    'tar',
    [
      '-C',
      repoRoot,
      '-c',
      '--exclude=./.git',
      '--exclude=node_modules',
      '--exclude=dist',
      '--exclude=*.tsbuildinfo',
      '--exclude=./demo-output',
      '.',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let tarErrors = '';
  tar.stderr.on('data', (chunk: Buffer) => {
    tarErrors += chunk.toString();
  });
  const stream = await docker.buildImage(tar.stdout, {
    dockerfile: 'docker/Dockerfile',
    target,
    t: tag,
    buildargs: { NODE_IMAGE: baseImage, STOKER_COMMIT: TEST_COMMIT },
    // The private daemon has no bridge; npm ci reaches the registry through the host's network.
    networkmode: 'host',
    rm: true,
    forcerm: true,
  });
  const events = await new Promise<{ stream?: string; error?: string }[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (error, output) => (error ? reject(error) : resolve(output))),
  );
  const log = events.map((event) => event.stream ?? '').join('');
  const failed = events.find((event) => event.error);
  if (failed) {
    throw new Error(
      `docker build --target ${target} failed: ${failed.error}\n${log.slice(-4000)}${tarErrors ? `\ntar: ${tarErrors}` : ''}`,
    );
  }
  assert.ok(log.includes(`Successfully tagged ${tag}`), `build of ${target}:\n${log.slice(-2000)}`);
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `whileStopped`: called once the container has exited, before it (its layer, its log) is removed. */
async function runToExit(
  docker: Docker,
  options: Docker.ContainerCreateOptions,
  whileStopped?: () => void,
): Promise<Run> {
  const container = await docker.createContainer({
    ...options,
    Labels: { ...options.Labels, [HARNESS_LABEL]: '1' },
  });
  try {
    await container.start();
    const timeout = sleep(RUN_TIMEOUT_MS, undefined, { ref: false }).then(() => {
      throw new Error(`${options.Image} ${options.Cmd?.join(' ')} still running after ${RUN_TIMEOUT_MS} ms`);
    });
    const { StatusCode } = (await Promise.race([container.wait(), timeout])) as { StatusCode: number };
    const logs = demux((await container.logs({ stdout: true, stderr: true })) as Buffer);
    whileStopped?.();
    return { code: StatusCode, ...logs };
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

/** Lists a directory of an image by running its own `ls` (the agent's entrypoint replaced). */
async function listDir(docker: Docker, image: string, dir: string): Promise<string[]> {
  const run = await runToExit(docker, {
    Image: image,
    Entrypoint: ['ls', '-A', dir],
    HostConfig: { NetworkMode: 'none' },
  });
  assert.equal(run.code, 0, `ls ${dir} in ${image}: ${run.stderr}`);
  return run.stdout.split('\n').filter(Boolean);
}

async function waitForHealth(
  container: Docker.Container,
  timeoutMs: number,
): Promise<{ status: string; log: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { State } = await container.inspect();
    const health = State.Health;
    const log = `health log:\n${(health?.Log ?? []).map((entry) => `${entry.ExitCode}: ${entry.Output}`).join('\n')}`;
    if (!State.Running) return { status: `exited ${State.ExitCode}`, log };
    if (health && (health.Status === 'healthy' || health.Status === 'unhealthy'))
      return { status: health.Status, log };
    if (Date.now() > deadline) return { status: health?.Status ?? 'no health', log };
    await sleep(500);
  }
}

/** Splits the multiplexed log stream of a container without a TTY (8-byte frame headers). */
function demux(buffer: Buffer): { stdout: string; stderr: string } {
  const streams: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] };
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    streams[buffer[offset] === 2 ? 'stderr' : 'stdout'].push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return {
    stdout: Buffer.concat(streams.stdout).toString('utf8'),
    stderr: Buffer.concat(streams.stderr).toString('utf8'),
  };
}

/** The value of the last carbon line for `name` (`name value timestamp`). */
function lastValue(output: string, name: string): number | undefined {
  let value: number | undefined;
  for (const line of output.split('\n')) {
    const [metric, raw] = line.split(' ');
    if (metric === name && raw !== undefined) value = Number(raw);
  }
  return value;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
