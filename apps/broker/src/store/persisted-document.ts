import * as path from 'node:path';
import { makeDirectoryDurable, readFileIfExists, writeFileAtomic } from './atomic-file';
import { StoreFileSystem, nodeFileSystem } from './store-file-system';

/**
 * A state file written whole with writeFileAtomic, so after a crash it holds the last persisted
 * state or the one before it, never a mix. It tracks whether its owner changed anything since
 * the last write, and runs one write at a time (writes share the temp file); a change made
 * while a write is in flight stays dirty for the next persist().
 */
export class PersistedDocument {
  /** Bumped by every change; the file holds `persistedVersion`. */
  private version = 0;
  private persistedVersion = 0;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly fileSystem: StoreFileSystem = nodeFileSystem,
  ) {}

  /** True if a change has not been persisted yet. */
  get dirty(): boolean {
    return this.version !== this.persistedVersion;
  }

  /** Records that the owner's state changed. */
  markChanged(): void {
    this.version++;
  }

  /** Reads the file (creating its directory); undefined if it does not exist. Marks it clean. */
  async read(): Promise<string | undefined> {
    await makeDirectoryDurable(path.dirname(this.file), this.fileSystem);
    const raw = await readFileIfExists(this.file, this.fileSystem);
    this.version = 0;
    this.persistedVersion = 0;
    return raw?.toString('utf8');
  }

  /** Writes `serialize()` if anything changed since the last write; resolves true if it wrote. */
  persist(serialize: () => string): Promise<boolean> {
    const run = this.writes.then(() => this.writeIfDirty(serialize));
    this.writes = run.catch(() => undefined);
    return run;
  }

  private async writeIfDirty(serialize: () => string): Promise<boolean> {
    if (!this.dirty) return false;
    const version = this.version;
    await writeFileAtomic(this.file, serialize(), this.fileSystem);
    this.persistedVersion = version;
    return true;
  }
}
