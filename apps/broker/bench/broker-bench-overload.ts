/**
 * Overload case of the broker benchmark (`--only overload`, issue 15's admission limits): two
 * sender processes send batches of 1 KiB messages as fast as the broker takes them, with no
 * consumer, for `seconds`; the broker's resident memory is sampled every 500 ms. Then the load
 * stops and the broker must still answer and give memory back. Figures: messages stored per
 * second, busy answers (TOO_MANY_REQUESTS: refused at once, retried by the senders), other
 * failures (must be none), the broker's peak RSS against the ceiling, and its RSS 5 s later.
 */
import { performance } from 'node:perf_hooks';
import { BenchBuild, BrokerBenchChild as BrokerChild, childEnv, fixed, JsonLineChild, REPO_ROOT, upsertTopic } from '@app/testkit';

/** The sender script, transpiled into the bench build with the broker. */
export const OVERLOAD_CHILD_SOURCES = ['apps/broker/bench/broker-bench-overload-sender.ts', 'apps/broker/bench/broker-bench-clients.ts'];
const SENDERS = 2;
const IN_FLIGHT_PER_SENDER = 32;
const BATCH = 32;
/** What the broker may hold at the peak of the run: the 1M-message RSS figure's ceiling plus the in-flight budget. */
export const OVERLOAD_RSS_CEILING_MB = 300 + 128;

export interface OverloadFigures {
  seconds: number;
  storedPerSecond: number;
  busy: number;
  failed: number;
  lastError: string;
  peakRssMb: number;
  rssAfterMb: number;
  servingAfter: boolean;
}

export async function measureOverload(build: BenchBuild, broker: BrokerChild, topic: string, seconds: number): Promise<OverloadFigures> {
  console.log(
    `\n== O. Overload: ${SENDERS} sender processes, ${IN_FLIGHT_PER_SENDER} batches of ${BATCH} x 1 KiB in flight each, no consumer, ${seconds} s ==`,
  );
  await upsertTopic(broker, topic, 8);
  let peakRssMb = broker.process.statusMb('VmRSS');
  const sampler = setInterval(() => (peakRssMb = Math.max(peakRssMb, broker.process.statusMb('VmRSS'))), 500);
  const startedAt = performance.now();
  const senders = Array.from(
    { length: SENDERS },
    (_, n) =>
      new JsonLineChild({
        name: `overload sender ${n + 1}`,
        args: [build.script(OVERLOAD_CHILD_SOURCES[0]), broker.grpcEndpoint, topic, String(seconds), String(IN_FLIGHT_PER_SENDER), String(BATCH)],
        env: childEnv(build.outDir),
        cwd: REPO_ROOT,
      }),
  );
  let results;
  try {
    results = await Promise.all(senders.map((sender) => sender.waitForLine((line) => String(line.msg).startsWith('overload sender'), (seconds + 60) * 1000)));
  } finally {
    clearInterval(sampler);
    for (const sender of senders) sender.kill('SIGKILL');
  }
  const elapsedS = (performance.now() - startedAt) / 1000;
  const sum = (field: 'stored' | 'busy' | 'failed') => results.reduce((total, line) => total + Number(line[field] ?? 0), 0);
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const rssAfterMb = broker.process.statusMb('VmRSS');
  const servingAfter = (await fetch(`${broker.adminUrl}/health`)).ok;
  const figures: OverloadFigures = {
    seconds,
    storedPerSecond: sum('stored') / elapsedS,
    busy: sum('busy'),
    failed: sum('failed') + results.filter((line) => line.msg !== 'overload sender done').length,
    lastError:
      results.map((line) => (typeof line.lastError === 'string' ? line.lastError : typeof line.error === 'string' ? line.error : '')).find(Boolean) ?? '',
    peakRssMb,
    rssAfterMb,
    servingAfter,
  };
  console.log(
    `stored ${fixed(figures.storedPerSecond, 0)} msgs/s, ${figures.busy} busy answers, ${figures.failed} failures${figures.lastError ? ` (${figures.lastError})` : ''}; ` +
      `broker RSS peak ${fixed(peakRssMb, 0)} MB (ceiling ${OVERLOAD_RSS_CEILING_MB} MB), ${fixed(rssAfterMb, 0)} MB 5 s after; /health ${servingAfter ? 'answers' : 'does NOT answer'}`,
  );
  return figures;
}
