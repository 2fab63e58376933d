import { constants as fsConstants, promises as fs } from 'node:fs';
import type { DiskSpace } from './disk-usage-guard';

/**
 * The calls the store makes on an open file. Node's `fs.promises.FileHandle` satisfies this as it
 * is, so the real path hands out node's own handles: no wrapper object, extra call or allocation
 * per append. The simulated disk (simulated-disk.test-support.ts) implements it too, to test
 * power cuts and full disks in-process.
 */
export interface StoreFile {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  /** One pwritev; may write fewer bytes than given (the caller continues). */
  writev(buffers: Buffer[], position: number): Promise<{ bytesWritten: number }>;
  /** fdatasync: the file's data and size are durable when it resolves. */
  datasync(): Promise<void>;
  /** fsync: data, size and the rest of the metadata. */
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  stat(): Promise<{ size: number; mtimeMs: number }>;
  close(): Promise<void>;
}

/**
 * How a file is opened: `read` (it must exist), `read-write` (created if absent, kept as it is),
 * `replace` (created if absent, emptied).
 */
export type OpenMode = 'read' | 'read-write' | 'replace';

/** One entry of a directory listing. */
export interface DirectoryEntry {
  name: string;
  isDirectory: boolean;
}

/**
 * Every file-system operation of the store, in one narrow interface (docs/architecture.md, "The
 * store"). Errors are node's: an `Error` with an errno `code` (ENOENT, ENOSPC, EIO, ...).
 */
export interface StoreFileSystem {
  open(file: string, mode: OpenMode): Promise<StoreFile>;
  /** The whole file; throws ENOENT if it does not exist. */
  readFile(file: string): Promise<Buffer>;
  /** Atomically replaces `to` with `from` (same directory); durable once the directory is synced. */
  rename(from: string, to: string): Promise<void>;
  /** Deletes a file; a missing one is not an error. */
  removeFile(file: string): Promise<void>;
  /** Deletes a directory and everything below it; a missing one is not an error. */
  removeTree(dir: string): Promise<void>;
  /** mkdir -p; returns the first directory it had to create, undefined if `dir` existed. */
  makeDirectory(dir: string): Promise<string | undefined>;
  /** Throws ENOENT if the directory does not exist. */
  list(dir: string): Promise<DirectoryEntry[]>;
  /** fsync of a directory: the entries created, renamed or deleted in it are durable. */
  syncDirectory(dir: string): Promise<void>;
  /** The size of the partition holding `dir` and its free bytes (statfs). */
  space(dir: string): Promise<DiskSpace>;
}

const OPEN_FLAGS: Record<OpenMode, number> = {
  read: fsConstants.O_RDONLY,
  'read-write': fsConstants.O_RDWR | fsConstants.O_CREAT,
  replace: fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC,
};

/** The real file system (node:fs). */
export const nodeFileSystem: StoreFileSystem = {
  open: (file, mode) => fs.open(file, OPEN_FLAGS[mode]),
  readFile: (file) => fs.readFile(file),
  rename: (from, to) => fs.rename(from, to),
  removeFile: (file) => fs.rm(file, { force: true }),
  removeTree: (dir) => fs.rm(dir, { recursive: true, force: true }),
  makeDirectory: (dir) => fs.mkdir(dir, { recursive: true }),
  list: async (dir) => (await fs.readdir(dir, { withFileTypes: true })).map((entry) => ({ name: entry.name, isDirectory: entry.isDirectory() })),
  space: async (dir) => {
    const stats = await fs.statfs(dir);
    return { totalBytes: stats.blocks * stats.bsize, freeBytes: stats.bfree * stats.bsize, availableBytes: stats.bavail * stats.bsize };
  },
  syncDirectory: async (dir) => {
    const handle = await fs.open(dir, fsConstants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};
