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
  for (const dir of sourceDirs) await transpileTree(path.join(REPO_ROOT, dir), REPO_ROOT, outDir);
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

/**
 * Transpiles a .ts file or a folder of them (specs and .d.ts skipped) into `outDir`, keeping each
 * file's path relative to `root`. Inline source maps make stack traces and CPU profiles of a
 * child point at the TypeScript. Also used by the broker benchmark, whose `root` may be a git
 * snapshot rather than the working tree.
 */
export async function transpileTree(source: string, root: string, outDir: string): Promise<void> {
  if ((await fs.stat(source)).isDirectory()) {
    for (const entry of await fs.readdir(source, { withFileTypes: true })) {
      if (entry.isDirectory() || isTranspiled(entry.name)) await transpileTree(path.join(source, entry.name), root, outDir);
    }
    return;
  }
  const output = ts.transpileModule(await fs.readFile(source, 'utf8'), {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      inlineSourceMap: true,
    },
    fileName: source,
  });
  const target = path.join(outDir, path.relative(root, source)).replace(/\.ts$/, '.js');
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.writeFile(target, output.outputText);
}

function isTranspiled(name: string): boolean {
  return name.endsWith('.ts') && !name.endsWith('.spec.ts') && !name.endsWith('.d.ts');
}
