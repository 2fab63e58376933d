import { MessageView, SimpleConsumer, TransactionChecker } from 'rocketmq-client-nodejs';
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
