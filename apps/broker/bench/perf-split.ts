/**
 * Where each process's CPU went, from `perf` samples: `perf script -i perf.data -F pid,tid,ip,sym
 * | npm run -s bench:perf-split -- [--pid N ...] [--top N]`.
 *
 * Why beside bench:profile: a V8 `.cpuprofile` samples the main thread on a wall-clock timer, so
 * a thread preempted inside a system call (a loopback write that wakes PostgreSQL on two busy
 * cores) keeps being sampled in that call, and the profile shows no other thread. `perf record
 * -a` samples only what runs, on every thread: the kernel's share, V8's helper threads (concurrent
 * GC, optimizing compiler) and the main thread's JavaScript, all in CPU time. Run the processes
 * with `--perf-basic-prof` so JIT frames carry their function names; record a steady window, e.g.
 * `perf record -F 499 -a -g -o /tmp/perf.data -- sleep 8` while `bench:outbox` runs (its children
 * take the flag from BROKER_BENCH_NODE_FLAGS and OUTBOX_BENCH_CONSUMER_NODE_FLAGS).
 *
 * Each sample falls in one class, by its whole call chain: `compile` (V8's compilers), `gc`
 * (scavenges, marking, sweeping), `kernel` (the leaf frame is the kernel's: system calls, page
 * faults, the network stack a loopback write runs), else `js/native` (JavaScript, node and V8
 * runtime, libc). Printed per process, main thread and helper threads apart, then the main
 * thread's system calls and page faults and its heaviest JavaScript functions, by inclusive share
 * (the event loop's frames, on nearly every sample, left out). `--perf-basic-prof` maps are append-only: code
 * the GC moved or freed keeps its old name, so a JIT frame can carry the name of code that once
 * sat at its address (ts-node's compiler, early in a bench process); the classes do not depend
 * on JIT names.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export type SampleClass = 'compile' | 'gc' | 'kernel' | 'js/native';
export const SAMPLE_CLASSES: readonly SampleClass[] = ['js/native', 'kernel', 'gc', 'compile'];

/** One sample of `perf script -F pid,tid,ip,sym`: its process, thread and frames, leaf first. */
export interface PerfSample {
  pid: number;
  tid: number;
  /** `address symbol` per frame, leaf first. */
  frames: string[];
}

const COMPILE = /v8::internal::compiler::|v8::internal::maglev::|v8::internal::baseline::|Compile(Lazy|Optimized|Baseline)?\b|OptimizingCompileDispatcher/;
const GC =
  /Scaveng|ConcurrentMarking|MarkCompact|IncrementalMarking|Sweeper|MinorGC|MinorMark|Evacuat|v8::internal::Heap::(Collect|PerformGarbageCollection|Scavenge)|ArrayBufferSweeper/;

/** The class of one sample, by its call chain. */
export function classify(sample: PerfSample): SampleClass {
  const chain = sample.frames.join('\n');
  if (COMPILE.test(chain)) return 'compile';
  if (GC.test(chain)) return 'gc';
  const leafAddress = sample.frames[0]?.split(/\s+/, 1)[0] ?? '';
  // Kernel text sits in the top half of the address space (x86-64: 0xffff...).
  if (/^ffff[0-9a-f]{12}$/i.test(leafAddress)) return 'kernel';
  return 'js/native';
}

/** Splits `perf script` output into samples: a `pid/tid` header line, then one frame per line, a blank line after. */
export function* parseSamples(lines: Iterable<string>): Generator<PerfSample> {
  let current: PerfSample | undefined;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') {
      if (current) yield current;
      current = undefined;
      continue;
    }
    const header = /^(\d+)\/(\d+)\s*$/.exec(line);
    if (!current && header) {
      current = { pid: Number(header[1]), tid: Number(header[2]), frames: [] };
      continue;
    }
    current?.frames.push(line);
  }
  if (current) yield current;
}

