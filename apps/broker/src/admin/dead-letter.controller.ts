import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Optional,
  Query,
} from '@nestjs/common';
import { DELIVERY, MESSAGE_EVENTS, MESSAGE_STORE, PUBLISHER, TOPICS } from '../broker.tokens';
import { DeadLetterProperty } from '../delivery/dead-letter-queue';
import { DeliveryApi } from '../delivery/delivery.types';
import { Publisher } from '../publishing/publisher';
import { PublishRefusal } from '../publishing/publishing.types';
import { StoredMessage } from '../store/message-record';
import { MessageStore } from '../store/message-store';
import { dlqTopicOf, TopicsApi } from '../topics/topic-config';
import type { TraceSink } from '../trace/trace-events';
import { bodyObject, parseMax } from './admin-request';
import { assertAppended } from './append-result';
import { toMessageView } from './message-view';
import type { DeadLetterListResponse, DeadLetterResendResponse } from '@app/admin-client';

/**
 * A consumer group's dead-letter queue, the topic `%DLQ%<group>`: list its newest messages, and
 * resend one to the topic it came from (the `DLQ_ORIGIN_TOPIC` property the delivery engine
 * records, see delivery/dead-letter-queue.ts, or `{ "topic": ... }` in the body to choose another). A resent message keeps its
 * message id, keys, tag, message group, properties and body, so consumers that dedupe by id or
 * key see the same message; the dead-letter copy stays where it is. The resend goes through the
 * broker's write path (Publisher.republish): the topic's checks, and a FIFO message back on its
 * message group's queue, where the group's sends go.
 */
@Controller('groups/:group/dlq')
export class DeadLetterController {
  constructor(
    @Inject(MESSAGE_STORE) private readonly store: MessageStore,
    @Inject(PUBLISHER) private readonly publisher: Publisher,
    @Inject(TOPICS) private readonly topics: TopicsApi | undefined,
    @Inject(DELIVERY) private readonly delivery: DeliveryApi | undefined,
    @Optional() @Inject(MESSAGE_EVENTS) private readonly events: TraceSink | undefined,
  ) {}

  @Get()
  async list(@Param('group') group: string, @Query('max') max: unknown): Promise<DeadLetterListResponse> {
    const maxCount = parseMax(typeof max === 'string' ? max : undefined);
    const topic = dlqTopicOf(group);
    const queueIds = this.dlqQueueIds(group);
    const batches = await Promise.all(
      queueIds.map((queueId) => {
        const { minOffset, maxOffset } = this.store.getQueueBounds(topic, queueId);
        const from = Math.max(minOffset, maxOffset - maxCount);
        return this.store.readQueue(topic, queueId, from, maxOffset - from);
      }),
    );
    const total = queueIds.reduce((sum, queueId) => {
      const { minOffset, maxOffset } = this.store.getQueueBounds(topic, queueId);
      return sum + (maxOffset - minOffset);
    }, 0);
    const newestFirst = batches.flat().sort((a, b) => b.storeTimestampMs - a.storeTimestampMs || b.offset - a.offset);
    return { group, topic, total, messages: newestFirst.slice(0, maxCount).map(toMessageView) };
  }

  @Post(':messageId/resend')
  @HttpCode(200)
  async resend(@Param('group') group: string, @Param('messageId') messageId: string, @Body() rawBody: unknown): Promise<DeadLetterResendResponse> {
    const body = bodyObject(rawBody);
    if (body.topic !== undefined && (typeof body.topic !== 'string' || body.topic === '')) {
      throw new BadRequestException(`topic must be a non-empty string, got ${JSON.stringify(body.topic)}`);
    }
    const dead = await this.findDeadLetter(group, messageId);
    const target = body.topic ?? dead.properties[DeadLetterProperty.OriginTopic] ?? dead.properties[DeadLetterProperty.RetryTopic];
    if (target === undefined) {
      throw new ConflictException(
        `message ${JSON.stringify(messageId)} has no ${DeadLetterProperty.OriginTopic} property; name the topic to resend to with {"topic": "..."}`,
      );
    }
    const republished = await this.publisher.republish(dead, target);
    if ('refused' in republished) throw resendRefusal(republished);
    const { queueId } = republished;
    const [record] = assertAppended(republished.appended);
    this.events?.record({
      type: 'Resent',
      timeMs: Date.now(),
      messageId,
      topic: target,
      keys: dead.keys,
      group,
      deadLetterTopic: dlqTopicOf(group),
      queueId,
      commitLogOffset: record.offset,
    });
    return { group, messageId, topic: target, queueId, queueOffset: record.queueOffset, commitLogOffset: record.offset };
  }

  /** Queue ids of the group's dead-letter topic; 404 when neither the group nor its DLQ exists. */
  private dlqQueueIds(group: string): number[] {
    const topic = dlqTopicOf(group);
    const queueIds = this.store
      .listQueues()
      .filter(([t]) => t === topic)
      .map(([, queueId]) => queueId)
      .sort((a, b) => a - b);
    const known =
      queueIds.length > 0 ||
      this.topics?.get(topic) !== undefined ||
      this.topics?.listGroups().some((g) => g.group === group) ||
      this.delivery?.listGroups().includes(group);
    if (!known) throw new NotFoundException(`consumer group ${JSON.stringify(group)} does not exist`);
    return queueIds;
  }

  /** The newest record of the id in the group's dead-letter topic. */
  private async findDeadLetter(group: string, messageId: string): Promise<StoredMessage> {
    const topic = dlqTopicOf(group);
    const records = (await this.store.queryByMessageId(messageId)).filter((m) => m.topic === topic && m.queueOffset >= 0);
    if (records.length === 0) {
      throw new NotFoundException(`message ${JSON.stringify(messageId)} is not in the dead-letter queue ${JSON.stringify(topic)}`);
    }
    return records.reduce((newest, m) => (m.offset > newest.offset ? m : newest));
  }
}

/** A refused resend as the admin API answers it: 404 for an unknown topic, 409 for one that takes no writes. */
function resendRefusal(refusal: PublishRefusal): Error {
  switch (refusal.refused) {
    case 'topic-not-found':
      return new NotFoundException(`topic ${JSON.stringify(refusal.topic)} does not exist; create it or resend elsewhere`);
    case 'topic-not-writable':
      return new ConflictException(`topic ${JSON.stringify(refusal.topic.name)} is not writable (perm ${refusal.topic.perm})`);
    default:
      throw new Error(`a resend is not refused as ${refusal.refused}`);
  }
}
