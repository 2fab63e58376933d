import {
  MqEncodedBody,
  MqError,
  type MqHalfMessage,
  type MqSendOptions,
  type MqSendReceipt,
  type MqTransactionChecker,
  type MqTransactionResolution,
} from '@app/mq';

/** Where a scripted failure strikes: the preflight, the half send, EndTransaction (commit or rollback), a plain send. */
export type FakeProducerPoint = 'ensure-reachable' | 'send-half' | 'end-transaction' | 'send';

/** One call at a point, for `failWhen` to choose by. */
export interface FakeProducerCall {
  readonly topic: string;
  readonly options: MqSendOptions;
}

/** A half message the fake broker holds: `pending` until EndTransaction or a check-back ends it. */
export interface FakeHalfMessage {
  readonly topic: string;
  readonly messageId: string;
  readonly payload: unknown;
  readonly options: MqSendOptions;
  state: 'pending' | 'committed' | 'rolled-back';
}

/** A message sent with `send()`: `body` is the encoded body when the payload was an MqEncodedBody (the relay's). */
export interface FakeSentMessage {
  readonly topic: string;
  readonly messageId: string;
  readonly payload: unknown;
  readonly body: Buffer | undefined;
  readonly options: MqSendOptions;
}

/** MQ_ERR_BROKER_UNAVAILABLE, as libs/mq raises it when no broker answers: a wait, not a refusal. */
export function brokerUnavailableError(topic = 'any'): MqError {
  return new MqError('MQ_ERR_BROKER_UNAVAILABLE', `no broker answers for ${topic}`, { topic });
}

/** MQ_ERR_SEND_FAILED, as libs/mq raises it when the broker refuses a message. */
export function sendRefusedError(topic = 'any'): MqError {
  return new MqError('MQ_ERR_SEND_FAILED', `the broker refused a message of ${topic}`, { topic });
}

/**
 * MqProducer and MqTransactionProducer in memory, for unit specs without a broker: what libs/outbox
 * calls of them (`send`, `ensureReachable`, `sendHalf`, EndTransaction through the half message,
 * `registerChecker`), recording what reached the "broker". Provide it under both classes
 * (`{ provide: MqTransactionProducer, useValue: producer }`). `failNext` and `failWhen` script
 * failures; `checkBack(messageId)` asks the topic's registered checker as the broker would and
 * applies its answer.
 */
export class FakeMqProducer {
  /** Half messages in send order, with their current state. */
  readonly halves: FakeHalfMessage[] = [];
  /** Messages of `send()` that the broker accepted, in acceptance order. */
  readonly sent: FakeSentMessage[] = [];
  /** Every `send()` call, accepted or not, in call order. */
  readonly sendCalls: FakeProducerCall[] = [];
  private readonly checkers = new Map<string, MqTransactionChecker>();
  private readonly queued = new Map<FakeProducerPoint, Error[]>();
  private readonly conditions = new Map<FakeProducerPoint, (call: FakeProducerCall) => Error | undefined>();
  private ids = 0;

  /** The next `times` calls at `point` fail with `error`. */
  failNext(point: FakeProducerPoint, error: Error, times = 1): this {
    this.queued.set(point, [...(this.queued.get(point) ?? []), ...Array<Error>(times).fill(error)]);
    return this;
  }

  /** Every call at `point` for which `when` returns an error fails with it; `undefined` lifts the condition. */
  failWhen(point: FakeProducerPoint, when: ((call: FakeProducerCall) => Error | undefined) | undefined): this {
    if (when) this.conditions.set(point, when);
    else this.conditions.delete(point);
    return this;
  }

  registerChecker(topic: string, checker: MqTransactionChecker): void {
    if (this.checkers.has(topic)) throw new MqError('MQ_ERR_CHECKER_EXISTS', `a transaction checker for topic ${topic} is already registered`, { topic });
    this.checkers.set(topic, checker);
  }

  async ensureReachable(topic: string): Promise<void> {
    this.strike('ensure-reachable', { topic, options: {} });
  }

  async sendHalf(topic: string, payload: unknown, options: MqSendOptions = {}): Promise<MqHalfMessage> {
    this.strike('send-half', { topic, options });
    const half: FakeHalfMessage = { topic, messageId: this.nextId(), payload, options, state: 'pending' };
    this.halves.push(half);
    const end = async (resolution: 'committed' | 'rolled-back'): Promise<void> => {
      this.strike('end-transaction', { topic, options });
      if (half.state === 'pending') half.state = resolution;
    };
    return { topic, messageId: half.messageId, transactionId: half.messageId, commit: () => end('committed'), rollback: () => end('rolled-back') };
  }

  async send(topic: string, payload: unknown, options: MqSendOptions = {}): Promise<MqSendReceipt> {
    const call = { topic, options };
    this.sendCalls.push(call);
    this.strike('send', call);
    const messageId = this.nextId();
    this.sent.push({ topic, messageId, payload, body: payload instanceof MqEncodedBody ? payload.body : undefined, options });
    return { messageId };
  }

  /** The broker's check-back of a pending half message: asks its topic's checker and ends the message as it answers. */
  async checkBack(messageId: string): Promise<MqTransactionResolution> {
    const half = this.halves.find((candidate) => candidate.messageId === messageId);
    if (!half) throw new Error(`no half message ${messageId}`);
    const checker = this.checkers.get(half.topic);
    if (!checker) throw new Error(`no checker for topic ${half.topic}`);
    const resolution = await checker({
      payload: half.payload,
      body: Buffer.alloc(0),
      topic: half.topic,
      messageId,
      keys: half.options.keys ?? [],
      deliveryAttempt: 1,
      properties: {},
    });
    if (half.state === 'pending' && resolution !== 'UNKNOWN') half.state = resolution === 'COMMIT' ? 'committed' : 'rolled-back';
    return resolution;
  }

  private strike(point: FakeProducerPoint, call: FakeProducerCall): void {
    const queued = this.queued.get(point);
    const error = queued?.length ? queued.shift() : this.conditions.get(point)?.(call);
    if (error !== undefined) throw error;
  }

  private nextId(): string {
    return `fake-${String(++this.ids).padStart(6, '0')}`;
  }
}
