import { CallHandler, ExecutionContext, Inject, Injectable, Logger, NestInterceptor, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type MqMessage, MqTraceReporter } from '@app/mq';
import { from, lastValueFrom, Observable } from 'rxjs';
import { OutboxDatabase } from '../outbox-database';
import { ResolvedOutboxOptions } from '../outbox.defaults';
import { OUTBOX_MODULE_OPTIONS } from '../outbox.module-definition';
import { insertConsumedKey } from '../sql/consumed.sql';
import { IdempotentConsumerGroupCommit } from './idempotent-consumer-group-commit';
import { errorCodeOf } from '../outbox.errors';
import { OutboxMetrics } from '../outbox.metrics';
import { runConsuming } from '../notification/notification-source';

/** Metadata key of @IdempotentConsumer (idempotent-consumer.decorator.ts), read here. */
export const IDEMPOTENT_CONSUMER_METADATA = 'app/outbox:idempotent-consumer';

/** What @IdempotentConsumer declares for the interceptor. */
export interface IdempotentConsumerMetadata {
  group: string;
  key?: (message: MqMessage) => string;
  /** Most messages per group commit; absent: each message in a transaction of its own. */
  groupCommitMessages?: number;
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
  /** One group commit per @IdempotentConsumer handler that asked for it (keyed by its metadata). */
  private readonly groupCommits = new WeakMap<IdempotentConsumerMetadata, IdempotentConsumerGroupCommit>();

  constructor(
    private readonly reflector: Reflector,
    private readonly database: OutboxDatabase,
    @Inject(OUTBOX_MODULE_OPTIONS) private readonly options: ResolvedOutboxOptions,
    private readonly metrics: OutboxMetrics,
    /** Each delivery's outcome goes to the message's trace (absent outside MqModule: none). */
    @Optional() private readonly trace?: MqTraceReporter,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const settings = this.reflector.get<IdempotentConsumerMetadata | undefined>(IDEMPOTENT_CONSUMER_METADATA, context.getHandler());
    // Declared by hand on something that is not an @IdempotentConsumer: nothing to dedupe on.
    if (!settings) return next.handle();
    const message = context.getArgByIndex<MqMessage>(0);
    const key = settings.key ? settings.key(message) : (message.keys[0] ?? message.messageId);
    // Whether the handler ran tells an applied delivery from a skipped duplicate (both resolve).
    let ran = false;
    // Notifications the handler creates belong to this message (their attempts go to its trace).
    const source = { messageId: message.messageId, topic: message.topic, keys: message.keys };
    const run = (): Promise<unknown> => {
      ran = true;
      return runConsuming(source, () => lastValueFrom<unknown, undefined>(next.handle(), { defaultValue: undefined }));
    };
    const startedAt = performance.now();
    const groupCommit = settings.groupCommitMessages !== undefined && settings.groupCommitMessages > 1;
    const done = groupCommit ? this.groupCommitOf(settings).submit(key, run) : this.runAlone(settings.group, key, run);
    // A delivery that resolved without running the handler was a duplicate (as the trace tells it).
    done.then(
      () => {
        if (!ran) this.metrics.duplicateSkipped(settings.group);
      },
      () => undefined,
    );
    if (this.trace?.enabled) {
      const report = (outcome: string, error?: unknown): void =>
        this.trace!.report({
          type: 'Consumed',
          timeMs: Date.now(),
          messageId: message.messageId,
          topic: message.topic,
          keys: message.keys,
          group: settings.group,
          outcome,
          durationMs: Math.round(performance.now() - startedAt),
          ...(error === undefined ? {} : { errorCode: errorCodeOf(error) }),
        });
      done.then(
        () => report(ran ? 'applied' : 'duplicate'),
        (error: unknown) => report('failed', error),
      );
    }
    return from(done);
  }

  /** The ordinary path: this delivery in a transaction of its own. */
  private runAlone(group: string, key: string, run: () => Promise<unknown>): Promise<unknown> {
    return this.database.runner.inTransaction(async (sql) => {
      const first = await insertConsumedKey(sql, this.options.schema, group, key);
      if (!first) {
        this.logger.debug(`skipped a duplicate of ${key} in group ${group}`);
        return undefined;
      }
      return run();
    });
  }

  private groupCommitOf(settings: IdempotentConsumerMetadata): IdempotentConsumerGroupCommit {
    let groupCommit = this.groupCommits.get(settings);
    if (!groupCommit) {
      groupCommit = new IdempotentConsumerGroupCommit(
        this.database.runner,
        this.options.schema,
        settings.group,
        settings.groupCommitMessages!,
        (key, run) => this.runAlone(settings.group, key, run),
        this.logger,
      );
      this.groupCommits.set(settings, groupCommit);
    }
    return groupCommit;
  }
}
