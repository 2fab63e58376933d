import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Replaces `file` with `data` so that after a crash the file holds either the old or the new
 * content, never a mix: write a temp file, fdatasync it, rename over the target, fsync the
 * directory so the rename itself is durable.
 */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  const temp = `${file}.tmp`;
  const handle = await fs.open(temp, 'w');
  try {
    await handle.writeFile(data);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, file);
  await syncDirectory(path.dirname(file));
}

/** Makes a directory's entries (created, renamed, deleted files) durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads a file, or undefined if it does not exist. */
export async function readFileIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Zero-pads an offset to RocketMQ's 20-digit file name. */
export function offsetFileName(offset: number): string {
  return String(offset).padStart(20, '0');
}
