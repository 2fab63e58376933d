import * as path from 'node:path';
import { DirectoryEntry, OpenMode, StoreFile, StoreFileSystem } from './store-file-system';

/**
 * An in-memory disk for the store's crash and disk-full tests, after LazyFS: it keeps what was
 * written but not yet synced apart from what is durable, and a power cut keeps only a random
 * prefix of the unsynced operations of each file and directory, tearing the next write at a
 * random byte (or, with `lose: 'all-unsynced'`, keeps none of them).
 *
 * - File data becomes durable by `datasync`/`sync` of that file (both persist the size too).
 * - A directory's entries (files created, renamed, deleted, subdirectories made) become durable
 *   by `syncDirectory` of that directory; an entry whose parent did not survive is gone too.
 * - A failed fdatasync (an injected EIO) drops that file's unsynced writes from the durable path
 *   while reads still see them, as Linux does after a writeback error ("fsyncgate"): a later
 *   fdatasync that succeeds does not persist them.
 * - `capacityBytes` limits the sum of file sizes: a write past it is short, then ENOSPC.
 * - Faults (ENOSPC, EIO) can be injected on chosen operations and paths.
 *
 * Each `mount()` is one process's view: after a power cut, every call through an older mount, or
 * a handle it opened, fails with EIO, so a store from before the cut cannot write into the next.
 */
export type DiskOperation =
  | 'open'
  | 'read'
  | 'write'
  | 'datasync'
  | 'sync'
  | 'truncate'
  | 'stat'
  | 'close'
  | 'readFile'
  | 'rename'
  | 'removeFile'
  | 'removeTree'
  | 'makeDirectory'
  | 'list'
  | 'syncDirectory';

/** Operations that change what is on the disk; a scheduled power cut counts these. */
const MUTATING: ReadonlySet<DiskOperation> = new Set([
  'write',
  'datasync',
  'sync',
  'truncate',
  'rename',
  'removeFile',
  'removeTree',
  'makeDirectory',
  'syncDirectory',
  'open',
]);

export interface Fault {
  operation: DiskOperation;
  /** Only paths containing this; any path if absent. */
  pathIncludes?: string;
  errno: 'ENOSPC' | 'EIO' | 'EDQUOT';
  /** How many calls fail; Infinity until clearFaults(). */
  times: number;
}

export interface PowerCutOptions {
  /** `random-prefix` (default): a random prefix of unsynced operations survives, the next write torn. */
  lose?: 'random-prefix' | 'all-unsynced';
}

type FileChange = { kind: 'write'; position: number; bytes: Buffer } | { kind: 'truncate'; length: number };
type EntryChange = { name: string; node: Node | undefined } | { renameFrom: string; name: string; node: Node };

class Node {
  // A file: `data[0, length)` is what reads see; `durable` what a power cut keeps, plus a prefix of `unsynced`.
  data: Buffer = Buffer.alloc(0);
  length = 0;
  durable: Buffer = Buffer.alloc(0);
  unsynced: FileChange[] = [];
  mtimeMs = Date.now();
  // A directory: `entries` is what lookups see; `durableEntries` what a power cut keeps, plus a prefix of `unsyncedEntries`.
  entries = new Map<string, Node>();
  durableEntries = new Map<string, Node>();
  unsyncedEntries: EntryChange[] = [];

  constructor(readonly isDirectory: boolean) {}
}