/** Per process: samples by thread kind and class, and the main thread's functions by inclusive count. */
export interface ProcessSplit {
  pid: number;
  total: number;
  counts: Record<'main' | 'helpers', Record<SampleClass, number>>;
  mainFunctions: Map<string, number>;
}

/** A frame's function name: the symbol without its address, offset, or the module in parentheses. */
export function functionName(frame: string): string {
  const symbol = frame
    .trim()
    .replace(/^[0-9a-f]+\s+/i, '')
    .replace(/\s+\([^()]*\)$/, '');
  return symbol.replace(/\+0x[0-9a-f]+$/i, '');
}

export function splitByProcess(samples: Iterable<PerfSample>, pids?: ReadonlySet<number>): Map<number, ProcessSplit> {
  const empty = (): Record<SampleClass, number> => ({ 'js/native': 0, kernel: 0, gc: 0, compile: 0 });
  const splits = new Map<number, ProcessSplit>();
  for (const sample of samples) {
    if (sample.pid === 0 || (pids && !pids.has(sample.pid))) continue;
    let split = splits.get(sample.pid);
    if (!split) {
      split = { pid: sample.pid, total: 0, counts: { main: empty(), helpers: empty() }, mainFunctions: new Map() };
      splits.set(sample.pid, split);
    }
    split.total++;
    const main = sample.tid === sample.pid;
    split.counts[main ? 'main' : 'helpers'][classify(sample)]++;
    if (main) for (const name of new Set(sample.frames.map(functionName))) split.mainFunctions.set(name, (split.mainFunctions.get(name) ?? 0) + 1);
  }
  return splits;
}

/** A function on at least this share of the main thread's samples is the event loop's scaffolding (uv_run, node::Start). */
const ALWAYS_ON_STACK = 0.85;
/** Where the kernel is entered: the system call gate, each call's handler, a page fault. */
const KERNEL_ENTRY = /^(do_syscall_64|__x64_sys_\w+|asm_exc_page_fault)$/;

const percent = (part: number, whole: number): string => `${((100 * part) / Math.max(1, whole)).toFixed(1)}%`;

function main(): void {
  const { values } = parseArgs({ options: { pid: { type: 'string', multiple: true }, top: { type: 'string', default: '25' } } });
  const pids = values.pid ? new Set(values.pid.map(Number)) : undefined;
  const splits = splitByProcess(parseSamples(readFileSync(0, 'utf8').split('\n')), pids);
  if (splits.size === 0) {
    console.error('no samples: pipe `perf script -F pid,tid,ip,sym` into this (and check --pid)');
    process.exit(2);
  }
  for (const split of [...splits.values()].sort((a, b) => b.total - a.total).slice(0, pids ? undefined : 6)) {
    console.log(`\nprocess ${split.pid}: ${split.total} samples (shares of the process's samples)`);
    for (const kind of ['main', 'helpers'] as const) {
      const counts = split.counts[kind];
      const sum = SAMPLE_CLASSES.reduce((total, name) => total + counts[name], 0);
      const parts = SAMPLE_CLASSES.map((name) => `${name} ${percent(counts[name], split.total)}`).join(', ');
      console.log(`  ${kind === 'main' ? 'main thread   ' : 'helper threads'} ${percent(sum, split.total).padStart(6)}: ${parts}`);
    }
    const mainTotal = SAMPLE_CLASSES.reduce((total, name) => total + split.counts.main[name], 0);
    const list = (title: string, keep: (name: string) => boolean, top: number): void => {
      console.log(`  ${title}, by inclusive share of the main thread:`);
      [...split.mainFunctions]
        .filter(([name, count]) => keep(name) && count < ALWAYS_ON_STACK * mainTotal)
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .forEach(([name, count]) => console.log(`    ${percent(count, mainTotal).padStart(6)}  ${name}`));
    };
    list('main thread: system calls (do_syscall_64 and its entries) and page faults', (name) => KERNEL_ENTRY.test(name), 8);
    list('main thread: JavaScript functions', (name) => name.startsWith('JS:'), Number(values.top));
  }
}

if (require.main === module) main();
