import { CallHandler, ExecutionContext, Inject, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { MqMessage } from '@app/mq';
import { from, lastValueFrom, Observable } from 'rxjs';
import { OutboxDatabase } from './outbox-database';
import { OUTBOX_RELAY_OPTIONS, ResolvedOutboxRelayOptions } from './outbox-relay.options';
import { insertConsumedKey } from './sql/consumed.sql';

/** Metadata key of @IdempotentConsumer (idempotent-consumer.decorator.ts), read here. */
export const IDEMPOTENT_CONSUMER_METADATA = 'app/outbox:idempotent-consumer';

/** What @IdempotentConsumer declares for the interceptor. */
export interface IdempotentConsumerMetadata {
  group: string;
  key?: (message: MqMessage) => string;
}

/**
 * Runs an @IdempotentConsumer handler once per (group, key): in one local transaction, insert
 * `mq_consumed(group, key) ON CONFLICT DO NOTHING`, then run the handler only if the row is new.
 * The primary key serialises concurrent deliveries of one key: the second waits for the first
 * transaction, then conflicts (it committed) or inserts (it rolled back). Handler errors
 * propagate after the rollback, so the consumer runner lets the broker redeliver.
 */
@Injectable()
export class IdempotentConsumerInterceptor implements NestInterceptor {
  private readonly logger = new Logger(IdempotentConsumerInterceptor.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly database: OutboxDatabase,
    @Inject(OUTBOX_RELAY_OPTIONS) private readonly options: ResolvedOutboxRelayOptions,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const settings = this.reflector.get<IdempotentConsumerMetadata | undefined>(IDEMPOTENT_CONSUMER_METADATA, context.getHandler());
    // Declared by hand on something that is not an @IdempotentConsumer: nothing to dedupe on.
    if (!settings) return next.handle();
    const message = context.getArgByIndex<MqMessage>(0);
    const key = settings.key ? settings.key(message) : (message.keys[0] ?? message.messageId);
    return from(
      this.database.runner.inTransaction(async (sql) => {
        const first = await insertConsumedKey(sql, this.options.schema, settings.group, key);
        if (!first) {
          this.logger.debug(`skipped a duplicate of ${key} in group ${settings.group} (message ${message.messageId})`);
          return undefined;
        }
        return lastValueFrom<unknown, undefined>(next.handle(), { defaultValue: undefined });
      }),
    );
  }
}
