import { parseArgs } from 'node:util';
import { BrokerFuzzer, FUZZ_TARGETS, FuzzTarget } from './broker-fuzzer';
import { FuzzBroker } from './fuzz-broker';
import { runFuzzTarget } from './fuzz-run';

/**
 * `npm run fuzz -- [--runs N] [--seed S] [--only grpc,wire,telemetry,admin] [--no-shrink]`: the
 * fuzzer with a larger budget against a fresh in-process broker. Prints the seed first, then per
 * surface the runs and time, and any counterexample with the seed and path that replay it.
 * Exits 1 when an invariant broke.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '2000' },
      seed: { type: 'string' },
      only: { type: 'string' },
      'no-shrink': { type: 'boolean', default: false },
      'time-limit-s': { type: 'string' },
    },
  });
  const runs = Number(values.runs);
  const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31;
  if (!Number.isSafeInteger(runs) || runs < 1 || !Number.isSafeInteger(seed)) throw new Error('--runs and --seed must be integers');
  const targets = (values.only?.split(',') ?? [...FUZZ_TARGETS]) as FuzzTarget[];
  const unknown = targets.filter((target) => !FUZZ_TARGETS.includes(target));
  if (unknown.length > 0) throw new Error(`unknown --only target(s) ${unknown.join(', ')}; known: ${FUZZ_TARGETS.join(', ')}`);
  console.log(`fuzz seed=${seed} runs=${runs} targets=${targets.join(',')}`);

  const broker = await FuzzBroker.start();
  const fuzzer = new BrokerFuzzer(broker);
  let failed = false;
  try {
    for (const target of targets) {
      const timeLimitMs = values['time-limit-s'] !== undefined ? Number(values['time-limit-s']) * 1000 : undefined;
      const outcome = await runFuzzTarget(fuzzer, target, { seed, runs, timeLimitMs, noShrink: values['no-shrink'] });
      const rate = ((outcome.runs / outcome.durationMs) * 1000).toFixed(0);
      console.log(
        `${target}: ${outcome.runs} runs, ${outcome.skipped} skipped, ${(outcome.durationMs / 1000).toFixed(1)} s (${rate}/s)${outcome.interrupted ? ', interrupted by the time limit' : ''}: ${outcome.failure ? 'FAILED' : 'ok'}`,
      );
      if (outcome.failure) {
        failed = true;
        console.log(outcome.failure);
      }
    }
  } finally {
    await broker.stop();
  }
  console.log('answers by RPC/route and code:');
  for (const [key, count] of [...fuzzer.tally].sort(([a], [b]) => a.localeCompare(b))) console.log(`  ${key}: ${count}`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
