/** One line of `/proc/<pid>/mountinfo` (proc(5)), the fields the host's disks are chosen by. */
export interface MountEntry {
  /** `major:minor` of the filesystem (the same for every mount of one filesystem). */
  device: string;
  /** The directory of the filesystem that is mounted here: `/` unless a bind mount of a part of it. */
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
}

/** Space, tab, newline and backslash in paths are written as octal escapes (`\040`). */
function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/**
 * `id parent major:minor root mount-point options [optional fields...] - type source super-options`;
 * lines that do not have this shape are skipped.
 */
export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-', 6);
    if (separator === -1 || fields.length < separator + 3) continue;
    entries.push({
      device: fields[2]!,
      root: unescapeOctal(fields[3]!),
      mountPoint: unescapeOctal(fields[4]!),
      fsType: fields[separator + 1]!,
      source: unescapeOctal(fields[separator + 2]!),
    });
  }
  return entries;
}

/**
 * `/proc/filesystems`: the filesystem types that need a block device (the lines not marked `nodev`),
 * gopsutil's test of a physical disk; overlay, tmpfs, proc, cgroup, nsfs and the like are `nodev`.
 */
export function blockDeviceFsTypes(text: string): Set<string> {
  const types = new Set<string>();
  for (const line of text.split('\n')) {
    const [flag, type] = line.split('\t');
    if (flag === '' && type) types.add(type.trim());
  }
  return types;
}

/** Block-device filesystems that are read-only images, always full: not disks anyone fills. */
const READ_ONLY_IMAGES = new Set(['squashfs', 'iso9660', 'erofs']);

/**
 * The host's disks as `df` lists them, once each: filesystems on a block device (`blockTypes`;
 * without it, a source that is a path), a mount hidden by a later mount on the same point left out,
 * and each device once. Of a device's mounts, the one nearest the filesystem's own root names it
 * (a bind mount of a subdirectory or a file loses to the mount of the whole filesystem), then the
 * mount point nearest `/`, then the first in the table: `df`'s choice.
 */
export function hostDisks(entries: readonly MountEntry[], blockTypes?: ReadonlySet<string>): MountEntry[] {
  const visible = new Map<string, MountEntry>();
  for (const entry of entries) {
    visible.delete(entry.mountPoint); // over-mounted: df shows the one on top
    visible.set(entry.mountPoint, entry);
  }
  const byDevice = new Map<string, MountEntry>();
  for (const entry of visible.values()) {
    const isDisk = blockTypes ? blockTypes.has(entry.fsType) : entry.source.startsWith('/');
    if (!isDisk || READ_ONLY_IMAGES.has(entry.fsType)) continue;
    const seen = byDevice.get(entry.device);
    if (!seen || nearerRoot(entry, seen)) byDevice.set(entry.device, entry);
  }
  return [...byDevice.values()];
}

function nearerRoot(entry: MountEntry, than: MountEntry): boolean {
  if (entry.root.length !== than.root.length) return entry.root.length < than.root.length;
  return entry.mountPoint.length < than.mountPoint.length;
}
