import { DemoToolchain } from '../apps/demo/src/demo-toolchain';
import { SCENARIOS } from '../apps/demo/src/scenarios/scenario-registry';
import { runScenario } from '../apps/demo/src/scenarios/scenario-runner';
import { Timeline } from '../apps/demo/src/timeline';
import { ADMIN_URL_ENV } from '@app/testkit';

/**
 * The fast subset of the demo's crash scenarios (those marked `fast`), each on fresh processes,
 * databases and broker store, on the test run's PostgreSQL server. The full set, including the
 * broker crash, the consumer redelivery and the 200-order load, runs with
 * `npm run scenario -- all` (a few minutes).
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

  it.each(SCENARIOS.filter((s) => s.fast).map((s) => [s.name, s] as const))(
    '%s',
    async (_name, scenario) => {
      lines.length = 0;
      const outcome = await runScenario(toolchain, scenario, timeline);
      // On failure the timeline says what happened; the logs stay in outcome.workDir.
      expect({ ok: outcome.ok, timeline: outcome.ok ? '' : lines.join('\n') }).toEqual({ ok: true, timeline: '' });
    },
    90_000,
  );
});
