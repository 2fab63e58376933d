/**
 * Prints where a process's CPU time went, from a V8 .cpuprofile: `npm run bench:profile --
 * <file.cpuprofile> [--top N] [--build DIR] [--skip-first-s S] [--skip-last-s S]`. The same summary `bench:broker -- --cpu-prof` prints
 * for the broker child, for any profile: take one with `node --cpu-prof --cpu-prof-dir=DIR ...`,
 * e.g. a benchmark run through `-r ts-node/register/transpile-only -r tsconfig-paths/register`.
 * `--build DIR` maps frames of a transpiled tree (child-build.ts) back to the TypeScript.
 * `--skip-first-s` and `--skip-last-s` keep only the steady state of a whole-process profile
 * (startup, ts-node's compiling, and shutdown left out), e.g. `--skip-first-s 22 --skip-last-s 3`
 * for `bench:outbox --only half-message --seconds 15`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { summarizeProfile } from './broker-bench-profile';

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: 'string', default: '25' },
      build: { type: 'string' },
      'skip-first-s': { type: 'string', default: '0' },
      'skip-last-s': { type: 'string', default: '0' },
    },
  });
  if (positionals.length === 0) {
    console.error('usage: npm run bench:profile -- <file.cpuprofile> [...] [--top N] [--build DIR]');
    process.exit(2);
  }
  // Without --build no frame is in a transpiled tree: a directory name no path can start with.
  const buildDir = values.build ?? '\u0000';
  const skipFirstUs = Number(values['skip-first-s']) * 1e6;
  const skipLastUs = Number(values['skip-last-s']) * 1e6;
  for (const file of positionals) {
    const windows = skipFirstUs > 0 || skipLastUs > 0 ? [steadyWindow(file, skipFirstUs, skipLastUs)] : [];
    summarizeProfile(file, buildDir, windows, Number(values.top));
  }
}

/** The profile's span without its first and last microseconds given. */
function steadyWindow(file: string, skipFirstUs: number, skipLastUs: number): { startUs: number; endUs: number } {
  const { startTime, endTime } = JSON.parse(readFileSync(file, 'utf8')) as { startTime: number; endTime: number };
  return { startUs: startTime + skipFirstUs, endUs: endTime - skipLastUs };
}

main();