/** A seeded PRNG (mulberry32): the same seed gives the same power cuts. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class SimulatedDisk {
  private readonly root = new Node(true);
  private readonly allNodes = new Set<Node>([this.root]);
  private epoch = 0;
  private faults: Fault[] = [];
  private cutAfterOperations: number | undefined;
  private cutOptions: PowerCutOptions = {};
  /** Sum of file sizes allowed; undefined: unlimited. */
  capacityBytes: number | undefined;
  /** Calls per operation, for tests that check a call is made (e.g. fdatasync under SYNC_FLUSH). */
  readonly calls = new Map<DiskOperation, number>();
  /** Set when a scheduled power cut happened. */
  powerCutHappened = false;

  constructor(private readonly random: () => number = seededRandom(1)) {}

  /** A process's view of the disk; it stops working at the next power cut. */
  mount(): StoreFileSystem {
    const epoch = this.epoch;
    return {
      open: (file, mode) => this.run(epoch, 'open', file, () => this.open(epoch, file, mode)),
      readFile: (file) => this.run(epoch, 'readFile', file, () => Buffer.from(this.file(file).data.subarray(0, this.file(file).length))),
      rename: (from, to) => this.run(epoch, 'rename', from, () => this.rename(from, to)),
      removeFile: (file) => this.run(epoch, 'removeFile', file, () => this.unlink(file, false)),
      // Without a capacity the simulated partition is 1 TiB, nearly empty.
      space: async () => this.space(),
      removeTree: (dir) => this.run(epoch, 'removeTree', dir, () => this.unlink(dir, true)),
      makeDirectory: (dir) => this.run(epoch, 'makeDirectory', dir, () => this.makeDirectory(dir)),
      list: (dir) => this.run(epoch, 'list', dir, () => this.list(dir)),
      syncDirectory: (dir) => this.run(epoch, 'syncDirectory', dir, () => this.syncDirectory(dir)),
    };
  }

  /** Fails the next `times` calls of `operation` (on paths containing `pathIncludes`) with `errno`. */
  inject(fault: Omit<Fault, 'times'> & { times?: number }): void {
    this.faults.push({ times: 1, ...fault });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Cuts the power just before the `count`-th next operation that changes the disk (which then fails). */
  cutPowerAfter(count: number, options: PowerCutOptions = {}): void {
    this.cutAfterOperations = count;
    this.cutOptions = options;
  }

  /** Power cut now: unsynced changes are lost (or kept in part), and older mounts stop working. */
  powerCut(options: PowerCutOptions = {}): void {
    const keep = (count: number) => (options.lose === 'all-unsynced' || count === 0 ? 0 : Math.floor(this.random() * (count + 1)));
    for (const node of this.allNodes) {
      if (node.isDirectory) this.settleDirectory(node, keep(node.unsyncedEntries.length));
      else this.settleFile(node, keep(node.unsynced.length), options.lose !== 'all-unsynced');
    }
    this.allNodes.clear();
    this.collect(this.root);
    this.epoch++;
    this.cutAfterOperations = undefined;
    this.powerCutHappened = true;
  }

  /** What reads see of a file now (throws ENOENT). */
  read(file: string): Buffer {
    const node = this.file(file);
    return Buffer.from(node.data.subarray(0, node.length));
  }

  /** Bytes of a file that a power cut cannot take away. */
  durableLength(file: string): number {
    return this.file(file).durable.length;
  }

  /** Overwrites bytes of a file, durably (damage on the medium, for damaged-file tests). */
  damage(file: string, position: number, bytes: Buffer): void {
    const node = this.file(file);
    bytes.copy(node.data, position);
    const durable = Buffer.from(node.data.subarray(0, node.length));
    node.durable = durable;
  }

  /** Cuts a file short, durably. */
  cutShort(file: string, length: number): void {
    const node = this.file(file);
    node.length = Math.min(length, node.length);
    node.durable = Buffer.from(node.data.subarray(0, node.length));
    node.unsynced = [];
  }

  exists(file: string): boolean {
    return this.lookup(file) !== undefined;
  }

  /** Paths of every file and directory below `dir`. */
  listTree(dir = '/'): string[] {
    const node = this.lookup(dir);
    if (!node?.isDirectory) return [];
    const found: string[] = [];
    for (const name of node.entries.keys()) {
      const full = path.join(dir, name);
      found.push(full, ...this.listTree(full));
    }
    return found;
  }

  /** Runs one operation: a yield (operations complete later, as in the thread pool), then fault checks. */
  private async run<T>(epoch: number, operation: DiskOperation, file: string, action: () => T): Promise<T> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
    if (epoch !== this.epoch) throw errno('EIO', operation, file, 'the disk lost power after this process opened it');
    if (this.cutAfterOperations !== undefined && MUTATING.has(operation) && --this.cutAfterOperations <= 0) {
      this.powerCut(this.cutOptions);
      throw errno('EIO', operation, file, 'power cut');
    }
    const fault = this.faults.find((f) => f.operation === operation && f.times > 0 && (f.pathIncludes === undefined || file.includes(f.pathIncludes)));
    if (fault) {
      fault.times--;
      // fsyncgate: the failed sync's pages are marked clean; they never reach the disk.
      const node = this.lookup(file);
      if ((operation === 'datasync' || operation === 'sync') && node && !node.isDirectory) node.unsynced = [];
      throw errno(fault.errno, operation, file);
    }
    return action();
  }

  private open(epoch: number, file: string, mode: OpenMode): StoreFile {
    let node = this.lookup(file);
    if (!node) {
      if (mode === 'read') throw errno('ENOENT', 'open', file);
      node = new Node(false);
      this.link(file, node);
    }
    if (node.isDirectory) throw errno('EISDIR', 'open', file);
    if (mode === 'replace') this.truncate(node, 0);
    return this.handle(epoch, file, node);
  }

  private handle(epoch: number, file: string, node: Node): StoreFile {
    const run = <T>(operation: DiskOperation, action: () => T) => this.run(epoch, operation, file, action);
    return {
      read: (buffer, offset, length, position) =>
        run('read', () => ({ bytesRead: node.data.copy(buffer, offset, position, Math.max(position, Math.min(node.length, position + length))) })),
      write: (buffer, offset, length, position) => run('write', () => ({ bytesWritten: this.write(node, buffer.subarray(offset, offset + length), position) })),
      writev: (buffers, position) => run('write', () => ({ bytesWritten: this.write(node, Buffer.concat(buffers), position) })),
      datasync: () => run('datasync', () => this.syncFile(node)),
      sync: () => run('sync', () => this.syncFile(node)),
      truncate: (length) => run('truncate', () => this.truncate(node, length)),
      stat: () => run('stat', () => ({ size: node.length, mtimeMs: node.mtimeMs })),
      close: () => run('close', () => undefined),
    };
  }

  private write(node: Node, bytes: Buffer, position: number): number {
    let length = bytes.length;
    if (this.capacityBytes !== undefined) {
      const free = Math.max(0, this.capacityBytes - this.usedBytes());
      length = Math.min(length, Math.max(0, node.length + free - position));
      if (length === 0 && bytes.length > 0) throw errno('ENOSPC', 'write', '(file)');
    }
    this.ensureCapacity(node, position + length);
    if (position > node.length) node.data.fill(0, node.length, position);
    bytes.copy(node.data, position, 0, length);
    node.length = Math.max(node.length, position + length);
    node.unsynced.push({ kind: 'write', position, bytes: Buffer.from(bytes.subarray(0, length)) });
    node.mtimeMs = Date.now();
    return length;
  }

  private truncate(node: Node, length: number): void {
    this.ensureCapacity(node, length);
    if (length > node.length) node.data.fill(0, node.length, length);
    node.length = length;
    node.unsynced.push({ kind: 'truncate', length });
  }

  /**
   * Applies the unsynced changes to the durable copy (not the cached data: after a failed sync
   * dropped some, the cache shows bytes the disk never gets).
   */
  private syncFile(node: Node): void {
    if (node.isDirectory) return this.syncEntries(node);
    node.durable = applyChanges(node.durable, node.unsynced, node.unsynced.length);
    node.unsynced = [];
  }

  /** Sum of the sizes of the files that exist. */
  /** The partition as statfs would show it: its capacity (1 TiB when unlimited), nothing reserved. */
  space(): { totalBytes: number; freeBytes: number; availableBytes: number } {
    const totalBytes = this.capacityBytes ?? 2 ** 40;
    const free = Math.max(0, totalBytes - this.usedBytes());
    return { totalBytes, freeBytes: free, availableBytes: free };
  }

  usedBytes(): number {
    let used = 0;
    for (const node of this.allNodes) if (!node.isDirectory) used += node.length;
    return used;
  }

  private ensureCapacity(node: Node, length: number): void {
    if (node.data.length >= length) return;
    const grown = Buffer.alloc(Math.max(length, node.data.length * 2, 4096));
    node.data.copy(grown, 0, 0, node.length);
    node.data = grown;
  }

  private makeDirectory(dir: string): string | undefined {
    let first: string | undefined;
    let current = this.root;
    let walked = '/';
    for (const part of parts(dir)) {
      walked = path.join(walked, part);
      let next = current.entries.get(part);
      if (!next) {
        next = new Node(true);
        this.allNodes.add(next);
        current.entries.set(part, next);
        current.unsyncedEntries.push({ name: part, node: next });
        first ??= walked;
      }
      if (!next.isDirectory) throw errno('ENOTDIR', 'mkdir', walked);
      current = next;
    }
    return first;
  }

  private list(dir: string): DirectoryEntry[] {
    const node = this.lookup(dir);
    if (!node) throw errno('ENOENT', 'scandir', dir);
    if (!node.isDirectory) throw errno('ENOTDIR', 'scandir', dir);
    return [...node.entries].map(([name, child]) => ({ name, isDirectory: child.isDirectory }));
  }

  private syncDirectory(dir: string): void {
    const node = this.lookup(dir);
    if (!node?.isDirectory) throw errno('ENOENT', 'open', dir);
    this.syncEntries(node);
  }

  private syncEntries(node: Node): void {
    node.durableEntries = new Map(node.entries);
    node.unsyncedEntries = [];
  }

  private rename(from: string, to: string): void {
    const node = this.lookup(from);
    if (!node) throw errno('ENOENT', 'rename', from);
    const fromParent = this.parentOf(from);
    const toParent = this.parentOf(to);
    fromParent.entries.delete(path.basename(from));
    toParent.entries.set(path.basename(to), node);
    if (fromParent === toParent) {
      fromParent.unsyncedEntries.push({ renameFrom: path.basename(from), name: path.basename(to), node });
    } else {
      fromParent.unsyncedEntries.push({ name: path.basename(from), node: undefined });
      toParent.unsyncedEntries.push({ name: path.basename(to), node });
    }
  }

  private link(file: string, node: Node): void {
    const parent = this.parentOf(file);
    parent.entries.set(path.basename(file), node);
    parent.unsyncedEntries.push({ name: path.basename(file), node });
    this.allNodes.add(node);
  }

  private unlink(file: string, recursive: boolean): void {
    const node = this.lookup(file);
    if (!node) return;
    if (node.isDirectory && !recursive) throw errno('EISDIR', 'unlink', file);
    const parent = this.parentOf(file);
    parent.entries.delete(path.basename(file));
    parent.unsyncedEntries.push({ name: path.basename(file), node: undefined });
  }

  private settleFile(node: Node, kept: number, tear: boolean): void {
    let durable = applyChanges(node.durable, node.unsynced, kept);
    const torn = node.unsynced[kept];
    // A torn write: the first bytes of it reached the disk (LazyFS's torn-seq).
    if (tear && torn?.kind === 'write' && torn.bytes.length > 1) {
      durable = applyChanges(
        durable,
        [{ kind: 'write', position: torn.position, bytes: torn.bytes.subarray(0, Math.floor(this.random() * torn.bytes.length)) }],
        1,
      );
    }
    node.durable = durable;
    node.data = Buffer.from(durable);
    node.length = durable.length;
    node.unsynced = [];
  }

  private settleDirectory(node: Node, kept: number): void {
    const entries = new Map(node.durableEntries);
    for (let i = 0; i < kept; i++) {
      const change = node.unsyncedEntries[i];
      if ('renameFrom' in change) entries.delete(change.renameFrom);
      if (change.node) entries.set(change.name, change.node);
      else entries.delete(change.name);
    }
    node.durableEntries = entries;
    node.entries = new Map(entries);
    node.unsyncedEntries = [];
  }

  /** Keeps only the nodes reachable from the root after a power cut. */
  private collect(node: Node): void {
    this.allNodes.add(node);
    for (const child of node.entries.values()) {
      if (child.isDirectory) this.collect(child);
      else this.allNodes.add(child);
    }
  }

  private lookup(file: string): Node | undefined {
    let node: Node | undefined = this.root;
    for (const part of parts(file)) {
      node = node.isDirectory ? node.entries.get(part) : undefined;
      if (!node) return undefined;
    }
    return node;
  }

  private file(file: string): Node {
    const node = this.lookup(file);
    if (!node) throw errno('ENOENT', 'open', file);
    if (node.isDirectory) throw errno('EISDIR', 'read', file);
    return node;
  }

  private parentOf(file: string): Node {
    const parent = this.lookup(path.dirname(path.resolve(file)));
    if (!parent?.isDirectory) throw errno('ENOENT', 'open', file);
    return parent;
  }
}

/** `durable` with the first `count` changes applied, as a new buffer. */
function applyChanges(durable: Buffer, changes: readonly FileChange[], count: number): Buffer {
  let result = Buffer.from(durable);
  for (let i = 0; i < count; i++) {
    const change = changes[i];
    if (change.kind === 'truncate') {
      result = change.length <= result.length ? result.subarray(0, change.length) : Buffer.concat([result, Buffer.alloc(change.length - result.length)]);
      continue;
    }
    const end = change.position + change.bytes.length;
    if (end > result.length) result = Buffer.concat([result, Buffer.alloc(end - result.length)]);
    change.bytes.copy(result, change.position);
  }
  return Buffer.from(result);
}

function parts(file: string): string[] {
  return path
    .resolve(file)
    .split('/')
    .filter((part) => part !== '');
}

function errno(code: string, syscall: string, file: string, detail?: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${detail ?? 'simulated'}, ${syscall} '${file}'`);
  error.code = code;
  error.syscall = syscall;
  error.path = file;
  return error;
}
