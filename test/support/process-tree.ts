import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** One process as /proc shows it (Linux only). */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** The argv, joined by spaces. */
  command: string;
}

/** Every live process, zombies left out (they have exited, only their exit status waits). */
export function listProcesses(): ProcessInfo[] {
  const processes: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProcess(Number(entry));
    if (info) processes.push(info);
  }
  return processes;
}

/** `root` and all its descendants, alive now. */
export function processTree(rootPid: number): ProcessInfo[] {
  const all = listProcesses();
  const inTree = new Set([rootPid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) {
      if (!inTree.has(p.pid) && inTree.has(p.ppid)) {
        inTree.add(p.pid);
        grew = true;
      }
    }
  }
  return all.filter((p) => inTree.has(p.pid));
}

/** Whether `pid` is still a running process (not gone, not a zombie). */
export function isAlive(pid: number): boolean {
  return readProcess(pid) !== undefined;
}

/** The working directory of a process, or undefined when it is gone or not ours to read. */
export function workingDirectoryOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may itself hold spaces and parentheses: parse after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z' || state === 'X') return undefined;
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { pid, ppid: Number(ppid), command };
  } catch {
    return undefined;
  }
}
