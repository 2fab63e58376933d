import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallbackProxy } from '../callback-proxy';
import { DemoStack, freeStackPorts } from '../demo-stack';
import { DemoToolchain } from '../demo-toolchain';
import { DEMO_DEFAULTS } from '../demo.defaults';
import { InvariantResult } from '../invariants';
import { ShopClient } from '../shop-client';
import { Timeline } from '../timeline';
import { formatVerdict, verifyStack } from '../verify';
import { Scenario } from './scenario';

/** How one scenario ended. */
export interface ScenarioOutcome {
  name: string;
  ok: boolean;
  durationMs: number;
  invariants: InvariantResult[];
  expectations: Array<{ name: string; ok: boolean; detail?: string }>;
  /** Why it could not run to the end (a start failure, a timeout), if it did not. */
  error?: string;
  /** Logs and broker store; kept on FAIL. */
  workDir: string;
}

/**
 * Scenario defaults: orders do not time out during a scenario (a crash scenario checks that an
 * order stays unpaid, not that it closes), and the notification ladder outlasts a restart.
 */
const SCENARIO_DEFAULTS = {
  orderTimeoutMs: 300_000,
  notifyRetryLadderMs: [500, 1_000, 2_000, 4_000, 8_000, 16_000],
};

/**
 * Runs one scenario on fresh processes, databases and broker store: start the stack, run the
 * script, wait for the system to settle and check every invariant plus the scenario's own
 * expectations, stop everything. PASS iff all hold.
 */
export async function runScenario(toolchain: DemoToolchain, scenario: Scenario, timeline: Timeline): Promise<ScenarioOutcome> {
  const startedAtMs = Date.now();
  const workDir = await mkdtemp(join(tmpdir(), `demo-scenario-${scenario.name}-`));
  timeline.heading(`Scenario ${scenario.name}: ${scenario.title}`);
  const expectations: ScenarioOutcome['expectations'] = [];
  const ports = await freeStackPorts();
  let proxy: CallbackProxy | undefined;
  let stack: DemoStack | undefined;
  let invariants: InvariantResult[] = [];
  let error: string | undefined;
  try {
    let merchantCallbackUrl: string | undefined;
    if (scenario.proxyFailFirst !== undefined) {
      proxy = new CallbackProxy(
        `http://${DEMO_DEFAULTS.host}:${ports.orderService}/callbacks/payment`,
        scenario.proxyFailFirst,
        (id, attempt, verdict, status) => timeline.add('receiver', `notification ${id.slice(0, 12)} attempt ${attempt}: ${verdict} -> ${status}`),
      );
      merchantCallbackUrl = await proxy.start();
    }
    stack = await DemoStack.start({
      ...SCENARIO_DEFAULTS,
      ...scenario.stack,
      build: toolchain.build,
      postgres: toolchain.postgres,
      timeline,
      label: scenario.name,
      workDir,
      ports,
      merchantCallbackUrl,
    });
    const shop = new ShopClient(stack.urls.orderService, stack.urls.payService);
    await scenario.run({
      stack,
      shop,
      timeline,
      proxy,
      expect: (name, ok, detail) => {
        expectations.push({ name, ok, detail });
        timeline.add('check', `${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` (${detail})` : ''}`);
      },
    });
    timeline.add('runner', 'waiting for the system to settle, then checking the invariants');
    const verdict = await verifyStack(stack, scenario.settleTimeoutMs ?? DEMO_DEFAULTS.settleTimeoutMs);
    invariants = verdict.results;
    timeline.write(`Invariants (settled after ${(verdict.waitedMs / 1000).toFixed(1)} s):\n${formatVerdict(verdict)}`);
  } catch (caught) {
    error = caught instanceof Error ? caught.message : String(caught);
    timeline.add('runner', `scenario aborted: ${error}`);
  } finally {
    await stack?.stop().catch(() => undefined);
    await proxy?.stop();
  }
  const ok = error === undefined && invariants.length > 0 && invariants.every((r) => r.problems.length === 0) && expectations.every((e) => e.ok);
  const durationMs = Date.now() - startedAtMs;
  timeline.write(`${ok ? 'PASS' : 'FAIL'} ${scenario.name} (${(durationMs / 1000).toFixed(1)} s)${ok ? '' : `; logs kept in ${workDir}/logs`}`);
  if (ok) await rm(workDir, { recursive: true, force: true });
  return { name: scenario.name, ok, durationMs, invariants, expectations, error, workDir };
}
