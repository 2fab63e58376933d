import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Keeps docs/errors.md and the code in step (STYLE 11): every `*_ERR_*` code the source defines
 * is documented, and every documented code still exists.
 */
const ROOT = path.resolve(__dirname, '..');
const CODE = /['"`]([A-Z]+_ERR_[A-Z0-9_]+)['"`]/g;

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(full)));
    else if (entry.name.endsWith('.ts') && !entry.name.includes('.spec.')) files.push(full);
  }
  return files;
}

describe('docs/errors.md', () => {
  it('lists exactly the error codes the source defines', async () => {
    const inSource = new Set<string>();
    for (const dir of ['apps', 'libs', 'test/support']) {
      for (const file of await sourceFiles(path.join(ROOT, dir))) {
        for (const match of (await fs.readFile(file, 'utf8')).matchAll(CODE)) inSource.add(match[1]);
      }
    }
    const doc = await fs.readFile(path.join(ROOT, 'docs', 'errors.md'), 'utf8');
    const inDocs = new Set([...doc.matchAll(/`([A-Z]+_ERR_[A-Z0-9_]+)`/g)].map((m) => m[1]));
    expect(inSource.size).toBeGreaterThan(0);
    expect([...inSource].filter((code) => !inDocs.has(code))).toEqual([]);
    expect([...inDocs].filter((code) => !inSource.has(code))).toEqual([]);
  });
});
