// A folder as an archive store (the file sink with integrity on). Objects are written
// atomically (temp file, fsync, rename, fsync folder), so a crash never leaves half an object.

import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { writeFileAtomic } from '../core/fs-atomic.js';
import type { ArchiveObjectInfo, ArchiveStore } from './store.js';

/** writeFileAtomic's temp names: not objects. */
const TEMP_NAME = /^\..+\.\d+\.tmp$/;

export function dirStore(dir: string): ArchiveStore {
  const pathOf = (key: string): string => {
    if (key.split('/').some((p) => p === '..' || p === '')) throw new Error(`archive key "${key}" escapes the archive folder`);
    return join(dir, ...key.split('/'));
  };
  async function* walk(folder: string): AsyncGenerator<ArchiveObjectInfo> {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(folder, e.name);
      if (e.isDirectory()) yield* walk(p);
      else if (e.isFile() && !TEMP_NAME.test(e.name)) yield { key: relative(dir, p).split(sep).join('/'), size: (await stat(p)).size };
    }
  }
  return {
    location: dir,
    root: '',
    put: (key, bytes) => writeFileAtomic(pathOf(key), bytes),
    async get(key) {
      try {
        return await readFile(pathOf(key));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
        throw err;
      }
    },
    delete: (key) => rm(pathOf(key), { force: true }),
    list: () => walk(dir),
  };
}
