import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Inject, NotFoundException, Param, Put, Query, UseFilters } from '@nestjs/common';
import { MESSAGE_STORE, TOPICS, TRANSACTIONS } from '../broker.tokens';
import { MessageStore } from '../store/message-store';
import { TopicConfig, TopicMessageType, TopicsApi } from '../topics/topic-config';
import { TransactionApi } from '../transaction/transaction.types';
import { bodyObject, optionalInteger, parseMax, required } from './admin-request';
import { toMessageView } from './message-view';
import { StoreWriteErrorFilter } from './store-write-error.filter';
import { TopicConfigErrorFilter } from './topic-config-error.filter';
import { halfMessageCounts } from './half-message-counts';
import type { MessageKeyQueryResponse, QueueStatusView, TopicListResponse, TopicStatusResponse, TopicUpsertResponse } from '@app/admin-client';

/** Fields `PUT /topics/:name` accepts; anything else is a 400, so a typo is not silently ignored. */
const UPSERT_FIELDS = new Set(['readQueueNums', 'writeQueueNums', 'perm', 'messageType']);

/**
 * Topics (mqadmin updateTopic, deleteTopic, topicList, topicStatus, queryMsgByKey). Names in
 * paths are URL-decoded by Express, so `%DLQ%g` is requested as `%25DLQ%25g`.
 */
@Controller('topics')
@UseFilters(TopicConfigErrorFilter, StoreWriteErrorFilter)
export class TopicsController {
  constructor(
    @Inject(TOPICS) private readonly topics: TopicsApi | undefined,
    @Inject(MESSAGE_STORE) private readonly store: MessageStore,
    @Inject(TRANSACTIONS) private readonly transactions: TransactionApi | undefined,
  ) {}

  @Get()
  list(): TopicListResponse {
    return { topics: this.registry().list() };
  }

  /**
   * Configuration plus, per queue, the readable offsets and the newest message's store time, and
   * the topic's unresolved half messages (invisible to consumers, so in no queue).
   */
  @Get(':name')
  async status(@Param('name') name: string): Promise<TopicStatusResponse> {
    const config = this.existing(name);
    const queueIds = new Set<number>();
    for (let queueId = 0; queueId < Math.max(config.readQueueNums, config.writeQueueNums); queueId++) queueIds.add(queueId);
    // Queues beyond the configured count still hold messages after the topic was shrunk.
    for (const [topic, queueId] of this.store.listQueues()) if (topic === name) queueIds.add(queueId);
    const queues = await Promise.all([...queueIds].sort((a, b) => a - b).map((queueId) => this.queueStatus(name, queueId)));
    const totalMessages = queues.reduce((sum, q) => sum + (q.maxOffset - q.minOffset), 0);
    const halfMessages = halfMessageCounts((this.transactions?.list() ?? []).filter((view) => view.topic === name));
    return { config, queues, totalMessages, halfMessages };
  }

  /** Creates or updates; fields not given keep their value (or the defaults on creation). */
  @Put(':name')
  @HttpCode(200)
  async upsert(@Param('name') name: string, @Body() rawBody: unknown): Promise<TopicUpsertResponse> {
    const body = bodyObject(rawBody);
    const unknown = Object.keys(body).filter((field) => !UPSERT_FIELDS.has(field));
    if (unknown.length > 0) {
      throw new BadRequestException(`unknown field(s) ${unknown.join(', ')}; accepted: ${[...UPSERT_FIELDS].join(', ')}`);
    }
    if (body.messageType !== undefined && typeof body.messageType !== 'string') {
      throw new BadRequestException(`messageType must be a string, got ${JSON.stringify(body.messageType)}`);
    }
    const registry = this.registry();
    const created = registry.get(name) === undefined;
    const change: Partial<TopicConfig> & { name: string } = { name };
    const readQueueNums = optionalInteger(body, 'readQueueNums');
    const writeQueueNums = optionalInteger(body, 'writeQueueNums');
    const perm = optionalInteger(body, 'perm');
    if (readQueueNums !== undefined) change.readQueueNums = readQueueNums;
    if (writeQueueNums !== undefined) change.writeQueueNums = writeQueueNums;
    if (perm !== undefined) change.perm = perm;
    if (body.messageType !== undefined) change.messageType = body.messageType.toUpperCase() as TopicMessageType;
    const topic = await registry.upsert(change);
    return { created, topic };
  }

  /** Forgets the topic's configuration; its stored messages expire with retention. */
  @Delete(':name')
  async remove(@Param('name') name: string): Promise<{ deleted: string }> {
    if (!(await this.registry().delete(name))) throw new NotFoundException(`topic ${JSON.stringify(name)} does not exist`);
    return { deleted: name };
  }

  /** Messages whose keys include `key`, newest first (mqadmin queryMsgByKey). */
  @Get(':name/messages')
  async byKey(@Param('name') name: string, @Query('key') key: unknown, @Query('max') max: unknown): Promise<MessageKeyQueryResponse> {
    if (typeof key !== 'string' || key === '') throw new BadRequestException('key is required (?key=...)');
    const maxCount = parseMax(typeof max === 'string' ? max : max === undefined ? undefined : JSON.stringify(max));
    if (this.topics?.get(name) === undefined && !this.store.listQueues().some(([topic]) => topic === name)) {
      throw new NotFoundException(`topic ${JSON.stringify(name)} does not exist`);
    }
    const messages = await this.store.queryByKey(name, key, maxCount);
    return { topic: name, key, messages: messages.map(toMessageView) };
  }

  private registry(): TopicsApi {
    return required(this.topics, 'topic registry');
  }

  private existing(name: string): TopicConfig {
    const config = this.registry().get(name);
    if (!config) throw new NotFoundException(`topic ${JSON.stringify(name)} does not exist`);
    return config;
  }

  private async queueStatus(topic: string, queueId: number): Promise<QueueStatusView> {
    const { minOffset, maxOffset } = this.store.getQueueBounds(topic, queueId);
    let lastUpdateTimestampMs: number | null = null;
    if (maxOffset > minOffset) {
      // One consume-queue lookup and one record read per queue: cheap for an admin request.
      const [entry] = this.store.getQueueEntries(topic, queueId, maxOffset - 1, 1);
      const message = entry ? await this.store.readMessage(entry.commitLogOffset, entry.size) : undefined;
      lastUpdateTimestampMs = message?.storeTimestampMs ?? null;
    }
    return { queueId, minOffset, maxOffset, lastUpdateTimestampMs };
  }
}
