import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

/** Repository root (test/support/..). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/**
 * Transpiles TypeScript source folders to plain JavaScript in a temp dir, once, so tests that
 * spawn and kill many child processes start each one in ~100 ms instead of paying ts-node's
 * compile on every start. Paths keep their place relative to the repository root; bare imports
 * resolve through NODE_PATH (see `childEnv`).
 */
export async function buildForChildren(sourceDirs: string[]): Promise<ChildBuild> {
  const outDir = await fs.mkdtemp(path.join(os.tmpdir(), 'child-build-'));
  for (const dir of sourceDirs) await transpileDir(path.join(REPO_ROOT, dir), outDir);
  return {
    outDir,
    script: (relativeTsPath) => path.join(outDir, relativeTsPath.replace(/\.ts$/, '.js')),
    env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') },
    remove: () => fs.rm(outDir, { recursive: true, force: true }),
  };
}

export interface ChildBuild {
  outDir: string;
  /** The built .js path for a repository-relative .ts path. */
  script(relativeTsPath: string): string;
  env: NodeJS.ProcessEnv;
  remove(): Promise<void>;
}

async function transpileDir(dir: string, outDir: string): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      await transpileDir(file, outDir);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')) {
      const source = await fs.readFile(file, 'utf8');
      const output = ts.transpileModule(source, {
        compilerOptions: {
          module: ts.ModuleKind.CommonJS,
          target: ts.ScriptTarget.ES2022,
          esModuleInterop: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
        },
        fileName: file,
      });
      const target = path.join(outDir, path.relative(REPO_ROOT, file)).replace(/\.ts$/, '.js');
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, output.outputText);
    }
  }
}
