import { ClientException, PublishingMessage, SendReceipt } from 'rocketmq-client-nodejs';
import { BatchingProducer } from './batching-producer';

/** When a batch goes: after lingerMs, or as soon as it holds maxBatchMessages or maxBatchBytes. */
export interface SendBatchLimits {
  lingerMs: number;
  maxBatchMessages: number;
  maxBatchBytes: number;
}

interface PendingSend {
  message: PublishingMessage;
  resolve(receipt: SendReceipt): void;
  reject(error: unknown): void;
}

interface OpenBatch {
  sends: PendingSend[];
  bytes: number;
  timer?: NodeJS.Timeout;
}

/**
 * Collects sends per (topic, message type, message group) for up to lingerMs and hands each
 * collection to BatchingProducer.sendBatch as one SendMessage. Every caller gets its own receipt;
 * when the broker refuses a batch (all or nothing), its messages are sent again one by one so
 * only the culprit's caller sees the error. Batches of one FIFO message group are sent one after
 * the other, so the group keeps its order; other batches go concurrently.
 */
export class SendBatcher {
  private readonly open = new Map<string, OpenBatch>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly groupTails = new Map<string, Promise<void>>();

  constructor(
    private readonly producer: BatchingProducer,
    private readonly limits: SendBatchLimits,
  ) {}

  enqueue(message: PublishingMessage): Promise<SendReceipt> {
    const key = `${message.topic}\u0000${message.messageType}\u0000${message.messageGroup ?? ''}`;
    const bytes = message.body.length;
    let batch = this.open.get(key);
    if (batch && batch.bytes + bytes > this.limits.maxBatchBytes) {
      this.flush(key);
      batch = undefined;
    }
    if (!batch) {
      batch = { sends: [], bytes: 0 };
      this.open.set(key, batch);
    }
    const receipt = new Promise<SendReceipt>((resolve, reject) => batch.sends.push({ message, resolve, reject }));
    batch.bytes += bytes;
    if (batch.sends.length >= this.limits.maxBatchMessages || batch.bytes >= this.limits.maxBatchBytes) this.flush(key);
    else batch.timer ??= setTimeout(() => this.flush(key), this.limits.lingerMs);
    return receipt;
  }

  /** Sends every open batch now and waits until every batch in flight is answered (shutdown). */
  async flushAll(): Promise<void> {
    for (const key of [...this.open.keys()]) this.flush(key);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private flush(key: string): void {
    const batch = this.open.get(key);
    if (!batch) return;
    this.open.delete(key);
    if (batch.timer) clearTimeout(batch.timer);
    const group = batch.sends[0].message.messageGroup;
    const previous = group ? this.groupTails.get(key) : undefined;
    const sent: Promise<void> = (previous ? previous.then(() => this.dispatch(batch.sends)) : this.dispatch(batch.sends)).finally(() => {
      this.inFlight.delete(sent);
      if (group && this.groupTails.get(key) === sent) this.groupTails.delete(key);
    });
    this.inFlight.add(sent);
    if (group) this.groupTails.set(key, sent);
  }

  /** Never rejects: every outcome is handed to the callers. */
  private async dispatch(sends: PendingSend[]): Promise<void> {
    try {
      const receipts = await this.producer.sendBatch(sends.map((send) => send.message));
      sends.forEach((send, index) => send.resolve(receipts[index]));
    } catch (error) {
      if (sends.length === 1 || !(error instanceof ClientException)) {
        for (const send of sends) send.reject(error);
        return;
      }
      // The broker stored none of them: find out which message it refuses by sending each alone.
      for (const send of sends) {
        await this.producer.sendBatch([send.message]).then(
          ([receipt]) => send.resolve(receipt),
          (failure: unknown) => send.reject(failure),
        );
      }
    }
  }
}
