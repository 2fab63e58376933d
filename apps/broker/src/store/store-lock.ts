import * as path from 'node:path';
import { readFileIfExists, writeFileAtomic } from './atomic-file';
import { StoreFileSystem } from './store-file-system';
import { StoreOpenError } from './store.errors';

/** Holds the owning process id, so two brokers never share a store directory. */
export const LOCK_FILE = 'lock';

/** Takes the store directory's lock file; throws StoreOpenError if a live process holds it. */
export async function lockStoreDirectory(dir: string, fileSystem: StoreFileSystem): Promise<void> {
  const file = path.join(dir, LOCK_FILE);
  const existing = await readFileIfExists(file, fileSystem);
  const pid = existing ? Number(existing.toString('utf8')) : NaN;
  if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid)) {
    throw new StoreOpenError(`store directory ${dir} is in use by process ${pid}`);
  }
  await writeFileAtomic(file, String(process.pid), fileSystem);
}

/** Releases the lock file. */
export function unlockStoreDirectory(dir: string, fileSystem: StoreFileSystem): Promise<void> {
  return fileSystem.removeFile(path.join(dir, LOCK_FILE));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
