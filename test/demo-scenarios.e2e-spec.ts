import { DemoToolchain } from '../apps/demo/src/demo-toolchain';
import { PRODUCER_CRASH_SCENARIOS } from '../apps/demo/src/scenarios/producer-crash-scenarios';
import { Scenario } from '../apps/demo/src/scenarios/scenario';
import { SCENARIOS } from '../apps/demo/src/scenarios/scenario-registry';
import { runScenario } from '../apps/demo/src/scenarios/scenario-runner';
import { Timeline } from '../apps/demo/src/timeline';
import { ADMIN_URL_ENV } from '@app/testkit';

/**
 * The fast subset of the demo's crash scenarios (those marked `fast`), each on fresh processes,
 * databases and broker store, on the test run's PostgreSQL server. The full set, including the
 * broker crash, the consumer redelivery and the 200-order load, runs with
 * `npm run scenario -- all` (a few minutes). The fast producer crashes then run again with the
 * broker as Apache RocketMQ's (`transactionExtensionsEnabled=false`: repeated resolutions applied
 * again, check-backs counted whether or not a producer was there), the same invariants holding:
 * the services need neither extension.
 */
describe('demo scenarios (fast subset; all of them: npm run scenario -- all)', () => {
  let toolchain: DemoToolchain;
  const lines: string[] = [];
  const timeline = new Timeline((line) => lines.push(line));

  beforeAll(async () => {
    toolchain = await DemoToolchain.prepare(timeline, process.env[ADMIN_URL_ENV]);
  }, 60_000);

  afterAll(async () => {
    await toolchain?.close();
  });

  async function expectPass(scenario: Scenario): Promise<void> {
    lines.length = 0;
    const outcome = await runScenario(toolchain, scenario, timeline);
    // On failure the timeline says what happened; the logs stay in outcome.workDir.
    expect({ ok: outcome.ok, timeline: outcome.ok ? '' : lines.join('\n') }).toEqual({ ok: true, timeline: '' });
  }

  it.each(SCENARIOS.filter((s) => s.fast).map((s) => [s.name, s] as const))('%s', (_name, scenario) => expectPass(scenario), 90_000);

  it.each(PRODUCER_CRASH_SCENARIOS.filter((s) => s.fast).map((s) => [s.name, s] as const))(
    '%s, broker as Apache RocketMQ (transactionExtensionsEnabled=false)',
    (_name, scenario) => expectPass(asOnApache(scenario)),
    90_000,
  );
});

/** The scenario with the broker's transaction extensions off, checking the broker said so at start. */
function asOnApache(scenario: Scenario): Scenario {
  return {
    ...scenario,
    // A 3 s check interval: as on Apache, two check-backs whose answers overlap would both commit,
    // and the invariants count committed messages; the restarted producer answers well within 3 s.
    stack: {
      ...scenario.stack,
      brokerSettings: { ...scenario.stack?.brokerSettings, transactionExtensionsEnabled: false, transactionCheckInterval: 3_000 },
    },
    run: async (context) => {
      const off = context.stack.processes.broker.lines.some((line) => line.includes('transactionExtensionsEnabled=false'));
      context.expect('the broker runs without its transaction extensions', off);
      await scenario.run(context);
    },
  };
}
