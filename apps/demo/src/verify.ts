import { allHold, checkInvariants, InvariantResult } from './invariants';
import { DemoStack } from './demo-stack';
import { sleep } from './shop-client';
import { readSnapshot, SystemSnapshot } from './system-snapshot';

export interface Verdict {
  ok: boolean;
  results: InvariantResult[];
  snapshot: SystemSnapshot;
  /** How long it took the system to settle (or the timeout). */
  waitedMs: number;
}

const POLL_MS = 500;

/**
 * Reads both databases and the broker until every invariant holds (the system has settled:
 * check-backs answered, messages consumed, notifications delivered) or `timeoutMs` passes, and
 * returns the last verdict. Safety violations (a double payment) never heal, so waiting for them
 * only costs time on a failure.
 */
export async function verifyStack(stack: DemoStack, timeoutMs: number): Promise<Verdict> {
  const startedAtMs = Date.now();
  const sources = {
    ordersUrl: stack.databases.ordersUrl,
    paymentsUrl: stack.databases.paymentsUrl,
    admin: stack.admin,
    seedBalances: stack.buyers,
  };
  for (;;) {
    const snapshot = await readSnapshot(sources);
    const results = checkInvariants(snapshot);
    const waitedMs = Date.now() - startedAtMs;
    if (allHold(results) || waitedMs > timeoutMs) return { ok: allHold(results), results, snapshot, waitedMs };
    await sleep(POLL_MS);
  }
}

/** The invariants as PASS/FAIL lines with their violations. */
export function formatVerdict(verdict: Verdict): string {
  const lines = verdict.results.map((r) => `  ${r.problems.length === 0 ? 'ok  ' : 'FAIL'}  ${r.name}${r.problems.map((p) => `\n          - ${p}`).join('')}`);
  return lines.join('\n');
}
