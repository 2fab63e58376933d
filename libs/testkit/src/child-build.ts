import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as TypeScript from 'typescript';

/** Repository root (libs/testkit/src/../../..). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** Where the `@app/*` alias resolver lives; every build carries it (see `buildForChildren`). */
export const ALIAS_REGISTER_SOURCE = 'libs/testkit/src/app-alias-register.ts';

/** A path alias `@app/<name>` (tsconfig `paths`), as it appears in transpiled CommonJS. */
const ALIAS_REQUIRE = /require\(["']@app\/([a-z-]+)/g;

/** TypeScript is loaded on the first build only: child scripts that import this package never pay for it. */
let typescript: typeof TypeScript | undefined;
function ts(): typeof TypeScript {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, not at import
  typescript ??= require('typescript') as typeof TypeScript;
  return typescript;
}

/**
 * Transpiles TypeScript source folders to plain JavaScript in a temp dir, once, so tests that
 * spawn and kill many child processes start each one in ~100 ms instead of paying ts-node's
 * compile on every start. Paths keep their place relative to the repository root; bare imports
 * resolve through NODE_PATH (see `childEnv`). The build also holds every library the built code
 * reaches through an `@app/*` alias (and the libraries those reach), and the alias resolver
 * (ALIAS_REGISTER_SOURCE), which childEnv preloads in every child.
 */
export async function buildForChildren(sourceDirs: string[]): Promise<ChildBuild> {
  const outDir = await fs.mkdtemp(path.join(os.tmpdir(), 'child-build-'));
  const built = new Set<string>();
  for (const dir of sourceDirs) await transpileTree(path.join(REPO_ROOT, dir), REPO_ROOT, outDir, built);
  await transpileAliasClosure(REPO_ROOT, outDir, built);
  return {
    outDir,
    script: (relativeTsPath) => path.join(outDir, relativeTsPath.replace(/\.ts$/, '.js')),
    env: childEnv(outDir),
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
 * file's path relative to `root`; a folder's .js, .mjs, .css and .html files are copied as they are. Inline source maps make stack traces and CPU profiles of a
 * child point at the TypeScript. Also used by the broker benchmark, whose `root` may be a git
 * snapshot rather than the working tree.
 */
export async function transpileTree(source: string, root: string, outDir: string, built?: Set<string>): Promise<void> {
  if ((await fs.stat(source)).isDirectory()) {
    for (const entry of await fs.readdir(source, { withFileTypes: true })) {
      if (entry.isDirectory() || isTranspiled(entry.name)) await transpileTree(path.join(source, entry.name), root, outDir, built);
      else if (isAsset(entry.name)) await copyAsset(path.join(source, entry.name), root, outDir);
    }
    return;
  }
  const relative = path.relative(root, source);
  if (built?.has(relative)) return;
  const compiler = ts();
  const output = compiler.transpileModule(await fs.readFile(source, 'utf8'), {
    compilerOptions: {
      module: compiler.ModuleKind.CommonJS,
      target: compiler.ScriptTarget.ES2022,
      esModuleInterop: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      inlineSourceMap: true,
    },
    fileName: source,
  });
  const target = path.join(outDir, relative).replace(/\.ts$/, '.js');
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.writeFile(target, output.outputText);
  built?.add(relative);
}

/**
 * Adds to a build what its code reaches through `@app/<name>` (libs/<name>/src, then what that
 * reaches), and the alias resolver itself, so that no caller has to list a library's own
 * dependencies. `built` holds the root-relative .ts paths already in the build.
 */
export async function transpileAliasClosure(root: string, outDir: string, built: Set<string>): Promise<void> {
  await transpileTree(path.join(root, ALIAS_REGISTER_SOURCE), root, outDir, built);
  const librariesBuilt = new Set<string>();
  const scanned = new Set<string>();
  for (;;) {
    const wanted = new Set<string>();
    for (const file of built) {
      if (scanned.has(file)) continue;
      scanned.add(file);
      const text = await fs.readFile(path.join(outDir, file.replace(/\.ts$/, '.js')), 'utf8');
      for (const match of text.matchAll(ALIAS_REQUIRE)) if (!librariesBuilt.has(match[1])) wanted.add(match[1]);
    }
    if (wanted.size === 0) return;
    for (const name of wanted) {
      librariesBuilt.add(name);
      await transpileTree(path.join(root, 'libs', name, 'src'), root, outDir, built);
    }
  }
}

function isTranspiled(name: string): boolean {
  return name.endsWith('.ts') && !name.endsWith('.spec.ts') && !name.endsWith('.d.ts');
}

/** Files a module reads at run time as they are (the broker console's pages and styles, console/web). */
function isAsset(name: string): boolean {
  return /\.(js|mjs|css|html)$/.test(name);
}

async function copyAsset(source: string, root: string, outDir: string): Promise<void> {
  const target = path.join(outDir, path.relative(root, source));
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.copyFile(source, target);
}

/**
 * The environment of a child started from a build: bare imports resolve through NODE_PATH, and
 * every node process preloads the build's alias resolver (NODE_OPTIONS), so `@app/*` resolves in
 * any script of the build, whether or not it imports the resolver itself.
 */
export function childEnv(outDir: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const preload = `--require "${path.join(outDir, ALIAS_REGISTER_SOURCE.replace(/\.ts$/, '.js'))}"`;
  return { ...base, NODE_PATH: path.join(REPO_ROOT, 'node_modules'), NODE_OPTIONS: [base.NODE_OPTIONS, preload].filter(Boolean).join(' ') };
}
