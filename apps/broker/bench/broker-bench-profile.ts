/**
 * Reads a V8 .cpuprofile written by `node --cpu-prof` (the broker child under `--cpu-prof`) and
 * prints where the time went: self time per function with its TypeScript file:line (through the
 * inline source maps of the bench build), and per area (broker source, grpc-js, protobufjs, ...).
 */
import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixed, REPO_ROOT } from '@app/testkit';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const sourceMaps = new Map<string, SourceMap | undefined>();

/** The source map inlined in a built .js file (undefined for files without one). */
function sourceMapOf(file: string): SourceMap | undefined {
  if (!sourceMaps.has(file)) {
    let map: SourceMap | undefined;
    try {
      const match = /\/\/# sourceMappingURL=data:application\/json;base64,(\S+)\s*$/.exec(readFileSync(file, 'utf8'));
      if (match) map = new SourceMap(JSON.parse(Buffer.from(match[1], 'base64').toString('utf8')) as SourceMapPayload);
    } catch {
      map = undefined;
    }
    sourceMaps.set(file, map);
  }
  return sourceMaps.get(file);
}

/** `file:line` of a call frame, mapped to the TypeScript source when the frame is in the bench build. */
function locationOf(frame: CallFrame, buildDir: string): string {
  if (!frame.url) return '(native)';
  const file = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
  if (file.startsWith(buildDir)) {
    // tsc types findEntry as `{} | SourceMapping`; typescript-eslint's view of @types/node differs.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    const entry = sourceMapOf(file)?.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number } | undefined;
    if (entry?.originalSource) {
      const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : entry.originalSource;
      const repoRelative = path.relative(buildDir, path.resolve(path.dirname(file), source));
      return `${repoRelative.replace(/\.js$/, '.ts')}:${entry.originalLine! + 1}`;
    }
    return `${path.relative(buildDir, file)}:${frame.lineNumber + 1} (js)`;
  }
  const relative = file.startsWith(REPO_ROOT) ? path.relative(REPO_ROOT, file) : file;
  return `${relative}:${frame.lineNumber + 1}`;
}

/** The area a frame belongs to, for the per-area split. */
function areaOf(frame: CallFrame, buildDir: string): string {
  const url = frame.url;
  if (!url) {
    if (frame.functionName === '(garbage collector)') return 'garbage collector';
    if (frame.functionName === '(idle)') return 'idle';
    if (frame.functionName === '(program)') return 'program (native, unattributed)';
    return 'native';
  }
  if (url.includes(buildDir)) {
    const match = /apps\/broker\/src\/([^/]+)/.exec(url);
    return `broker src/${match ? match[1] : '?'}`;
  }
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (module) return module[1];
  // Repository sources run untranspiled (ts-node): one area per app or library.
  const own = /\/(apps|libs)\/([^/]+)\//.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  if (url.startsWith('node:')) return 'node internals';
  return 'other';
}

/**
 * Prints the top `top` functions by self time and the split per area, counting only samples
 * inside `windows` (CLOCK_MONOTONIC microseconds, V8's profile clock) when any are given.
 */
export function summarizeProfile(profileFile: string, buildDir: string, windows: Array<{ startUs: number; endUs: number }>, top = 25): void {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  const inWindow = (us: number): boolean => windows.length === 0 || windows.some((w) => us >= w.startUs && us < w.endUs);
  let totalUs = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (!inWindow(at)) continue;
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
    totalUs += delta;
  }
  if (totalUs === 0) {
    console.log(`profile ${path.basename(profileFile)}: no samples inside the measured windows`);
    return;
  }
  let idleUs = 0;
  const byFunction = new Map<string, { name: string; location: string; us: number }>();
  const byArea = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') idleUs += us;
    const location = locationOf(frame, buildDir);
    const name = frame.functionName || '(anonymous)';
    const key = `${name}@${location}`;
    const entry = byFunction.get(key) ?? { name, location, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
    const area = areaOf(frame, buildDir);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const lines: string[] = [];
  const scope = windows.length > 0 ? `inside ${windows.length} measured windows` : 'whole process lifetime';
  lines.push(
    `profile ${path.basename(profileFile)}, ${scope}: ${fixed(totalUs / 1e6, 1)} s sampled, ${fixed(busyUs / 1e6, 1)} s busy ` +
      `(${fixed((busyUs / totalUs) * 100, 0)}% of one core); shares below are of busy time`,
  );
  lines.push('top functions by self time:');
  const functions = [...byFunction.values()]
    .filter((f) => f.name !== '(idle)')
    .sort((a, b) => b.us - a.us)
    .slice(0, top);
  for (const f of functions) {
    lines.push(`  ${fixed(f.us / 1000, 0).padStart(7)} ms ${fixed((f.us / busyUs) * 100, 1).padStart(5)}%  ${f.name}  ${f.location}`);
  }
  lines.push('self time by area:');
  const areas = [...byArea.entries()]
    .filter(([area]) => area !== 'idle')
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15);
  for (const [area, us] of areas) lines.push(`  ${fixed(us / 1000, 0).padStart(7)} ms ${fixed((us / busyUs) * 100, 1).padStart(5)}%  ${area}`);
  for (const line of lines) console.log(line);
}
