import { readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * Kernel names of block devices (`8:0` → `sda`, `253:0` → `dm-0`): each `<major>:<minor>` entry of
 * `/sys/dev/block` links to the device's directory, named as the kernel names the device. A name,
 * once found, is kept: a number is given to another device only after its own is removed.
 */
export class BlockDeviceNames {
  private readonly names = new Map<string, string>();

  constructor(private readonly dir = '/sys/dev/block') {}

  /** undefined for a device `/sys/dev/block` does not list. */
  nameOf(majorMinor: string): string | undefined {
    let name = this.names.get(majorMinor);
    if (name === undefined) {
      try {
        name = basename(readlinkSync(join(this.dir, majorMinor)));
      } catch {
        return undefined;
      }
      this.names.set(majorMinor, name);
    }
    return name;
  }
}
