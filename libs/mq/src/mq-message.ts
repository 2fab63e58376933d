/**
 * What a handler receives and what a send takes: the project's own shapes over the official
 * client's `MessageView` / `MessageOptions`, so application code never imports the client.
 */

/** A received message: the decoded payload plus everything the broker says about it. */
export interface MqMessage<T = unknown> {
  /** The body decoded by the module's serializer (a Buffer when the serializer passes bytes through). */
  readonly payload: T;
  /** The raw body as it was on the wire. */
  readonly body: Buffer;
  readonly topic: string;
  /** The id the producer generated (stable across redeliveries). */
  readonly messageId: string;
  readonly tag?: string;
  /** Message keys; the first one is what idempotent consumers dedupe on by default. */
  readonly keys: readonly string[];
  /** FIFO message group, when the message has one. */
  readonly messageGroup?: string;
  /** 1 on the first delivery, +1 on every redelivery. */
  readonly deliveryAttempt: number;
  /** When the producer created the message. */
  readonly bornAt?: Date;
  /** The requested delivery time of a delayed message. */
  readonly deliverAt?: Date;
  /** User properties. */
  readonly properties: Readonly<Record<string, string>>;
  /** The consumer group this delivery belongs to (absent outside consumers, e.g. in check-backs). */
  readonly consumerGroup?: string;
}

/** Options of one send. `deliverAt` and `delayMs` are exclusive. */
export interface MqSendOptions {
  tag?: string;
  keys?: string[];
  /** FIFO message group: messages of one group are delivered in send order. */
  messageGroup?: string;
  /** Deliver at this time (a DELAY topic). */
  deliverAt?: Date;
  /** Deliver this many milliseconds from now (a DELAY topic). */
  delayMs?: number;
  properties?: Record<string, string>;
}

/** The broker's answer to a send. */
export interface MqSendReceipt {
  readonly messageId: string;
  /** Set for half messages (transactional sends). */
  readonly transactionId?: string;
  /** Queue offset of the message, when the broker reports one. */
  readonly offset?: number;
}
