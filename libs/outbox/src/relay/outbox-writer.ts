import { Inject, Injectable, Optional } from '@nestjs/common';
import { assertMqSendOptions, CONTENT_TYPE_PROPERTY, JsonSerializer, MQ_MODULE_OPTIONS, type MqSerializer, type ResolvedMqOptions } from '@app/mq';
import { OutboxDatabase } from '../outbox-database';
import { OutboxError } from '../outbox.errors';
import { ResolvedOutboxOptions } from '../outbox.defaults';
import { OUTBOX_MODULE_OPTIONS } from '../outbox.module-definition';
import { insertOutboxMessage, NewOutboxMessage, outboxInsert } from '../sql/outbox.sql';

/** The largest body enqueueWithCommit sends with the COMMIT; a larger one is inserted at once (64 KiB). */
export const MAX_BODY_WITH_COMMIT_BYTES = 64 * 1024;

/** One message for the outbox. Give `payload` (serialized at enqueue) or `body` (bytes as they are). */
export interface OutboxEntry {
  topic: string;
  payload?: unknown;
  body?: Buffer;
  tag?: string;
  keys?: readonly string[];
  /** FIFO message group: the relay sends a group's rows one after another, in enqueue order. */
  messageGroup?: string;
  properties?: Readonly<Record<string, string>>;
  /** Delivery time, handed to the broker (the topic must be a DELAY topic). */
  deliverAt?: Date;
}

/**
 * Writes messages into `mq_outbox` inside the caller's transaction (outbox mode): the row commits
 * or rolls back with the business change, and no broker is needed meanwhile. A `pg_notify` in the
 * same transaction wakes the relays at commit (PostgreSQL drops it on rollback).
 */
@Injectable()
export class OutboxWriter {
  private readonly serializer: MqSerializer;

  constructor(
    private readonly database: OutboxDatabase,
    @Inject(OUTBOX_MODULE_OPTIONS) private readonly options: ResolvedOutboxOptions,
    @Optional() @Inject(MQ_MODULE_OPTIONS) mqOptions?: ResolvedMqOptions,
  ) {
    // The module's serializer, so the consumer decodes what it would have from MqProducer.send().
    this.serializer = mqOptions?.serializer ?? new JsonSerializer();
  }

  /**
   * Enqueues one message and returns its outbox row id. Throws OUTBOX_ERR_NO_TRANSACTION outside
   * a transaction: a row written on its own would be sent even if the business change rolled back;
   * MQ_ERR_INVALID_OPTIONS for options MqProducer.send() would refuse (an empty key, an empty
   * message group, a group with a delivery time).
   */
  async enqueue(entry: OutboxEntry): Promise<string> {
    return this.insertNow(this.rowOf(entry, 'enqueue'));
  }

  /**
   * Enqueues one message with the transaction's COMMIT (TransactionRunner.atCommit): the row is
   * inserted in the COMMIT's round trip, one round trip fewer than `enqueue`, so its id is not
   * known before the commit and an insert that fails makes the commit fail. A rollback of the
   * transaction, or of the savepoint it was called in, drops it. Bodies above
   * `MAX_BODY_WITH_COMMIT_BYTES` (their literal would double them) and rows of a message group
   * (whose order is the order of their ids) are inserted at once instead.
   * Throws OUTBOX_ERR_NO_TRANSACTION outside a transaction.
   */
  async enqueueWithCommit(entry: OutboxEntry): Promise<void> {
    const message = this.rowOf(entry, 'enqueueWithCommit');
    // A group's rows are sent in id order, and enqueue() takes its id at once: a group's row takes
    // its id at once too, so that the order stays the order of the calls.
    if (message.body.length > MAX_BODY_WITH_COMMIT_BYTES || message.messageGroup !== undefined) await this.insertNow(message);
    else this.database.runner.atCommit(outboxInsert(this.options.schema, this.options.channel, message));
  }

  private insertNow(message: NewOutboxMessage): Promise<string> {
    return this.database.runner.inTransaction((sql) => insertOutboxMessage(sql, this.options.schema, this.options.channel, message));
  }

  private rowOf(entry: OutboxEntry, method: string): NewOutboxMessage {
    if (!this.database.runner.isTransactionActive()) {
      throw new OutboxError(
        'OUTBOX_ERR_NO_TRANSACTION',
        `OutboxWriter.${method}(${entry.topic}) needs an active transaction (@Transactional() or TransactionHost.withTransaction)`,
        {
          topic: entry.topic,
        },
      );
    }
    // What the relay's send would refuse (MQ_ERR_INVALID_OPTIONS) is refused now, in the caller's
    // transaction, rather than by the relay's every attempt until the row is marked failed.
    assertMqSendOptions(entry.topic, entry);
    const { body, properties } = this.encode(entry);
    return {
      topic: entry.topic,
      body,
      tag: entry.tag,
      keys: entry.keys,
      messageGroup: entry.messageGroup,
      properties,
      deliverAt: entry.deliverAt,
    };
  }

  /**
   * The body, and the content type the serializer names, kept beside it: the relay decodes the
   * body with it and sends the payload through MqProducer as if it had been sent directly.
   */
  private encode(entry: OutboxEntry): { body: Buffer; properties: Record<string, string> } {
    const payload = entry.body ?? entry.payload;
    const properties = { ...entry.properties };
    const contentType = this.serializer.contentTypeOf?.(payload);
    if (contentType !== undefined) properties[CONTENT_TYPE_PROPERTY] = contentType;
    return { body: this.serializer.serialize(payload), properties };
  }
}
