import { Controller, Get, Inject } from '@nestjs/common';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BROKER_CONFIG, DELIVERY, MESSAGE_STORE, TOPICS, TRANSACTIONS } from '../broker.tokens';
import { BrokerConfig } from '../config/broker-config';
import { DeliveryApi } from '../delivery/delivery.types';
import { MessageStore } from '../store/message-store';
import { TopicsApi } from '../topics/topic-config';
import { isSystemTopicName } from '../topics/topic-validator';
import { TransactionApi } from '../transaction/transaction.types';
import { readBrokerVersion } from './cluster.controller';
import { groupSummary, knownGroups } from './group-summary';
import { halfMessageCounts } from './half-message-counts';
import type { GroupSummaryView, OverviewResponse } from '@app/admin-client';

/** How long a walk of the store directory's disk use is reused. */
const DISK_WALK_INTERVAL_MS = 10_000;

/** Most files the disk-use walk visits: a store holds a few hundred; a pathological one is not walked forever. */
const MAX_FILES_WALKED = 20_000;

/**
 * `GET /overview`: the console's first page in one request. Sums of queue offsets rather than
 * counters, so the figures survive a restart and two polls give the rates (the console divides
 * their difference by the time between them). Messages of system topics (dead-letter, retry,
 * schedule, transaction) and of the trace topics are not counted: they are not what users sent.
 */
@Controller('overview')
export class OverviewController {
  private readonly version = readBrokerVersion();
  private readonly startedAtMs = Date.now();
  private diskWalk: { atMs: number; bytes: Promise<number> } | undefined;

  constructor(
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(MESSAGE_STORE) private readonly store: MessageStore,
    @Inject(TOPICS) private readonly topics: TopicsApi | undefined,
    @Inject(DELIVERY) private readonly delivery: DeliveryApi | undefined,
    @Inject(TRANSACTIONS) private readonly transactions: TransactionApi | undefined,
  ) {}

  @Get()
  async overview(): Promise<OverviewResponse> {
    const userTopic = (topic: string): boolean => this.isUserTopic(topic);
    let messagesStored = 0;
    for (const [topic, queueId] of this.store.listQueues()) if (userTopic(topic)) messagesStored += this.store.getQueueBounds(topic, queueId).maxOffset;
    const groups: GroupSummaryView[] = [];
    let messagesConsumed = 0;
    for (const group of knownGroups(this.topics, this.delivery)) {
      const progress = this.delivery?.progress(group) ?? [];
      for (const p of progress) if (userTopic(p.topic)) messagesConsumed += p.consumerOffset;
      groups.push(groupSummary(group, this.topics, progress));
    }
    groups.sort((a, b) => b.totalLag - a.totalLag || a.group.localeCompare(b.group));
    const { minOffset, maxOffset } = this.store.getCommitLogBounds();
    const [diskUsedBytes, disk] = await Promise.all([this.storeDiskBytes(), fs.statfs(this.config.storeDir)]);
    return {
      brokerName: this.config.brokerName,
      version: this.version,
      nowMs: Date.now(),
      startedAtMs: this.startedAtMs,
      store: {
        commitLogBytes: maxOffset - minOffset,
        diskUsedBytes,
        diskFreeBytes: disk.bavail * disk.bsize,
        diskTotalBytes: disk.blocks * disk.bsize,
        damagedRecords: this.store.damagedRecords().total,
      },
      messagesStored,
      messagesConsumed,
      topicCount: (this.topics?.list() ?? []).filter((t) => userTopic(t.name)).length,
      halfMessages: halfMessageCounts(this.transactions?.list() ?? []),
      groups,
    };
  }

  /** Not a system topic (as the registry and Apache's TopicValidator name them, `rmq_sys_...` and `%...` included), nor a trace topic. */
  /**
   * The store directory's disk use, walked at most every DISK_WALK_INTERVAL_MS: the console polls
   * every 2 s, and a large store has thousands of files to stat; concurrent polls share one walk.
   */
  private storeDiskBytes(): Promise<number> {
    const nowMs = Date.now();
    if (!this.diskWalk || nowMs - this.diskWalk.atMs >= DISK_WALK_INTERVAL_MS) {
      this.diskWalk = { atMs: nowMs, bytes: directoryBytes(this.config.storeDir) };
    }
    return this.diskWalk.bytes;
  }

  private isUserTopic(topic: string): boolean {
    if (topic.startsWith('%') || isSystemTopicName(topic)) return false;
    if (topic === this.config.msgTraceTopicName || topic === this.config.appTraceTopicName) return false;
    return this.topics?.get(topic)?.system !== true;
  }
}

/** Bytes the files under `dir` take on disk (allocated blocks: a preallocated segment counts what it uses, as `du` does). */
async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  let visited = 0;
  const pending = [dir];
  while (pending.length > 0 && visited < MAX_FILES_WALKED) {
    const current = pending.pop()!;
    let entries;
    try {
      entries = await fs.readdir(current, { withFileTypes: true });
    } catch {
      continue; // Deleted while walked (retention, a state file's rename).
    }
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) pending.push(full);
      else if (entry.isFile()) {
        visited++;
        total += await fs
          .stat(full)
          .then((s) => s.blocks * 512)
          .catch(() => 0);
      }
    }
  }
  return total;
}
