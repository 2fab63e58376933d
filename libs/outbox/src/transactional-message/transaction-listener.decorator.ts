import { Injectable } from '@nestjs/common';
import { MqMessage, MqTransactionResolution } from '@app/mq';

/** Metadata key of @TransactionListener on the class. */
export const TRANSACTION_LISTENER_METADATA = 'outbox:transaction-listener';

export interface TransactionListenerOptions {
  /** The transactional topic this listener executes and checks the local transactions of. */
  topic: string;
}

/** What `execute()` is given: the half message just stored by the broker. */
export interface HalfMessageSent<T = unknown> {
  readonly topic: string;
  readonly messageId: string;
  readonly transactionId: string;
  readonly payload: T;
}

/**
 * Explicit local-transaction control, rocketmq-spring style, for local transactions that are not
 * one database transaction. `execute` runs after the half message is stored and answers how the
 * local transaction ended; `check` answers the broker's check-back when that answer was UNKNOWN
 * or lost. Neither should throw: a throw counts as UNKNOWN.
 */
export interface TransactionListenerHandler<T = unknown, Arg = unknown> {
  execute(message: HalfMessageSent<T>, arg: Arg): Promise<MqTransactionResolution>;
  check(message: MqMessage<T>): Promise<MqTransactionResolution>;
}

/**
 * Marks a provider as the transaction listener of one topic (a singleton provider, listed in a
 * module as usual). OutboxModule's TransactionListenerExplorer registers its `check` as the
 * topic's check-back; `TransactionalSender.sendInTransaction()` calls its `execute`.
 */
export function TransactionListener(options: TransactionListenerOptions): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(TRANSACTION_LISTENER_METADATA, options, target);
    Injectable()(target);
  };
}
