import { chmod } from 'node:fs/promises';
import * as path from 'node:path';
import { makeDirectoryDurable, readFileIfExists, writeFileAtomic } from '../store/atomic-file';

/**
 * A JSON document `{ "<key>": [...] }` in the store's config folder, replaced atomically on each
 * write (writes queue behind each other) and, with `privateMode`, made readable by the broker's
 * user only: the users' and ACLs' files.
 */
export class JsonListFile<Item> {
  readonly file: string;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dir: string,
    fileName: string,
    private readonly key: string,
    private readonly parseItem: (item: unknown) => Item,
    private readonly privateMode = false,
  ) {
    this.file = path.join(dir, fileName);
  }

  /** The items (none when the file does not exist); throws naming the file when it is not such a document. */
  async read(): Promise<Item[]> {
    await makeDirectoryDurable(this.dir);
    const raw = await readFileIfExists(this.file);
    if (!raw) return [];
    let document: unknown;
    try {
      document = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      throw new Error(`${this.file} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    const items = (document as Record<string, unknown> | null)?.[this.key];
    if (!Array.isArray(items)) throw new Error(`${this.file} has no ${this.key} array`);
    return items.map((item) => this.parseItem(item));
  }

  write(items: readonly Item[]): Promise<void> {
    const text = JSON.stringify({ [this.key]: items }, null, 2) + '\n';
    const write = this.writes.then(async () => {
      await writeFileAtomic(this.file, text);
      if (this.privateMode) await chmod(this.file, 0o600);
    });
    this.writes = write.catch(() => undefined);
    return write;
  }

  /** Waits for the writes under way. */
  async idle(): Promise<void> {
    await this.writes;
  }
}
