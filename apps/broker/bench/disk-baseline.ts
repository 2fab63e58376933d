import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { crc32 } from 'node:zlib';
import { MIB } from '@app/testkit';

/**
 * What the disk and kernel do without the store in the way, measured with synchronous calls in a
 * tight loop (no thread-pool hops), in the same file system as the store: the ceilings the
 * store's figures are divided by.
 */
export interface SequentialWriteBaseline {
  bytes: number;
  /** Until the last write returned: data is in the page cache. */
  writeMs: number;
  /** Including the one fdatasync after the last write: data is durable. */
  durableMs: number;
}

/**
 * Writes `totalBytes` in 1 MiB `write` calls to a new file, then one fdatasync; `repeats` times
 * (each to a fresh file). Page-cache writes in a VM vary a lot from run to run, so every run is
 * returned and the caller uses the median.
 */
export function measureSequentialWrites(dir: string, totalBytes: number, repeats: number): SequentialWriteBaseline[] {
  const runs: SequentialWriteBaseline[] = [];
  for (let i = 0; i < repeats; i++) runs.push(measureSequentialWrite(dir, totalBytes));
  return runs;
}

function measureSequentialWrite(dir: string, totalBytes: number): SequentialWriteBaseline {
  const file = path.join(dir, 'raw-sequential');
  const chunk = randomBytes(MIB);
  const fd = fs.openSync(file, 'w');
  try {
    const startedAt = performance.now();
    let written = 0;
    while (written < totalBytes) written += fs.writeSync(fd, chunk, 0, chunk.length, written);
    const wroteAt = performance.now();
    fs.fdatasyncSync(fd);
    const syncedAt = performance.now();
    return { bytes: written, writeMs: wroteAt - startedAt, durableMs: syncedAt - startedAt };
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
}

export interface SyncWriteBaseline {
  calls: number;
  elapsedMs: number;
}

/**
 * `write(recordBytes)` + `fdatasync` in a single-threaded loop for `durationMs`, appending to a
 * new file as the commit log does (the file grows, so each fdatasync also commits its size).
 */
export function measureWriteFdatasync(dir: string, recordBytes: number, durationMs: number): SyncWriteBaseline {
  const file = path.join(dir, 'raw-fdatasync');
  const record = randomBytes(recordBytes);
  const fd = fs.openSync(file, 'w');
  try {
    const startedAt = performance.now();
    const deadline = startedAt + durationMs;
    let calls = 0;
    let position = 0;
    while (performance.now() < deadline) {
      position += fs.writeSync(fd, record, 0, record.length, position);
      fs.fdatasyncSync(fd);
      calls++;
    }
    return { calls, elapsedMs: performance.now() - startedAt };
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
}

/**
 * The same loop through Node's asynchronous FileHandle (each call a hop to the libuv thread
 * pool and back), as the store does it: what SYNC_FLUSH with one appender can hope for.
 */
export async function measureWriteFdatasyncAsync(dir: string, recordBytes: number, durationMs: number): Promise<SyncWriteBaseline> {
  const file = path.join(dir, 'raw-fdatasync-async');
  const record = randomBytes(recordBytes);
  const handle = await fs.promises.open(file, 'w');
  try {
    const startedAt = performance.now();
    const deadline = startedAt + durationMs;
    let calls = 0;
    let position = 0;
    while (performance.now() < deadline) {
      position += (await handle.write(record, 0, record.length, position)).bytesWritten;
      await handle.datasync();
      calls++;
    }
    return { calls, elapsedMs: performance.now() - startedAt };
  } finally {
    await handle.close();
    fs.rmSync(file, { force: true });
  }
}

export interface ReadCrcBaseline {
  bytes: number;
  elapsedMs: number;
}

/**
 * Reads every file of `dir` with 8 MiB preads and computes one CRC32 per `sliceBytes` (the
 * record size): the floor under a recovery scan, which must read and CRC-check every record.
 */
export function measureReadAndCrc(dir: string, sliceBytes: number): ReadCrcBaseline {
  const window = Buffer.allocUnsafe(8 * MIB);
  const startedAt = performance.now();
  let bytes = 0;
  let checksum = 0;
  for (const name of fs.readdirSync(dir).sort()) {
    const fd = fs.openSync(path.join(dir, name), 'r');
    try {
      let position = 0;
      for (;;) {
        const read = fs.readSync(fd, window, 0, window.length, position);
        if (read === 0) break;
        for (let pos = 0; pos < read; pos += sliceBytes) checksum ^= crc32(window.subarray(pos, Math.min(read, pos + sliceBytes)));
        position += read;
        bytes += read;
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  // Keeps the CRC loop from being optimised away.
  if (checksum === 0.5) console.log(checksum);
  return { bytes, elapsedMs: performance.now() - startedAt };
}

/**
 * Drops the kernel's clean page cache so the next read comes from the device (Linux, root only).
 * It affects every process on the machine, which is why the benchmark does it only when asked.
 */
export function dropPageCache(): boolean {
  try {
    fs.writeFileSync('/proc/sys/vm/drop_caches', '1');
    return true;
  } catch {
    return false;
  }
}
