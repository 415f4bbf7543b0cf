/**
 * A Node base image for building Stoker's own images in tests, made on this machine: no registry is
 * reachable, so `node:22-bookworm-slim` cannot be pulled. It stands in for the official image with what
 * docker/Dockerfile relies on: Debian (`debootstrap --variant=minbase` from Debian's package mirror),
 * `node` and `npm` in /usr/local (this machine's own node binary and npm), and a `node` user with uid
 * 1000. The rootfs tarball is cached across runs (debootstrap takes about a minute), keyed by the Debian
 * suite, the node and npm versions and this recipe's version; each fresh test daemon imports it in a few
 * seconds.
 */
import { execFile as execFileCallback, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, existsSync, constants as fsConstants, readdirSync, readFileSync } from 'node:fs';
import { appendFile, cp, mkdir, mkdtemp, rename, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';

const execFile = promisify(execFileCallback);

export const BASE_IMAGE = 'stoker-base:test';
/** Bump when the recipe changes, so a cached rootfs built by an older recipe is not reused. */
const RECIPE_VERSION = 1;
/** Label on the imported image: tells whether an image already in the daemon came from this recipe. */
const KEY_LABEL = 'io.stoker.base-image-key';
const FALLBACK_MIRROR = 'http://deb.debian.org/debian';
/** Where the image keeps the CA bundle copied from this machine (see hostCaBundle). */
const IMAGE_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/**
 * For node:test's `skip`: a message naming the Debian package when debootstrap is missing (or not root,
 * which debootstrap needs), unless the cached rootfs is already there; under CI=true it fails instead.
 */
export function baseImageSkip(): string | undefined {
  if (existsSync(cachedTarball())) return undefined;
  const missing: string[] = [];
  if (!findProgram('debootstrap'))
    missing.push('debootstrap not found on PATH; install it with: apt-get install debootstrap');
  if (process.getuid?.() !== 0) missing.push('debootstrap needs root');
  if (!npmDir()) missing.push(`npm not found beside ${process.execPath}`);
  if (missing.length === 0) return undefined;
  const message = missing.join('; ');
  if (process.env.CI === 'true') throw new Error(message);
  return message;
}

/**
 * Makes sure `stoker-base:test` is in the daemon (building or reusing the cached rootfs) and returns its
 * reference, for `--build-arg NODE_IMAGE=...`.
 */
export async function buildBaseImage(
  docker: Docker,
  log: (line: string) => void = () => {},
): Promise<string> {
  const key = cacheKey();
  const [existing] = await docker.listImages({ filters: { reference: [BASE_IMAGE] } });
  if (existing && existing.Labels?.[KEY_LABEL] === key) return BASE_IMAGE;
  const tarball = cachedTarball();
  if (!existsSync(tarball)) {
    const started = Date.now();
    log(`base image: building ${path.basename(tarball)} with debootstrap (cached for later runs)`);
    await buildRootfsTarball(tarball);
    log(`base image: rootfs built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const started = Date.now();
  const [repo, tag] = BASE_IMAGE.split(':') as [string, string];
  const stream = await docker.importImage(tarball, {
    repo,
    tag,
    // What the official node image declares, so the Dockerfile behaves the same on both.
    changes: [
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      `ENV NODE_VERSION=${process.versions.node}`,
      'CMD ["node"]',
      `LABEL ${KEY_LABEL}=${key}`,
      ...(hostCaBundle() ? [`ENV NODE_EXTRA_CA_CERTS=${IMAGE_CA_BUNDLE}`] : []),
    ],
  });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (error, output: { error?: string }[]) => {
      const failed = error ?? output.find((event) => event.error)?.error;
      if (failed) reject(new Error(`docker import of ${tarball} failed: ${String(failed)}`));
      else resolve();
    }),
  );
  log(`base image: imported in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return BASE_IMAGE;
}

/** Where cached rootfs tarballs live: STOKER_TEST_CACHE, else /var/cache/stoker-test as root, else tmp. */
export function cacheDir(): string {
  if (process.env.STOKER_TEST_CACHE) return path.resolve(process.env.STOKER_TEST_CACHE);
  return process.getuid?.() === 0 ? '/var/cache/stoker-test' : path.join(os.tmpdir(), 'stoker-test-cache');
}

function cachedTarball(): string {
  return path.join(cacheDir(), `base-rootfs-${cacheKey()}.tar`);
}

function cacheKey(): string {
  const npmVersion = npmDir() ? readNpmVersion(npmDir()!) : 'none';
  const ca = hostCaBundle();
  const caHash = ca ? `-ca${createHash('sha256').update(readFileSync(ca)).digest('hex').slice(0, 8)}` : '';
  return `${debianSuite()}-node${process.versions.node}-npm${npmVersion}${caHash}-r${RECIPE_VERSION}`;
}

/**
 * The CA bundle this machine's node trusts. The build stage's `npm ci` reaches the registry the way this
 * machine does, which may be through a TLS-inspecting proxy whose CA only the machine's bundle holds
 * (node's built-in roots are not enough then), so the image trusts the same bundle.
 */
function hostCaBundle(): string | undefined {
  for (const candidate of [process.env.NODE_EXTRA_CA_CERTS, '/etc/ssl/certs/ca-certificates.crt']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return undefined;
}

async function buildRootfsTarball(tarball: string): Promise<void> {
  const debootstrap = findProgram('debootstrap');
  if (!debootstrap) throw new Error('debootstrap not found; install it with: apt-get install debootstrap');
  const npm = npmDir();
  if (!npm) throw new Error(`npm not found beside ${process.execPath}`);
  await mkdir(cacheDir(), { recursive: true });
  // Beside the cache (same filesystem), so the finished tarball is renamed into place atomically: a
  // run interrupted half way, or a second run building at the same time, never leaves a partial file.
  const work = await mkdtemp(path.join(cacheDir(), 'build-'));
  const rootfs = path.join(work, 'rootfs');
  try {
    const suite = debianSuite();
    const mirror = debianMirror();
    try {
      await execFile(debootstrap, ['--variant=minbase', suite, rootfs, mirror], {
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
      });
    } catch (error) {
      const debootstrapLog = path.join(rootfs, 'debootstrap', 'debootstrap.log');
      const tail = existsSync(debootstrapLog)
        ? readFileSync(debootstrapLog, 'utf8').split('\n').slice(-20).join('\n')
        : '';
      throw new Error(`debootstrap ${suite} from ${mirror} failed: ${String(error)}\n${tail}`);
    }
    await installNode(rootfs, npm);
    await trim(rootfs);
    // Smoke test in the new root: the dynamic linker finds everything node needs, npm starts.
    const chroot = findProgram('chroot') ?? '/usr/sbin/chroot';
    await execFile(chroot, [rootfs, '/usr/local/bin/node', '--version']);
    await execFile(chroot, [rootfs, '/usr/local/bin/npm', '--version'], {
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/root' },
    });
    const partial = path.join(work, 'rootfs.tar');
    await execFile('tar', ['--numeric-owner', '-C', rootfs, '-cf', partial, '.']);
    await rename(partial, tarball);
  } finally {
    await rm(work, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** node → /usr/local/bin/node, npm → /usr/local/lib/node_modules/npm with bin links, user node (1000). */
async function installNode(rootfs: string, npm: string): Promise<void> {
  const missing = missingLibraries(rootfs, process.execPath);
  if (missing.length > 0) {
    throw new Error(
      `${process.execPath} needs libraries the minbase root lacks: ${missing.join(', ')} ` +
        '(add their Debian packages with debootstrap --include=...)',
    );
  }
  const bin = path.join(rootfs, 'usr/local/bin');
  await mkdir(bin, { recursive: true });
  await cp(process.execPath, path.join(bin, 'node'));
  await cp(npm, path.join(rootfs, 'usr/local/lib/node_modules/npm'), {
    recursive: true,
    verbatimSymlinks: true,
  });
  // The same links the official image has; npm-cli.js starts with `#!/usr/bin/env node`.
  await symlink('../lib/node_modules/npm/bin/npm-cli.js', path.join(bin, 'npm'));
  await symlink('../lib/node_modules/npm/bin/npx-cli.js', path.join(bin, 'npx'));
  // The official image's unprivileged user, which the Dockerfile's `USER node` names.
  await appendFile(path.join(rootfs, 'etc/group'), 'node:x:1000:\n');
  await appendFile(path.join(rootfs, 'etc/passwd'), 'node:x:1000:1000::/home/node:/bin/sh\n');
  await mkdir(path.join(rootfs, 'home/node'), { recursive: true });
  execFileSync('chown', ['1000:1000', path.join(rootfs, 'home/node')]);
  const ca = hostCaBundle();
  if (ca) {
    await mkdir(path.join(rootfs, path.dirname(IMAGE_CA_BUNDLE)), { recursive: true });
    await cp(ca, path.join(rootfs, IMAGE_CA_BUNDLE));
  }
}

/** Libraries `ldd` resolves for `binary` on this machine that the new root does not have. */
function missingLibraries(rootfs: string, binary: string): string[] {
  const output = execFileSync('ldd', [binary], { encoding: 'utf8' });
  const missing: string[] = [];
  for (const line of output.split('\n')) {
    // `libstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x...)` or `/lib64/ld-linux-x86-64.so.2 (0x...)`
    const match = /^\s*(\S+)(?:\s+=>\s+(\S+))?\s+\(0x[0-9a-f]+\)/.exec(line);
    if (!match || match[1]!.startsWith('linux-vdso')) continue;
    const hostPath = match[2] ?? match[1]!;
    const name = path.basename(hostPath);
    const candidates = [
      hostPath,
      // Debian's merged /usr: /lib is /usr/lib in the new root.
      hostPath.replace(/^\/lib/, '/usr/lib'),
      ...['lib', 'usr/lib'].flatMap((dir) => [
        `/${dir}/${os.machine()}-linux-gnu/${name}`,
        `/${dir}/${name}`,
      ]),
    ];
    if (!candidates.some((candidate) => existsSync(path.join(rootfs, candidate)))) missing.push(name);
  }
  return missing;
}

/** Package caches, lists, docs and translations: not needed to run or build, a third of the size. */
async function trim(rootfs: string): Promise<void> {
  for (const dir of [
    'var/cache/apt/archives',
    'var/lib/apt/lists',
    'usr/share/doc',
    'usr/share/man',
    'usr/share/info',
    'usr/share/locale',
    'debootstrap',
  ]) {
    const full = path.join(rootfs, dir);
    if (!existsSync(full)) continue;
    for (const entry of readdirSync(full)) {
      if (entry === 'partial' || entry === 'lock') continue;
      await rm(path.join(full, entry), { recursive: true, force: true });
    }
  }
}

/** The host's Debian suite (its glibc is what the copied node was linked against), else bookworm. */
function debianSuite(): string {
  try {
    const osRelease = readFileSync('/etc/os-release', 'utf8');
    const id = /^ID=(.*)$/m.exec(osRelease)?.[1]?.replace(/"/g, '');
    const codename = /^VERSION_CODENAME=(.*)$/m.exec(osRelease)?.[1]?.replace(/"/g, '');
    if (id === 'debian' && codename) return codename;
  } catch {}
  return 'bookworm';
}

/**
 * The Debian mirror apt uses here (the only package source reachable), from deb822 `.sources` files or
 * one-line `sources.list` entries; STOKER_DEBIAN_MIRROR overrides.
 */
export function debianMirror(): string {
  if (process.env.STOKER_DEBIAN_MIRROR) return process.env.STOKER_DEBIAN_MIRROR;
  const files = ['/etc/apt/sources.list'];
  try {
    for (const name of readdirSync('/etc/apt/sources.list.d'))
      if (name.endsWith('.sources') || name.endsWith('.list')) files.push(`/etc/apt/sources.list.d/${name}`);
  } catch {}
  const suite = debianSuite();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    // deb822: stanzas separated by blank lines.
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (name: string) =>
        new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.trim().split(/\s+/) ?? [];
      if (!field('Types').includes('deb') || !field('Suites').includes(suite)) continue;
      const uri = field('URIs').find((candidate) => /^https?:\/\//.test(candidate));
      if (uri && !/security/.test(uri)) return uri.replace(/\/+$/, '');
    }
    // one-line: `deb [options] URI suite components`
    for (const line of text.split('\n')) {
      const match = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(https?:\/\/\S+)\s+(\S+)/.exec(line);
      if (match && match[2] === suite && !/security/.test(match[1]!)) return match[1]!.replace(/\/+$/, '');
    }
  }
  return FALLBACK_MIRROR;
}

/** npm as installed beside this node (`<prefix>/lib/node_modules/npm`), or where `npm` on PATH points. */
function npmDir(): string | undefined {
  const beside = path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
  if (existsSync(path.join(beside, 'bin', 'npm-cli.js'))) return beside;
  const onPath = findProgram('npm');
  if (!onPath) return undefined;
  try {
    const real = execFileSync('readlink', ['-f', onPath], { encoding: 'utf8' }).trim();
    const dir = path.resolve(path.dirname(real), '..');
    return existsSync(path.join(dir, 'bin', 'npm-cli.js')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

function readNpmVersion(dir: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function findProgram(program: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).concat(['/usr/sbin', '/sbin']);
  for (const dir of dirs) {
    const candidate = path.join(dir, program);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}
