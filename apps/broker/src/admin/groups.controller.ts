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
  UseFilters,
} from '@nestjs/common';
import { CLIENTS, ClientsApi, DELIVERY, TOPICS } from '../broker.tokens';
import { DeliveryApi, QueueProgress } from '../delivery/delivery.types';
import { SubscriptionGroupConfig, TopicsApi } from '../topics/topic-config';
import { groupNameProblem } from '../topics/topic-validator';
import { bodyObject, optionalInteger, parseTimestamp, required, requireString } from './admin-request';
import { groupSummary, knownGroups } from './group-summary';
import { StoreWriteErrorFilter } from './store-write-error.filter';
import { TopicConfigErrorFilter } from './topic-config-error.filter';
import type {
  GroupDeleteResponse,
  GroupDetailResponse,
  GroupListResponse,
  GroupSummaryView,
  GroupUpsertResponse,
  ResetOffsetResponse,
} from '@app/admin-client';

/** Fields `PUT /groups/:group` accepts. */
const UPSERT_FIELDS = new Set(['maxDeliveryAttempts', 'fifo']);

/**
 * Consumer groups (mqadmin updateSubGroup, deleteSubGroup, getConsumerConfig, consumerProgress,
 * resetOffsetByTime). A group is known when it has a stored configuration or the delivery engine
 * has state for it.
 */
@Controller('groups')
@UseFilters(TopicConfigErrorFilter, StoreWriteErrorFilter)
export class GroupsController {
  constructor(
    @Inject(TOPICS) private readonly topics: TopicsApi | undefined,
    @Inject(DELIVERY) private readonly delivery: DeliveryApi | undefined,
    @Optional() @Inject(CLIENTS) private readonly clients: ClientsApi | undefined,
  ) {}

  /** Every known group with its total lag and in-flight count. */
  @Get()
  list(): GroupListResponse {
    return { groups: knownGroups(this.topics, this.delivery).map((group) => this.summary(group, this.delivery?.progress(group) ?? [])) };
  }

  /** Configuration, progress per topic-queue (brokerOffset, consumerOffset, inFlight, lag) and the group's consumers the broker knows now. */
  @Get(':group')
  detail(@Param('group') group: string): GroupDetailResponse {
    const delivery = required(this.delivery, 'delivery engine');
    this.assertKnown(group);
    const progress = delivery.progress(group);
    const clients = (this.clients?.list() ?? []).filter((client) => client.group === group).sort((a, b) => a.clientId.localeCompare(b.clientId));
    return { ...this.summary(group, progress), progress, clients };
  }

  /**
   * Creates or updates a group's configuration: `maxDeliveryAttempts` (deliveries before the
   * dead-letter queue; Apache's retryMaxTimes + 1) and `fifo` (one in-flight message per message
   * group; Apache's consumeMessageOrderly). Fields not given keep their value, or the defaults
   * for a new group (16, false). 400 for an unknown field, a wrong type or a value out of range.
   */
  @Put(':group')
  @HttpCode(200)
  async upsert(@Param('group') group: string, @Body() rawBody: unknown): Promise<GroupUpsertResponse> {
    const registry = required(this.topics, 'topic registry');
    const body = bodyObject(rawBody);
    const unknown = Object.keys(body).filter((field) => !UPSERT_FIELDS.has(field));
    if (unknown.length > 0) throw new BadRequestException(`unknown field(s) ${unknown.join(', ')}; accepted: ${[...UPSERT_FIELDS].join(', ')}`);
    if (body.fifo !== undefined && typeof body.fifo !== 'boolean')
      throw new BadRequestException(`fifo must be true or false, got ${JSON.stringify(body.fifo)}`);
    const change: Partial<SubscriptionGroupConfig> & { group: string } = { group };
    const maxDeliveryAttempts = optionalInteger(body, 'maxDeliveryAttempts');
    if (maxDeliveryAttempts !== undefined) change.maxDeliveryAttempts = maxDeliveryAttempts;
    if (body.fifo !== undefined) change.fifo = body.fifo;
    const created = this.config(group) === null;
    return { created, config: await registry.upsertGroup(change) };
  }

  /** Forgets the group's configuration (its delivery progress stays); 404 when it has none. */
  @Delete(':group')
  async remove(@Param('group') group: string): Promise<GroupDeleteResponse> {
    const registry = required(this.topics, 'topic registry');
    if (!(await registry.deleteGroup(group))) throw new NotFoundException(`consumer group ${JSON.stringify(group)} has no configuration`);
    return { deleted: group };
  }

  /**
   * Moves the group, on every queue of `topic`, to the first message stored at or after
   * `timestamp` (ms since the epoch, or "now" to skip the backlog). A group not seen before is
   * created first when the broker auto-creates groups, so a new group can be positioned before
   * its consumers start.
   */
  @Post(':group/reset-offset')
  @HttpCode(200)
  async resetOffset(@Param('group') group: string, @Body() rawBody: unknown): Promise<ResetOffsetResponse> {
    const delivery = required(this.delivery, 'delivery engine');
    const body = bodyObject(rawBody);
    const topic = requireString(body, 'topic');
    if (body.timestamp === undefined) throw new BadRequestException('timestamp is required (ms since the epoch, or "now")');
    const timestampMs = parseTimestamp(body.timestamp, Date.now());
    const nameProblem = groupNameProblem(group);
    if (nameProblem) throw new BadRequestException(`invalid consumer group ${JSON.stringify(group)}: ${nameProblem}`);
    if (!this.isKnown(group) && (await this.topics?.getOrCreateGroup(group)) === undefined) {
      throw new NotFoundException(`consumer group ${JSON.stringify(group)} does not exist`);
    }
    if (this.topics && this.topics.get(topic) === undefined) throw new NotFoundException(`topic ${JSON.stringify(topic)} does not exist`);
    const offsets = await delivery.resetOffsetByTime(group, topic, timestampMs);
    return { group, topic, timestampMs, offsets };
  }

  private summary(group: string, progress: QueueProgress[]): GroupSummaryView {
    return groupSummary(group, this.topics, progress);
  }

  private config(group: string): SubscriptionGroupConfig | null {
    return this.topics?.listGroups().find((g) => g.group === group) ?? null;
  }

  private isKnown(group: string): boolean {
    return this.config(group) !== null || (this.delivery?.listGroups() ?? []).includes(group);
  }

  private assertKnown(group: string): void {
    if (!this.isKnown(group)) throw new NotFoundException(`consumer group ${JSON.stringify(group)} does not exist`);
  }
}
