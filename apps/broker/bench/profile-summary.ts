/**
 * Prints where a process's CPU time went, from a V8 .cpuprofile: `npm run bench:profile --
 * <file.cpuprofile> [--top N] [--build DIR]`. The same summary `bench:broker -- --cpu-prof` prints
 * for the broker child, for any profile: take one with `node --cpu-prof --cpu-prof-dir=DIR ...`,
 * e.g. a benchmark run through `-r ts-node/register/transpile-only -r tsconfig-paths/register`.
 * `--build DIR` maps frames of a transpiled tree (child-build.ts) back to the TypeScript.
 */
import { parseArgs } from 'node:util';
import { summarizeProfile } from './broker-bench-profile';

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' }, build: { type: 'string' } },
  });
  if (positionals.length === 0) {
    console.error('usage: npm run bench:profile -- <file.cpuprofile> [...] [--top N] [--build DIR]');
    process.exit(2);
  }
  // Without --build no frame is in a transpiled tree: a directory name no path can start with.
  const buildDir = values.build ?? '\u0000';
  for (const file of positionals) summarizeProfile(file, buildDir, [], Number(values.top));
}

main();
