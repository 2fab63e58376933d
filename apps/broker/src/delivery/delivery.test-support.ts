/** Helpers shared by the delivery specs: a Map-backed TopicsApi, a manual clock, a harness. */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { MemoryMessageStore } from '../store/memory-message-store';
import { MessageInput } from '../store/message-record';
import { MessageStore, StoreState } from '../store/message-store';
import { PERM_READ_WRITE, SubscriptionGroupConfig, TopicConfig, TopicsApi } from '../topics/topic-config';
import { DeliveryService } from './delivery-service';
import { DeliveryOptions } from './delivery-options';
import { ReceiveRequest, ReceiveResult, ReceivedMessage } from './delivery.types';

export const silentLogger = pino({ level: 'silent' });

/** TopicsApi over two Maps: enough for delivery tests until they run against TopicRegistry. */
export class FakeTopics implements TopicsApi {
  readonly topics = new Map<string, TopicConfig>();
  readonly groups = new Map<string, SubscriptionGroupConfig>();
  /** Every upsert call, for checking how the DLQ topic was created. */
  readonly upserts: Array<Partial<TopicConfig> & { name: string }> = [];
  autoCreateGroups = true;

  addTopic(name: string, queueNums = 1): TopicConfig {
    const config: TopicConfig = { name, readQueueNums: queueNums, writeQueueNums: queueNums, perm: PERM_READ_WRITE, messageType: 'NORMAL', system: false };
    this.topics.set(name, config);
    return config;
  }

  get(name: string): TopicConfig | undefined {
    return this.topics.get(name);
  }

  async getOrAutoCreate(name: string): Promise<TopicConfig | undefined> {
    return this.topics.get(name);
  }

  async upsert(config: Partial<TopicConfig> & { name: string }): Promise<TopicConfig> {
    this.upserts.push(config);
    const base = this.topics.get(config.name) ?? {
      name: config.name,
      readQueueNums: 8,
      writeQueueNums: 8,
      perm: PERM_READ_WRITE,
      messageType: 'NORMAL',
      system: false,
    };
    const merged: TopicConfig = { ...base, ...config };
    this.topics.set(config.name, merged);
    return merged;
  }

  async delete(name: string): Promise<boolean> {
    return this.topics.delete(name);
  }

  list(): TopicConfig[] {
    return [...this.topics.values()];
  }

  async getOrCreateGroup(group: string): Promise<SubscriptionGroupConfig | undefined> {
    const existing = this.groups.get(group);
    if (existing || !this.autoCreateGroups) return existing;
    return this.upsertGroup({ group });
  }

  async upsertGroup(config: Partial<SubscriptionGroupConfig> & { group: string }): Promise<SubscriptionGroupConfig> {
    const merged: SubscriptionGroupConfig = { maxDeliveryAttempts: 16, fifo: false, ...this.groups.get(config.group), ...config };
    this.groups.set(config.group, merged);
    return merged;
  }

  listGroups(): SubscriptionGroupConfig[] {
    return [...this.groups.values()];
  }

  async deleteGroup(group: string): Promise<boolean> {
    return this.groups.delete(group);
  }
}

/** A clock the test moves by hand, so invisibility and redelivery need no sleeping. */
export class ManualClock {
  constructor(public nowMs = 1_767_225_600_000) {}

  readonly now = (): number => this.nowMs;

  advance(ms: number): void {
    this.nowMs += ms;
  }
}

export const TOPIC = 'orders';
export const GROUP = 'order-service';
/** The proxy's shortest invisible duration for receive. */
export const INVISIBLE_MS = 30_000;

/** A test's broker slice: store, topics, clock and an open DeliveryService. */
export interface DeliveryHarness {
  store: MessageStore;
  topics: FakeTopics;
  clock: ManualClock;
  service: DeliveryService;
  stateDir: string;
  /** Opens a second DeliveryService on the same store, topics, clock and state directory. */
  reopen(options?: Partial<Omit<DeliveryOptions, 'stateDir' | 'now'>>): Promise<DeliveryService>;
}

/** Creates a MemoryMessageStore-backed harness with topic `orders` (one queue); call `cleanUp` in afterEach. */
export class DeliveryTestBed {
  private readonly dirs: string[] = [];
  private readonly services: DeliveryService[] = [];

  async create(options: Partial<Omit<DeliveryOptions, 'stateDir'>> = {}, store: MessageStore = new MemoryMessageStore()): Promise<DeliveryHarness> {
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'delivery-'));
    this.dirs.push(stateDir);
    if (store.state === StoreState.Created) await store.open();
    const topics = new FakeTopics();
    topics.addTopic(TOPIC);
    const clock = new ManualClock();
    const open = async (extra: Partial<Omit<DeliveryOptions, 'stateDir' | 'now'>>): Promise<DeliveryService> => {
      const service = new DeliveryService(store, topics, { now: clock.now, ...options, ...extra, stateDir }, silentLogger);
      await service.open();
      this.services.push(service);
      return service;
    };
    const service = await open({});
    return { store, topics, clock, service, stateDir, reopen: open };
  }

  /** A fresh temp directory, removed by cleanUp. */
  async tempDir(prefix: string): Promise<string> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  async cleanUp(): Promise<void> {
    for (const service of this.services.splice(0)) await service.close();
    for (const dir of this.dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Message `i` of a topic: id `m<i>`, body `body-<i>`. */
export function message(i: number, extra: Partial<MessageInput> = {}): MessageInput {
  return { topic: TOPIC, queueId: 0, messageId: `m${i}`, bornTimestampMs: 1_000 + i, body: Buffer.from(`body-${i}`), ...extra };
}

export async function append(store: MessageStore, ...inputs: MessageInput[]): Promise<void> {
  for (const input of inputs) {
    const result = await store.append(input);
    if (result.status !== 'ok') throw new Error(`append failed: ${JSON.stringify(result)}`);
  }
}

/** A receive of `orders` by `order-service` that answers at once, with every tag. */
export function receiveRequest(overrides: Partial<ReceiveRequest> = {}): ReceiveRequest {
  return {
    group: GROUP,
    topic: TOPIC,
    filter: { type: 'TAG', expression: '*' },
    batchSize: 32,
    invisibleDurationMs: INVISIBLE_MS,
    longPollingTimeoutMs: 0,
    clientId: 'client-1',
    ...overrides,
  };
}

/** The messages of an `ok` receive; anything else fails the case with the result shown. */
export function okMessages(result: ReceiveResult): ReceivedMessage[] {
  if (result.status !== 'ok') throw new Error(`expected an ok receive, got ${JSON.stringify(result)}`);
  return result.messages;
}

/** Message ids of received messages, in order. */
export function ids(messages: ReceivedMessage[]): string[] {
  return messages.map((received) => received.message.messageId);
}
