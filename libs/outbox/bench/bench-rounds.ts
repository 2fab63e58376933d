/**
 * Rounds of bench:outbox (`--rounds N`): the flows run N times, in alternating order (as listed,
 * then reversed, ...), so that no flow always runs first or last, and each target is judged on
 * the median over the rounds of a figure taken within one round (a ratio to pg-boss from the same
 * round, a tier's CPU from its own window). On this VM the rates move by 2x from hour to hour; a
 * ratio from one round follows the hour less than either rate, and a median of three or more
 * rounds drops the round a stall fell into.
 */

/** What the targets read of one flow's window. */
export interface RoundFlowFigures {
  endToEndRate: number;
  tiers: { appCpuMs: number; brokerCpuMs: number; postgresCpuMs: number };
}

/** Issue 13's targets, on the flows' names in bench:outbox. */
export const ISSUE_13_TARGETS = {
  /** half message tx/s over pg-boss's in the same round (stretch 1.5). */
  halfOverPgBoss: 1.0,
  halfOverPgBossStretch: 1.5,
  /** outbox mode tx/s over pg-boss's in the same round. */
  outboxOverPgBoss: 1.5,
  /** Half message: CPU ms per business transaction of the application side (callers and consumers) and of the broker. */
  halfAppCpuMs: 0.8,
  halfBrokerCpuMs: 0.3,
} as const;

/** The order of the flows in round `round` (0-based): as listed in even rounds, reversed in odd ones. */
export function roundOrder<T>(flows: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...flows] : [...flows].reverse();
}

/** The median (the mean of the two middle values for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** One target: the figure in every round, its median, and whether the median meets the bound. */
export interface TargetVerdict {
  figure: string;
  perRound: number[];
  median: number;
  bound: string;
  met: boolean;
}

/**
 * Issue 13's targets over the rounds, for the flows that ran: each figure is computed within a
 * round, then the median of the rounds is held against its bound. Targets whose flows did not
 * run are left out.
 */
export function judgeTargets(rounds: ReadonlyArray<ReadonlyMap<string, RoundFlowFigures>>): TargetVerdict[] {
  const verdicts: TargetVerdict[] = [];
  const has = (...flows: string[]): boolean => rounds.length > 0 && rounds.every((round) => flows.every((flow) => round.has(flow)));
  const add = (figure: string, bound: string, value: (round: ReadonlyMap<string, RoundFlowFigures>) => number, met: (median: number) => boolean): void => {
    const perRound = rounds.map(value);
    const middle = median(perRound);
    verdicts.push({ figure, perRound, median: middle, bound, met: met(middle) });
  };
  const rate = (round: ReadonlyMap<string, RoundFlowFigures>, flow: string): number => round.get(flow)!.endToEndRate;
  const t = ISSUE_13_TARGETS;
  if (has('half-message', 'pg-boss')) {
    add(
      'half message tx/s / pg-boss tx/s',
      `>= ${t.halfOverPgBoss} (stretch ${t.halfOverPgBossStretch})`,
      (round) => rate(round, 'half-message') / rate(round, 'pg-boss'),
      (m) => m >= t.halfOverPgBoss,
    );
  }
  if (has('outbox', 'pg-boss')) {
    add(
      'outbox mode tx/s / pg-boss tx/s',
      `>= ${t.outboxOverPgBoss}`,
      (round) => rate(round, 'outbox') / rate(round, 'pg-boss'),
      (m) => m >= t.outboxOverPgBoss,
    );
  }
  if (has('half-message')) {
    add(
      'half message: application CPU ms per tx',
      `<= ${t.halfAppCpuMs}`,
      (round) => round.get('half-message')!.tiers.appCpuMs,
      (m) => m <= t.halfAppCpuMs,
    );
    add(
      'half message: broker CPU ms per tx',
      `<= ${t.halfBrokerCpuMs}`,
      (round) => round.get('half-message')!.tiers.brokerCpuMs,
      (m) => m <= t.halfBrokerCpuMs,
    );
  }
  // A remote PostgreSQL's CPU is not measured (NaN): no verdict on it.
  const postgresMeasured = rounds.every((round) => [...round.values()].every((figures) => Number.isFinite(figures.tiers.postgresCpuMs)));
  if (has('half-message', 'pg-boss') && postgresMeasured) {
    add(
      "half message: PostgreSQL CPU / pg-boss's",
      '<= 1',
      (round) => round.get('half-message')!.tiers.postgresCpuMs / round.get('pg-boss')!.tiers.postgresCpuMs,
      (m) => m <= 1,
    );
  }
  return verdicts;
}
