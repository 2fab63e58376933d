import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Optional,
  Param,
  Post,
  Put,
  Query,
  UseFilters,
} from '@nestjs/common';
import { BROKER_CONFIG, MESSAGE_STORE, TOPICS, MESSAGE_EVENTS, PUBLISHER, TRANSACTIONS } from '../broker.tokens';
import { BrokerConfig } from '../config/broker-config';
import { writeQueueOf } from '../publishing/publish-rules';
import { Publisher } from '../publishing/publisher';
import { BORN_HOST_PROPERTY } from '../store/message-properties';
import type { TraceSink } from '../trace/trace-events';
import { newAdminMessageId } from './admin-message-id';
import { assertAppended } from './append-result';
import { parseTestMessage, testMessageType } from './test-message-request';
import { decodeCursor, encodeCursor, MAX_MESSAGES_PER_PAGE, readMessagePage } from './topic-message-pages';
import { MessageStore } from '../store/message-store';
import { TopicConfig, TopicMessageType, TopicsApi } from '../topics/topic-config';
import { TransactionApi } from '../transaction/transaction.types';
import { bodyObject, optionalInteger, parseMax, parseTimestamp, required } from './admin-request';
import { toMessageView } from './message-view';
import { StoreWriteErrorFilter } from './store-write-error.filter';
import { TopicConfigErrorFilter } from './topic-config-error.filter';
import { halfMessageCounts } from './half-message-counts';
import type {
  MessageKeyQueryResponse,
  QueueStatusView,
  TestMessageResponse,
  TopicListResponse,
  TopicMessagesPageResponse,
  TopicStatusResponse,
  TopicUpsertResponse,
} from '@app/admin-client';

/** Born host of a test message and client of its Pub trace step: how an operator tells it from a producer's. */
const ADMIN_CLIENT_ID = 'admin';

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
    @Inject(PUBLISHER) private readonly publisher: Publisher,
    @Inject(TRANSACTIONS) private readonly transactions: TransactionApi | undefined,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Optional() @Inject(MESSAGE_EVENTS) private readonly events: TraceSink | undefined,
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

  /**
   * With `?key=`: the messages whose keys include it, newest first (mqadmin queryMsgByKey).
   * Without: `?since=&until=[&max=&cursor=]`, the messages stored in [since, until) (ms since the
   * epoch; until defaults to now), oldest first, at most `max` a page (default 32, cut to 100);
   * `nextCursor` continues where the page stopped (topic-message-pages.ts).
   */
  @Get(':name/messages')
  async messages(
    @Param('name') name: string,
    @Query('key') key: unknown,
    @Query('max') max: unknown,
    @Query('since') since: unknown,
    @Query('until') until: unknown,
    @Query('cursor') cursor: unknown,
  ): Promise<MessageKeyQueryResponse | TopicMessagesPageResponse> {
    const maxCount = parseMax(typeof max === 'string' ? max : max === undefined ? undefined : JSON.stringify(max));
    if (key === undefined && since !== undefined) return this.byTime(name, { since, until, cursor, maxCount });
    if (typeof key !== 'string' || key === '') throw new BadRequestException('key is required (?key=...), or a time range (?since=...[&until=...])');
    this.assertStored(name);
    const messages = await this.store.queryByKey(name, key, maxCount);
    return { topic: name, key, messages: messages.map(toMessageView) };
  }

  /**
   * Sends one message to the topic as the console's "send a test message" (a NORMAL or FIFO
   * topic) through the broker's write path (the publisher's rules, queue and routing): a message
   * id made here in the clients' layout, born host `admin`, the message group's queue for FIFO,
   * else one spread by the id; traced as a Pub step from client `admin`. 400 for a TRANSACTION or
   * DELAY topic, a FIFO topic without messageGroup, an empty or too large body, a topic without
   * write permission; 404 for an unknown topic.
   */
  @Post(':name/messages')
  @HttpCode(200)
  async sendTestMessage(@Param('name') name: string, @Body() rawBody: unknown): Promise<TestMessageResponse> {
    const topic = this.existing(name);
    const { body, tag, keys, messageGroup } = parseTestMessage(bodyObject(rawBody), topic, this.config.maxMessageSizeBytes);
    const startedAtMs = Date.now();
    const messageId = newAdminMessageId(startedAtMs);
    const queueId = writeQueueOf(topic, { messageId, messageGroup });
    const input = {
      topic: name,
      queueId,
      messageId,
      bornTimestampMs: startedAtMs,
      tag,
      keys,
      messageGroup,
      properties: { [BORN_HOST_PROPERTY]: ADMIN_CLIENT_ID },
      body,
    };
    const plan = this.publisher.plan([{ input, messageType: testMessageType(messageGroup), delayed: false }]);
    // parseTestMessage let through a NORMAL or FIFO message without a delivery time: the publisher stores it.
    if ('refused' in plan || plan.route !== 'store') throw new Error(`a test message was planned as ${'refused' in plan ? plan.refused : plan.route}`);
    const [record] = assertAppended(await this.publisher.publish(plan));
    this.events?.record({
      type: 'Pub',
      timeMs: Date.now(),
      messageId,
      topic: name,
      keys,
      tag,
      messageType: messageGroup !== undefined ? 'Order_Msg' : 'Normal_Msg',
      bodyLength: body.length,
      clientId: ADMIN_CLIENT_ID,
      queueId,
      commitLogOffset: record.offset,
      costMs: Date.now() - startedAtMs,
    });
    return { messageId, topic: name, queueId, queueOffset: record.queueOffset };
  }

  private async byTime(name: string, query: { since: unknown; until: unknown; cursor: unknown; maxCount: number }): Promise<TopicMessagesPageResponse> {
    const nowMs = Date.now();
    const sinceMs = parseTimestamp(query.since, nowMs);
    const untilMs = query.until === undefined ? nowMs : parseTimestamp(query.until, nowMs);
    if (untilMs < sinceMs) throw new BadRequestException(`until (${untilMs}) is before since (${sinceMs})`);
    if (query.cursor !== undefined && typeof query.cursor !== 'string') throw new BadRequestException('cursor must be a string');
    const from = query.cursor ? decodeCursor(query.cursor) : undefined;
    this.assertStored(name);
    const queueIds = this.store
      .listQueues()
      .filter(([topic]) => topic === name)
      .map(([, queueId]) => queueId)
      .sort((a, b) => a - b);
    const page = await readMessagePage(this.store, name, queueIds, { sinceMs, untilMs, max: Math.min(query.maxCount, MAX_MESSAGES_PER_PAGE), from });
    return { topic: name, sinceMs, untilMs, messages: page.messages.map(toMessageView), nextCursor: page.next ? encodeCursor(page.next) : null };
  }

  private assertStored(name: string): void {
    if (this.topics?.get(name) === undefined && !this.store.listQueues().some(([topic]) => topic === name)) {
      throw new NotFoundException(`topic ${JSON.stringify(name)} does not exist`);
    }
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
