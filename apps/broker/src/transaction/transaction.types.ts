import { MessageInput, StoredMessage } from '../store/message-record';
import { AppendResult } from '../store/message-store';
import type { HalfMessageState, HalfMessageView, TransactionResolution } from '@app/admin-client';

/**
 * The contract of the broker's transaction layer (transaction-service.ts implements it; the
 * gRPC handlers and the admin API depend only on this).
 *
 * Half-message lifecycle:
 * ```
 *               EndTransaction(COMMIT) / check-back COMMIT / admin commit
 *   pending ---------------------------------------------------------> committed (delivered once)
 *      |  \
 *      |   \ EndTransaction(ROLLBACK) / check-back ROLLBACK / admin rollback
 *      |    `-------------------------------------------------------> rolled-back (never delivered)
 *      |
 *      | transactionCheckMax checks sent, still unresolved
 *      `--> check-max (copied to TRANS_CHECK_MAX_TIME_TOPIC; only an admin commit or rollback
 *           resolves it; clients are refused)
 * ```
 * Resolutions are final: the same resolution again is answered OK without a second delivery;
 * the opposite one is refused and changes nothing. (Unless `transactionExtensionsEnabled` is
 * off: then, as on Apache RocketMQ, each call is applied again; transaction-resolver.ts.)
 *
 * Resolutions, states and the half-message view are the admin API's contract (libs/admin-client).
 */
export type { HalfMessageState, HalfMessageView, TransactionResolution } from '@app/admin-client';

/** Who resolved a transaction (recorded in the op record, counted in metrics). */
export type TransactionSource = 'client' | 'server-check' | 'admin';

export type SendHalfResult = { status: 'ok'; transactionId: string; offset: number; storeTimestampMs: number } | Exclude<AppendResult, { status: 'ok' }>;

export interface EndTransactionRequest {
  topic: string;
  messageId: string;
  transactionId: string;
  resolution: TransactionResolution;
  source: TransactionSource;
}

export type EndTransactionResult =
  /** Applied, or (duplicate) the same resolution was already final: nothing delivered twice. */
  | { status: 'ok'; duplicate: boolean }
  /** Unknown transaction id, or its half message is gone (retention). */
  | { status: 'not-found'; reason: string }
  /** The opposite resolution is already final (or check-max for a client): refused, nothing changed. */
  | { status: 'conflict'; reason: string; state: HalfMessageState }
  /** The transaction id names a half message with another message id or topic. */
  | { status: 'mismatch'; reason: string }
  | { status: 'store-failed'; reason: string }
  | { status: 'not-running'; reason: string };

/**
 * How the check-back reaches producers. Owned here, implemented by the gRPC telemetry layer
 * (DESIGN.md section 2: nothing lower imports anything higher).
 */
export interface ProducerChannels {
  /**
   * Sends a RecoverOrphanedTransactionCommand for `half` to one live producer that publishes its
   * topic, spreading checks across several such producers. Returns the client id it was written
   * to, or undefined when no live producer of the topic is connected (then nothing was sent and
   * the check is not counted unless the transaction extensions are off).
   */
  sendCheck(half: StoredMessage, transactionId: string): string | undefined;
}

/** What an operator's check now did (TransactionApi.checkNow). */
export type CheckNowResult =
  { status: 'sent'; clientId: string; topic: string; messageId: string } | { status: 'not-found' | 'not-pending' | 'no-producer'; reason: string };

export interface TransactionApi {
  /**
   * Stores a half message durably (same flush policy as any append), invisible to consumers.
   * `checkImmunityMs`: the first check-back waits at least this long (the client's orphaned
   * transaction recovery setting or RocketMQ's CHECK_IMMUNITY_TIME_IN_SECONDS property).
   */
  sendHalfMessage(message: Omit<MessageInput, 'type'>, options: { producerGroup?: string; checkImmunityMs?: number }): Promise<SendHalfResult>;
  endTransaction(request: EndTransactionRequest): Promise<EndTransactionResult>;
  /** Half messages that are pending or in check-max, oldest first. */
  list(): HalfMessageView[];
  pendingCount(): number;
  /**
   * Optional hint from the telemetry layer: a producer of `topic` connected (or declared the
   * topic). Pending half messages of the topic whose last check found no live producer become
   * due at once instead of waiting for transactionCheckInterval. Added after the first version of
   * this contract; implementations without it simply retry on their interval, as this one does
   * with `transactionExtensionsEnabled` off.
   */
  producerAvailable?(topic: string): void;
  /**
   * An operator's check now: one check-back for the unresolved half message the transaction id
   * names, sent at once to a live producer of its topic (counted and traced like a scheduled one).
   */
  checkNow?(transactionId: string): Promise<CheckNowResult>;
}
