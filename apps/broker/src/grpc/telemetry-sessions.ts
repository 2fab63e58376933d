import { ClientTypeName, Settings, TelemetryCommand } from './messaging.types';

/** What the registry knows of one client. */
export interface ClientView {
  clientId: string;
  role: ClientTypeName | 'UNKNOWN';
  /** Consumer group (consumers only). */
  group?: string;
  /** Topics the client declared in its settings or has sent to (producers). */
  topics: string[];
  /** True while its telemetry stream is open, so commands can reach it. */
  connected: boolean;
  lastSeenMs: number;
}

/** The open end of one client's telemetry stream. */
export interface TelemetryStream {
  /** Writes a command; false when the stream is no longer writable. */
  write(command: TelemetryCommand): boolean;
  /** Ends the stream from the broker's side (status OK). */
  end(): void;
}

interface ClientEntry {
  clientId: string;
  settings?: Settings;
  /** Topics seen in SendMessage requests from this client. */
  publishedTopics: Set<string>;
  stream?: TelemetryStream;
  lastSeenMs: number;
}

/** Bound on clients tracked, so a flood of client ids cannot grow the registry without limit. */
export const MAX_TRACKED_CLIENTS = 100_000;

/**
 * Live clients and their telemetry streams, by client id (the `x-mq-client-id` header). A client
 * sends its Settings on the stream when it starts and again when the stream is renewed; the
 * broker keeps them until NotifyClientTermination (the proxy's GrpcClientSettingsManager and
 * GrpcChannelManager). Layers that must reach a client (transaction check-back, through
 * producer-channels.ts) use `sendToProducerOf`.
 */
export class TelemetrySessions {
  private readonly clients = new Map<string, ClientEntry>();
  /** Per topic, the position of the producer whose turn is next in sendToProducerOf. */
  private readonly producerTurns = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Attaches a newly opened stream to its client; a previous stream of the client is replaced. */
  attach(clientId: string, stream: TelemetryStream): void {
    const entry = this.entry(clientId);
    if (!entry) return;
    entry.stream = stream;
    entry.lastSeenMs = this.now();
  }

  /** Detaches a stream that ended; only if it is still the client's current one. */
  detach(clientId: string, stream: TelemetryStream): void {
    const entry = this.clients.get(clientId);
    if (!entry || entry.stream !== stream) return;
    entry.stream = undefined;
    if (!entry.settings) this.clients.delete(clientId);
  }

  /** Records the settings a client sent. */
  updateSettings(clientId: string, settings: Settings): void {
    const entry = this.entry(clientId);
    if (!entry) return;
    entry.settings = settings;
    entry.lastSeenMs = this.now();
  }

  settingsOf(clientId: string): Settings | undefined {
    return this.clients.get(clientId)?.settings;
  }

  /** Heartbeats and other requests keep a client's last-seen time current. */
  touch(clientId: string): void {
    const entry = this.clients.get(clientId);
    if (entry) entry.lastSeenMs = this.now();
  }

  /**
   * A producer sent to `topic`: it may be asked about that topic's transactions. Returns true when
   * this made a connected producer newly known to publish the topic.
   */
  notePublished(clientId: string, topic: string): boolean {
    const entry = this.clients.get(clientId);
    if (!entry || entry.publishedTopics.has(topic) || entry.publishedTopics.size >= MAX_TRACKED_TOPICS_PER_CLIENT) return false;
    const known = topicsOf(entry).has(topic);
    entry.publishedTopics.add(topic);
    return !known && entry.stream !== undefined && roleOf(entry.settings) === 'PRODUCER';
  }

  /** NotifyClientTermination: forgets the client's settings; returns them, if there were any. */
  terminate(clientId: string): Settings | undefined {
    const entry = this.clients.get(clientId);
    if (!entry) return undefined;
    const settings = entry.settings;
    entry.settings = undefined;
    if (!entry.stream) this.clients.delete(clientId);
    return settings;
  }

  /**
   * Writes `command` to one connected producer of `topic` (declared in its settings or seen sending
   * to it), taking the topic's producers in turns (round robin, in client-id order), as RocketMQ's
   * ProducerManager.getAvailableChannel spreads check-backs over a group's channels. A producer that
   * terminated (NotifyClientTermination) or whose stream ended is never chosen; one whose stream
   * refuses the write is skipped for the next. Returns the client id it went to, or undefined when
   * no such producer is connected.
   */
  sendToProducerOf(topic: string, command: TelemetryCommand): string | undefined {
    const candidates = [...this.clients.values()]
      .filter((entry) => entry.stream && roleOf(entry.settings) === 'PRODUCER' && topicsOf(entry).has(topic))
      .sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
    if (candidates.length === 0) return undefined;
    const start = (this.producerTurns.get(topic) ?? 0) % candidates.length;
    for (let step = 0; step < candidates.length; step++) {
      const entry = candidates[(start + step) % candidates.length];
      if (entry.stream!.write(command)) {
        if (!this.producerTurns.has(topic) && this.producerTurns.size >= MAX_TRACKED_TURNS) this.producerTurns.clear();
        this.producerTurns.set(topic, (start + step + 1) % candidates.length);
        return entry.clientId;
      }
    }
    return undefined;
  }

  /** Writes a command to one client; false when it has no open stream. */
  sendTo(clientId: string, command: TelemetryCommand): boolean {
    return this.clients.get(clientId)?.stream?.write(command) ?? false;
  }

  list(): ClientView[] {
    return [...this.clients.values()].map((entry) => ({
      clientId: entry.clientId,
      role: roleOf(entry.settings),
      group: entry.settings?.subscription?.group?.name,
      topics: [...topicsOf(entry)].sort(),
      connected: entry.stream !== undefined,
      lastSeenMs: entry.lastSeenMs,
    }));
  }

  /** Ends every open stream (broker shutdown) and forgets all clients. */
  endAll(): void {
    for (const entry of this.clients.values()) entry.stream?.end();
    this.clients.clear();
    this.producerTurns.clear();
  }

  private entry(clientId: string): ClientEntry | undefined {
    let entry = this.clients.get(clientId);
    if (!entry) {
      if (this.clients.size >= MAX_TRACKED_CLIENTS) return undefined;
      entry = { clientId, publishedTopics: new Set(), lastSeenMs: this.now() };
      this.clients.set(clientId, entry);
    }
    return entry;
  }
}

/** Bound on topics whose round-robin position is remembered; past it, every topic starts over. */
const MAX_TRACKED_TURNS = 10_000;

/** Bound on topics remembered per producer from its sends. */
const MAX_TRACKED_TOPICS_PER_CLIENT = 1_000;

function roleOf(settings: Settings | undefined): ClientTypeName | 'UNKNOWN' {
  const type = settings?.clientType;
  return typeof type === 'string' ? type : 'UNKNOWN';
}

function topicsOf(entry: ClientEntry): Set<string> {
  const topics = new Set(entry.publishedTopics);
  for (const topic of entry.settings?.publishing?.topics ?? []) if (topic.name) topics.add(topic.name);
  for (const subscription of entry.settings?.subscription?.subscriptions ?? []) {
    if (subscription.topic?.name) topics.add(subscription.topic.name);
  }
  return topics;
}
