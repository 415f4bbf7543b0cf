import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { hostMounts, readHost } from '../src/host.js';
import { PseudoFiles } from '../src/pseudo-file.js';

test('hostMounts: real filesystems once each, without pseudo, container and bind-mounted files', () => {
  const table = [
    '/dev/vda / ext4 rw,relatime 0 0',
    'proc /proc proc rw,nosuid 0 0',
    'tmpfs /run tmpfs rw 0 0',
    'overlay /var/lib/docker/overlay2/abc/merged overlay rw 0 0',
    '/dev/vdb /data\\040disk xfs rw 0 0',
    '/dev/vda /etc/hosts ext4 rw 0 0',
    '/dev/vdb /mnt/again xfs rw 0 0',
    '/dev/vdc /var/lib/mesos/slaves/s1/frameworks/f/executors/e/runs/r ext4 rw 0 0',
    'nsfs /run/docker/netns/x nsfs rw 0 0',
    '',
  ].join('\n');
  assert.deepEqual(hostMounts(table), [
    { fs: '/dev/vda', mount: '/' },
    { fs: '/dev/vdb', mount: '/data disk' },
  ]);
});

test('readHost: the root filesystem as df reports it', async () => {
  const sample = await readHost(new PseudoFiles(), '/proc');
  const root = sample.disks.find((disk) => disk.mount === '/');
  assert.ok(root, `no / among ${JSON.stringify(sample.disks)}`);
  // df -kP: 1K-blocks, Used, Available; the same statfs figures, read a moment apart.
  const [, blocks, used] = execFileSync('df', ['-kP', '/'], { encoding: 'utf8' })
    .trim()
    .split('\n')[1]!
    .split(/\s+/);
  assert.equal(root.sizeBytes, Number(blocks) * 1024);
  assert.ok(
    Math.abs(root.usedBytes - Number(used) * 1024) < 64 * 1024 * 1024,
    `${root.usedBytes} vs df ${used} KiB`,
  );
});
