/**
 * A sender process of the overload case (broker-bench-overload.ts): `node <this> <endpoint> <topic>
 * <seconds> <inFlight> <batch>` sends batches of 1 KiB messages as fast as the broker takes them
 * for `seconds`, backing off 10 ms after a busy answer, then prints one JSON line with what it
 * sent and what was refused, and exits.
 */
import { performance } from 'node:perf_hooks';
import { ProtoMessageFactory, RawBenchClient } from './broker-bench-clients';

async function main(): Promise<void> {
  const [endpoint, topic, secondsText, inFlightText, batchText] = process.argv.slice(2);
  const client = new RawBenchClient(endpoint, { ownConnection: true });
  const factory = new ProtoMessageFactory(topic, 8);
  const stopAt = performance.now() + Number(secondsText) * 1000;
  let stored = 0;
  let busy = 0;
  let failed = 0;
  let lastError = '';
  await Promise.all(
    Array.from({ length: Number(inFlightText) }, async () => {
      while (performance.now() < stopAt) {
        try {
          // Not `stored += await ...`: that reads `stored` before the await and loses the other workers' counts.
          const count = await client.send(factory.batch(Number(batchText)));
          stored += count;
        } catch (error) {
          const text = String(error);
          if (text.includes('TOO_MANY_REQUESTS')) busy++;
          else {
            failed++;
            lastError = text.slice(0, 300);
          }
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    }),
  );
  console.log(JSON.stringify({ msg: 'overload sender done', stored, busy, failed, lastError }));
  client.close();
  process.exit(0);
}

main().catch((error: unknown) => {
  console.log(JSON.stringify({ msg: 'overload sender failed', error: String(error) }));
  process.exit(1);
});
