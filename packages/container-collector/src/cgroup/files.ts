import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Contents of the files of one cgroup directory that could be read; missing ones are absent. */
export type FileTexts = Map<string, string>;

/** Thrown when none of a cgroup's files can be read: the container is gone or its cgroup moved. */
export class CgroupUnreadable extends Error {
  constructor(
    readonly dir: string,
    readonly code: string,
  ) {
    super(`cannot read cgroup ${dir} (${code})`);
    this.name = 'CgroupUnreadable';
  }
}

/**
 * Reads several files of one directory at once. A single missing file is normal (a kernel without swap
 * accounting has no `memory.memsw.*`); only when every file fails is the directory itself unreadable.
 */
export async function readCgroupFiles(dir: string, names: readonly string[]): Promise<FileTexts> {
  const texts: FileTexts = new Map();
  let failure: string | undefined;
  await Promise.all(
    names.map(async (name) => {
      try {
        texts.set(name, await readFile(join(dir, name), 'utf8'));
      } catch (error) {
        failure ??= (error as NodeJS.ErrnoException).code ?? 'EIO';
      }
    }),
  );
  if (texts.size === 0 && names.length > 0) throw new CgroupUnreadable(dir, failure ?? 'EIO');
  return texts;
}
