import { BrokerFuzzer, FUZZ_TARGETS } from './broker-fuzzer';
import { FuzzBroker } from './fuzz-broker';
import { runFuzzTarget } from './fuzz-run';

/**
 * The fuzzer in `npm test`: a fixed seed and a small budget, so it is deterministic and quick.
 * `npm run fuzz -- --runs N --seed S` runs the same properties with a larger budget.
 */
describe('broker fuzzing (fixed seed, small budget)', () => {
  const SEED = 20_240_518;
  const RUNS: Record<(typeof FUZZ_TARGETS)[number], number> = { grpc: 150, wire: 120, telemetry: 25, admin: 120 };
  let target: FuzzBroker;
  let fuzzer: BrokerFuzzer;

  beforeAll(async () => {
    target = await FuzzBroker.start();
    fuzzer = new BrokerFuzzer(target);
  });

  afterAll(async () => {
    await target?.stop();
  });

  it.each(FUZZ_TARGETS)('keeps every invariant under fuzzed %s input', async (surface) => {
    const outcome = await runFuzzTarget(fuzzer, surface, { seed: SEED, runs: RUNS[surface], timeLimitMs: 12_000 });
    expect(outcome.failure).toBeUndefined();
  });
});
