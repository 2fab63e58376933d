import { ConsumeResult, MessageView, SimpleConsumer, TransactionChecker } from 'rocketmq-client-nodejs';
import { TransactionResolution } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb';

export { TransactionResolution };

/** One check-back a checker was asked. */
export interface CheckCall {
  messageId: string;
  topic: string;
  /** 1 for the first check of this message, 2 for the second, ... */
  nth: number;
  atMs: number;
  body: string;
}

/**
 * A TransactionChecker for the official client that records every check-back and answers what
 * `decide` says. TRANSACTION_RESOLUTION_UNSPECIFIED is "unknown": the client then sends no
 * EndTransaction at all (Producer.onRecoverOrphanedTransactionCommand).
 */
export class RecordingChecker implements TransactionChecker {
  readonly calls: CheckCall[] = [];

  constructor(
    private readonly decide: (call: CheckCall, view: MessageView) => TransactionResolution = () => TransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED,
  ) {}

  async check(view: MessageView): Promise<TransactionResolution> {
    const nth = this.checksOf(view.messageId) + 1;
    const call: CheckCall = { messageId: view.messageId, topic: view.topic, nth, atMs: Date.now(), body: view.body.toString() };
    this.calls.push(call);
    return this.decide(call, view);
  }

  checksOf(messageId: string): number {
    return this.calls.filter((call) => call.messageId === messageId).length;
  }
}

/** Polls `condition` every `intervalMs` until it holds; fails after `timeoutMs` naming `what`. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Receives and acknowledges until `count` messages arrived or `timeoutMs` passed, then keeps
 * receiving for `quietMs` more to catch any duplicate. Returns everything received.
 */
export async function receiveAndAck(consumer: SimpleConsumer, count: number, timeoutMs = 20_000, quietMs = 0): Promise<MessageView[]> {
  const received: MessageView[] = [];
  const deadline = Date.now() + timeoutMs;
  while (received.length < count && Date.now() < deadline) await take(consumer, received);
  const quietUntil = Date.now() + quietMs;
  while (Date.now() < quietUntil) await take(consumer, received);
  return received;
}

async function take(consumer: SimpleConsumer, into: MessageView[]): Promise<void> {
  for (const message of await consumer.receive(16, 30_000)) {
    into.push(message);
    await consumer.ack(message);
  }
}

/** One message a FIFO test's listener processed: its group, its step (the body), and when. */
export interface ProcessedStep {
  group: string;
  step: number;
  startedAt: number;
  endedAt: number;
}

/** A push-consumer listener that records each message as a ProcessedStep, taking 0-15 ms. */
export function recordingStepListener(processed: ProcessedStep[]): { consume(message: MessageView): Promise<ConsumeResult> } {
  return {
    consume: async (message: MessageView) => {
      const startedAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 15));
      processed.push({ group: message.messageGroup!, step: Number(message.body.toString()), startedAt, endedAt: Date.now() });
      return ConsumeResult.SUCCESS;
    },
  };
}

/** Every group's steps came in send order (0..steps-1), and one at a time: each started after the previous one ended. */
export function expectEachGroupInOrder(processed: readonly ProcessedStep[], groups: readonly string[], steps: number): void {
  for (const group of groups) {
    const ofGroup = processed.filter((p) => p.group === group);
    expect(ofGroup.map((p) => p.step)).toEqual([...Array(steps).keys()]);
    for (let i = 1; i < ofGroup.length; i++) expect(ofGroup[i].startedAt).toBeGreaterThanOrEqual(ofGroup[i - 1].endedAt);
  }
}
