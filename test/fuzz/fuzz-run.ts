import fc from 'fast-check';
import { BrokerFuzzer, FuzzTarget } from './broker-fuzzer';

/** The budget of one fuzz run. */
export interface FuzzBudget {
  seed: number;
  /** Runs per fuzzed surface. */
  runs: number;
  /** Stops a surface's runs (and its shrinking) after this long; what ran still counts. */
  timeLimitMs?: number;
  /** Report the first counterexample as found, without shrinking it. */
  noShrink?: boolean;
}

/** How one surface's runs went. */
export interface FuzzOutcome {
  target: FuzzTarget;
  runs: number;
  skipped: number;
  durationMs: number;
  interrupted: boolean;
  /** fast-check's report (seed, path, counterexample, error) when an invariant broke. */
  failure?: string;
}

/**
 * Runs one surface's property with the budget, then the liveness probe, and reports. The seed
 * and the path fast-check prints replay a counterexample exactly (`--seed S` and the same runs).
 */
export async function runFuzzTarget(fuzzer: BrokerFuzzer, target: FuzzTarget, budget: FuzzBudget): Promise<FuzzOutcome> {
  const startedAt = Date.now();
  const details = await fc.check(fuzzer.property(target), {
    seed: budget.seed,
    numRuns: budget.runs,
    endOnFailure: budget.noShrink ?? false,
    interruptAfterTimeLimit: budget.timeLimitMs,
    markInterruptAsFailure: false,
  });
  let failure = details.failed ? abbreviate(`${fc.defaultReportMessage(details)}\nFinding: ${String(details.errorInstance)}`) : undefined;
  if (!failure) {
    try {
      await fuzzer.assertAlive();
    } catch (error) {
      failure = `after ${details.numRuns} runs: ${String(error)}`;
    }
  }
  return { target, runs: details.numRuns, skipped: details.numSkips, durationMs: Date.now() - startedAt, interrupted: details.interrupted, failure };
}

/** Long runs of one character (the fuzzer's very long strings) shortened to `x{70000}`, so reports stay readable. */
function abbreviate(report: string): string {
  const short = report.replace(/(.)\1{40,}/g, (run, char: string) => `${char}{${run.length}}`);
  return short.length > 8_000 ? `${short.slice(0, 4_000)} …(${short.length - 8_000} characters left out)… ${short.slice(-4_000)}` : short;
}
