import * as path from 'node:path';
import { StoreFile, StoreFileSystem, nodeFileSystem } from './store-file-system';

/**
 * Replaces `file` with `data` so that after a crash the file holds either the old or the new
 * content, never a mix: write a temp file, fdatasync it, rename over the target, fsync the
 * directory so the rename itself is durable. Without the fdatasync before the rename, a power cut
 * can leave the new name on an empty or partial file; without the directory fsync, the old
 * content can come back after a later write was acknowledged.
 */
export async function writeFileAtomic(file: string, data: string | Buffer, fileSystem: StoreFileSystem = nodeFileSystem): Promise<void> {
  const temp = `${file}.tmp`;
  const handle = await fileSystem.open(temp, 'replace');
  try {
    await writeFully(handle, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, 0);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await fileSystem.rename(temp, file);
  await fileSystem.syncDirectory(path.dirname(file));
}

/** Writes all of `bytes` at `position`, continuing after short writes. */
export async function writeFully(handle: StoreFile, bytes: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, position + written);
    written += bytesWritten;
  }
}

/** Makes a directory's entries (created, renamed, deleted files) durable. */
export function syncDirectory(dir: string, fileSystem: StoreFileSystem = nodeFileSystem): Promise<void> {
  return fileSystem.syncDirectory(dir);
}

/**
 * mkdir -p, durably: each directory it creates is made durable in its parent, so a power cut
 * cannot take away a directory whose files were synced (they would be lost with it).
 */
export async function makeDirectoryDurable(dir: string, fileSystem: StoreFileSystem = nodeFileSystem): Promise<void> {
  const first = await fileSystem.makeDirectory(dir);
  if (first === undefined) return;
  const created: string[] = [];
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    created.push(current);
    if (current === path.resolve(first) || path.dirname(current) === current) break;
  }
  for (const child of created.reverse()) await fileSystem.syncDirectory(path.dirname(child));
}

/** Reads a file, or undefined if it does not exist. */
export async function readFileIfExists(file: string, fileSystem: StoreFileSystem = nodeFileSystem): Promise<Buffer | undefined> {
  try {
    return await fileSystem.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Zero-pads an offset to RocketMQ's 20-digit file name. */
export function offsetFileName(offset: number): string {
  return String(offset).padStart(20, '0');
}
