import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTable } from '@app/admin-client';
import { DemoStack, freeStackPorts } from '../demo-stack';
import { DemoToolchain } from '../demo-toolchain';
import { allHold, InvariantResult } from '../invariants';
import { ShopClient, sleep } from '../shop-client';
import { readSnapshot, SystemSnapshot } from '../system-snapshot';
import { Timeline } from '../timeline';
import { formatVerdict, verifyStack } from '../verify';
import { ChaosDriver } from './chaos-driver';
import { ChaosLoad } from './chaos-load';
import { checkSafetyInvariants } from './safety-invariants';
import { SeededRandom } from './seeded-random';

export interface ChaosOptions {
  minutes: number;
  seed: number;
  /** An existing PostgreSQL server's superuser URL; embedded PostgreSQL otherwise. */
  databaseUrl?: string;
  /** Where the timeline goes (stdout for the CLI, a buffer in tests). */
  timeline?: Timeline;
  /** A prepared toolchain to share (tests); the run prepares and closes its own otherwise. */
  toolchain?: DemoToolchain;
}

export interface ChaosOutcome {
  ok: boolean;
  seed: number;
  /** Safety checks during the run, with their verdicts. */
  checks: Array<{ atMs: number; results: InvariantResult[] }>;
  /** The settled check at the end (every invariant). */
  final: InvariantResult[];
  faults: Record<string, number>;
  load: ChaosLoad['counts'];
  snapshot?: SystemSnapshot;
  workDir: string;
}

/** How the chaos run is shaped (see ChaosDriver for the faults). */
const CHAOS = {
  ordersPerSecond: 4,
  paidShare: 0.9,
  /** Long enough that a paid order never races its timeout; short enough that unpaid ones close within a run. */
  orderTimeoutMs: 45_000,
  payRetryWindowMs: 20_000,
  maxInFlight: 40,
  gapMs: { min: 2_000, max: 8_000 },
  /** Past the check-back timeout (transactionTimeOut, 3 s) and a few check intervals. */
  shortPauseMs: { min: 4_000, max: 8_000 },
  /** Past the consumers' invisible duration (30 s): their messages are redelivered. */
  longPauseMs: { min: 31_000, max: 35_000 },
  checkEveryMs: 60_000,
  /** Everything must settle this long after the faults stop. */
  settleTimeoutMs: 240_000,
  /**
   * Retries 0.5 s to 64 s apart (127.5 s in all) outlast the receiver (order-service) being gone
   * through two long pauses in a row with a short gap between (a 10-minute run had 31.8 s, 2.7 s
   * up, then 32.4 s, and a notification with the demo's 31.5 s ladder ended `failed`, as designed).
   */
  notifyRetryLadderMs: [500, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000],
  /** Balances no hour of payments (at most 2,000 cents each) can exhaust: a 402 would end the paying. */
  buyers: { alice: 1_000_000_000, bob: 1_000_000_000, carol: 1_000_000_000 } as Record<string, number>,
  /**
   * Each demo topic has one producer service; while it is paused its half messages are checked
   * back unanswered. The demo's check-back budget (transactionTimeOut 3 s + 15 checks 1 s apart)
   * is shorter than a long pause, so the broker would rightly move them to check-max for an
   * operator (the first hour-long run ended with 11 there). 60 checks outlast every pause.
   */
  brokerSettings: { transactionCheckMax: 60 } as Record<string, number>,
} as const;

/**
 * `npm run chaos -- --minutes N [--seed S]`: the demo's services under steady load while a
 * driver kills, restarts and pauses the broker and both services at random. Every minute the
 * invariants that hold at every instant are checked; at the end the faults stop, the system
 * settles, and every invariant is checked. Prints faults, client counts, and any violation with
 * the timeline around it. PASS iff nothing was ever violated.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosOutcome> {
  const timeline = options.timeline ?? new Timeline();
  const random = new SeededRandom(options.seed);
  timeline.heading(`Chaos: ${options.minutes} min, seed ${options.seed} (npm run chaos -- --minutes ${options.minutes} --seed ${options.seed})`);
  const toolchain = options.toolchain ?? (await DemoToolchain.prepare(timeline, options.databaseUrl));
  const workDir = await mkdtemp(join(tmpdir(), 'demo-chaos-'));
  const outcome: ChaosOutcome = { ok: false, seed: options.seed, checks: [], final: [], faults: {}, load: emptyCounts(), workDir };
  let stack: DemoStack | undefined;
  try {
    stack = await DemoStack.start({
      build: toolchain.build,
      postgres: toolchain.postgres,
      timeline,
      label: 'chaos',
      workDir,
      ports: await freeStackPorts(),
      orderTimeoutMs: CHAOS.orderTimeoutMs,
      notifyRetryLadderMs: CHAOS.notifyRetryLadderMs,
      buyers: CHAOS.buyers,
      brokerSettings: CHAOS.brokerSettings,
    });
    await runUnderFaults(stack, random, options.minutes, timeline, outcome);
    timeline.add('runner', 'faults stopped: waiting for the system to settle, then checking every invariant');
    const verdict = await verifyStack(stack, CHAOS.settleTimeoutMs);
    outcome.final = verdict.results;
    outcome.snapshot = verdict.snapshot;
    timeline.write(`Invariants at the end (settled after ${(verdict.waitedMs / 1000).toFixed(1)} s):\n${formatVerdict(verdict)}`);
    outcome.ok = verdict.ok && outcome.checks.every((check) => allHold(check.results));
  } catch (error) {
    timeline.add('runner', `chaos run aborted: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await stack?.stop().catch(() => undefined);
    if (!options.toolchain) await toolchain.close();
  }
  timeline.write(formatSummary(outcome, timeline));
  if (outcome.ok) await rm(workDir, { recursive: true, force: true });
  return outcome;
}

/** Load and faults for `minutes`, with a safety check every minute. */
async function runUnderFaults(stack: DemoStack, random: SeededRandom, minutes: number, timeline: Timeline, outcome: ChaosOutcome): Promise<void> {
  const load = new ChaosLoad({
    shop: new ShopClient(stack.urls.orderService, stack.urls.payService),
    random,
    buyers: Object.keys(stack.buyers),
    ordersPerSecond: CHAOS.ordersPerSecond,
    paidShare: CHAOS.paidShare,
    payRetryWindowMs: CHAOS.payRetryWindowMs,
    maxInFlight: CHAOS.maxInFlight,
  });
  const driver = new ChaosDriver({ stack, random, gapMs: CHAOS.gapMs, shortPauseMs: CHAOS.shortPauseMs, longPauseMs: CHAOS.longPauseMs });
  outcome.load = load.counts;
  outcome.faults = driver.counts;
  const endAtMs = Date.now() + minutes * 60_000;
  load.start();
  driver.start();
  try {
    while (Date.now() < endAtMs) {
      await sleep(Math.min(CHAOS.checkEveryMs, endAtMs - Date.now()));
      await safetyCheck(stack, timeline, outcome);
    }
  } finally {
    await driver.stop();
    await load.stop();
  }
  timeline.add('client', `load: ${JSON.stringify(load.counts)}`);
}

async function safetyCheck(stack: DemoStack, timeline: Timeline, outcome: ChaosOutcome): Promise<void> {
  const sources = { ordersUrl: stack.databases.ordersUrl, paymentsUrl: stack.databases.paymentsUrl, admin: stack.admin, seedBalances: stack.buyers };
  let results: InvariantResult[];
  try {
    results = checkSafetyInvariants(await readSnapshot(sources));
  } catch (error) {
    // The broker may be down or paused right now: its half of the snapshot is read next minute.
    timeline.add('check', `snapshot not read (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); next minute`);
    return;
  }
  outcome.checks.push({ atMs: timeline.elapsedMs(), results });
  const failed = results.filter((r) => r.problems.length > 0);
  timeline.add(
    'check',
    failed.length === 0 ? `ok   ${results.length} safety invariants` : `FAIL ${failed.map((r) => `${r.name}: ${r.problems.join('; ')}`).join(' | ')}`,
  );
}

function formatSummary(outcome: ChaosOutcome, timeline: Timeline): string {
  const faults = Object.entries(outcome.faults).sort(([a], [b]) => a.localeCompare(b));
  const snapshot = outcome.snapshot;
  const totals = snapshot
    ? `${snapshot.orders.length} orders (${snapshot.orders.filter((o) => o.status === 'PAID').length} PAID, ${snapshot.orders.filter((o) => o.status === 'CLOSED').length} CLOSED), ${snapshot.payments.length} payments`
    : 'no final snapshot';
  const lines = [
    '',
    formatTable(
      ['Fault', 'Count'],
      faults.map(([name, count]) => [name, String(count)]),
    ),
    `Client: ${JSON.stringify(outcome.load)}`,
    `System: ${totals}; ${outcome.checks.length} safety checks during the run`,
  ];
  if (!outcome.ok) {
    const violations = [...outcome.checks.flatMap((c) => c.results), ...outcome.final].filter((r) => r.problems.length > 0);
    lines.push('Violations:', ...violations.map((r) => `  ${r.name}: ${r.problems.join('; ')}`));
    lines.push(
      `Timeline of faults and checks:`,
      ...timeline.events
        .filter((e) => e.actor !== 'client')
        .slice(-60)
        .map((e) => `  ${(e.atMs / 1000).toFixed(1)}s ${e.actor} ${e.text}`),
    );
    lines.push(`Logs and broker store kept in ${outcome.workDir}; run again with --seed ${outcome.seed}`);
  }
  lines.push(`${outcome.ok ? 'PASS' : 'FAIL'} chaos (seed ${outcome.seed})`);
  return lines.join('\n');
}

function emptyCounts(): ChaosLoad['counts'] {
  return { ordersCreated: 0, orderCreateFailures: 0, ordersLeftUnpaid: 0, paid: 0, alreadyPaid: 0, paymentsRefused: 0, paymentsGivenUp: 0 };
}
