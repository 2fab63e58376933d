import { Logger } from 'pino';
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

/** Whether updateSettings recorded the client, or refused it because every tracked client is connected. */
export type Registration = 'registered' | 'registry-full';

/** Limits of the registry; defaults in TELEMETRY_SESSIONS_DEFAULTS. */
export interface TelemetrySessionsOptions {
  /**
   * A client without an open telemetry stream that sent no request for longer than this is
   * forgotten (broker.conf `channelExpiredTimeout`, Apache RocketMQ's BrokerConfig and ProxyConfig).
   */
  channelExpiredTimeoutMs: number;
  /** Most clients tracked, so a flood of client ids cannot grow the registry without limit. */
  maxClients: number;
  /** How often expired clients are looked for (Apache's ClientHousekeepingService runs every 10 s). */
  expirySweepIntervalMs: number;
  /** Most clients one sweep forgets, so a sweep never blocks the event loop for long. */
  maxExpiredPerSweep: number;
}

/** Bound on clients tracked by default. */
export const MAX_TRACKED_CLIENTS = 100_000;

export const TELEMETRY_SESSIONS_DEFAULTS: Readonly<TelemetrySessionsOptions> = {
  /** 120 s, Apache RocketMQ's channelExpiredTimeout (and ProducerManager's CHANNEL_EXPIRED_TIMEOUT). */
  channelExpiredTimeoutMs: 120_000,
  /** 100,000. */
  maxClients: MAX_TRACKED_CLIENTS,
  /** 10 s, as ClientHousekeepingService. */
  expirySweepIntervalMs: 10_000,
  /** 10,000: a few milliseconds of map deletions. */
  maxExpiredPerSweep: 10_000,
};

/** Counters of the registry, for logs, tests and metrics. */
export interface TelemetrySessionsStats {
  trackedClients: number;
  /** Clients whose telemetry stream is open. */
  connectedClients: number;
  /** Clients forgotten because they were silent for longer than channelExpiredTimeoutMs. */
  expiredTotal: number;
  /** Clients without a stream forgotten early, to make room at the cap. */
  evictedTotal: number;
  /** New clients turned away because every tracked client had an open stream. */
  refusedTotal: number;
}

interface ClientEntry {
  clientId: string;
  settings?: Settings;
  /** Topics seen in SendMessage requests from this client. */
  publishedTopics: Set<string>;
  stream?: TelemetryStream;
  lastSeenMs: number;
}

/**
 * Live clients and their telemetry streams, by client id (the `x-mq-client-id` header). A client
 * is registered by the Settings it sends on its telemetry stream, as the proxy registers producers
 * and consumers in ClientActivity.processAndWriteClientSettings, and sends them again whenever it
 * renews the stream. Layers that must reach a client (transaction check-back, through
 * producer-channels.ts) use `sendToProducerOf`.
 *
 * **Expiry.** A client whose telemetry stream is open is live. One without an open stream is kept
 * while it sends requests (heartbeats every 10 s, sends, ...; MessagingServer calls `touch` for
 * each), so a stream being renewed does not cost the client its settings. Once it has been silent
 * for longer than `channelExpiredTimeoutMs` (120 s) it is forgotten, as Apache RocketMQ's
 * ProducerManager / ConsumerManager.scanNotActiveChannel drop channels whose last heartbeat is that
 * old, and the proxy then drops their settings (ClientActivity's ProducerChangeListenerImpl). A
 * forgotten client that comes back gets UNRECOGNIZED_CLIENT_TYPE on Heartbeat until it sends its
 * Settings again, which the official clients do on every new stream. Apache also expires a client
 * whose stream is still open if it stops heartbeating; here an open stream is enough, since it is
 * the way check-backs reach the client. A timer sweeps every `expirySweepIntervalMs`, forgetting at
 * most `maxExpiredPerSweep` clients, and a registration at the cap sweeps first.
 *
 * **The cap** (`maxClients`). Clients without a stream are kept in least-recently-seen order, so
 * when a new client registers at the cap, the registry first forgets expired clients, then the
 * least-recently-seen client without an open stream: such a client cannot be asked about
 * transactions anyway, and gets its place back by sending its Settings again. Only when every
 * tracked client has an open stream is the newcomer refused (`registry-full`; the telemetry
 * handler answers TOO_MANY_REQUESTS, retryable), logged once per time the registry fills up and
 * counted in `stats()`. A client already registered is never refused, so the cap can never make
 * a connected producer unreachable for check-backs.
 */
export class TelemetrySessions {
  private readonly clients = new Map<string, ClientEntry>();
  /** The clients without an open stream, least recently seen first (the Map's insertion order). */
  private readonly idle = new Map<string, ClientEntry>();
  /** Per topic, the position of the producer whose turn is next in sendToProducerOf. */
  private readonly producerTurns = new Map<string, number>();
  private readonly options: TelemetrySessionsOptions;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly counters = { expiredTotal: 0, evictedTotal: 0, refusedTotal: 0 };
  /** Whether evictions and refusals were logged since the registry last had room (log once, count all). */
  private evictionLogged = false;
  private refusalLogged = false;

  constructor(
    private readonly logger: Logger,
    options: Partial<TelemetrySessionsOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...TELEMETRY_SESSIONS_DEFAULTS, ...options };
  }

  /** Starts forgetting expired clients every expirySweepIntervalMs; endAll() stops it. */
  startExpiry(): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => this.expireIdle(), this.options.expirySweepIntervalMs);
    // The sweep must not keep a stopping process alive.
    this.sweepTimer.unref();
  }

  /**
   * Attaches a newly opened stream to a client the registry knows (a renewed stream); a previous
   * stream of the client is replaced. A new client is registered by its Settings (updateSettings).
   */
  attach(clientId: string, stream: TelemetryStream): void {
    const entry = this.clients.get(clientId);
    if (entry) this.connect(entry, stream);
  }

  /** Detaches a stream that ended; only if it is still the client's current one. */
  detach(clientId: string, stream: TelemetryStream): void {
    const entry = this.clients.get(clientId);
    if (!entry || entry.stream !== stream) return;
    entry.stream = undefined;
    if (!entry.settings) {
      this.forget(entry);
      return;
    }
    // The stream was alive until now: the client's silence starts here.
    entry.lastSeenMs = this.now();
    this.idle.set(clientId, entry);
  }

  /**
   * Records the settings a client sent on `stream` (which must be open) and attaches the stream.
   * A new client at the cap makes room as the class comment says, or is refused.
   */
  updateSettings(clientId: string, settings: Settings, stream: TelemetryStream): Registration {
    const entry = this.clients.get(clientId) ?? this.admit(clientId);
    if (!entry) return 'registry-full';
    entry.settings = settings;
    this.connect(entry, stream);
    return 'registered';
  }

  settingsOf(clientId: string): Settings | undefined {
    return this.clients.get(clientId)?.settings;
  }

  /** Any request from a client postpones its expiry; unknown clients are not registered by it. */
  touch(clientId: string): void {
    const entry = this.clients.get(clientId);
    if (!entry) return;
    entry.lastSeenMs = this.now();
    if (entry.stream) return;
    // Moved to the back: the idle map stays ordered by last-seen time.
    this.idle.delete(clientId);
    this.idle.set(clientId, entry);
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
    if (!entry.stream) this.forget(entry);
    return settings;
  }

  /**
   * Forgets clients without an open stream that were silent for longer than
   * channelExpiredTimeoutMs, at most `limit` of them; returns how many. The timer calls it.
   */
  expireIdle(limit = this.options.maxExpiredPerSweep): number {
    const nowMs = this.now();
    let expired = 0;
    for (const entry of this.idle.values()) {
      // Least recently seen first: the first client still within the timeout ends the sweep.
      if (expired >= limit || nowMs - entry.lastSeenMs <= this.options.channelExpiredTimeoutMs) break;
      this.forget(entry);
      this.logger.debug({ clientId: entry.clientId, role: roleOf(entry.settings), lastSeenMs: entry.lastSeenMs }, 'client expired');
      expired++;
    }
    this.counters.expiredTotal += expired;
    if (expired > 0)
      this.logger.info(
        { expired, channelExpiredTimeoutMs: this.options.channelExpiredTimeoutMs },
        'forgot clients without a telemetry stream that stopped sending requests',
      );
    return expired;
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

  stats(): TelemetrySessionsStats {
    return { trackedClients: this.clients.size, connectedClients: this.clients.size - this.idle.size, ...this.counters };
  }

  /** The cap on tracked clients, for the refusal's message. */
  get maxClients(): number {
    return this.options.maxClients;
  }

  /** Broker shutdown: stops expiry, ends every open stream and forgets all clients. */
  endAll(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const entry of this.clients.values()) entry.stream?.end();
    this.clients.clear();
    this.idle.clear();
    this.producerTurns.clear();
  }

  private connect(entry: ClientEntry, stream: TelemetryStream): void {
    entry.stream = stream;
    entry.lastSeenMs = this.now();
    this.idle.delete(entry.clientId);
  }

  private forget(entry: ClientEntry): void {
    this.clients.delete(entry.clientId);
    this.idle.delete(entry.clientId);
  }

  /** A new entry for `clientId`, after making room at the cap; undefined when there is none. */
  private admit(clientId: string): ClientEntry | undefined {
    if (this.clients.size >= this.options.maxClients) this.makeRoom();
    else this.evictionLogged = this.refusalLogged = false;
    if (this.clients.size >= this.options.maxClients) {
      this.refuse(clientId);
      return undefined;
    }
    const entry: ClientEntry = { clientId, publishedTopics: new Set(), lastSeenMs: this.now() };
    this.clients.set(clientId, entry);
    return entry;
  }

  /** At the cap: forgets expired clients, else the least recently seen one without a stream. */
  private makeRoom(): void {
    if (this.expireIdle() > 0) return;
    const oldest = this.idle.values().next();
    if (oldest.done) return;
    this.forget(oldest.value);
    this.counters.evictedTotal++;
    this.logger.debug({ clientId: oldest.value.clientId, lastSeenMs: oldest.value.lastSeenMs }, 'client evicted at the registry cap');
    if (this.evictionLogged) return;
    this.evictionLogged = true;
    this.logger.warn(
      { maxClients: this.options.maxClients },
      'client registry full: forgetting the least recently seen clients without a telemetry stream to register new ones',
    );
  }

  private refuse(clientId: string): void {
    this.counters.refusedTotal++;
    if (this.refusalLogged) return;
    this.refusalLogged = true;
    this.logger.warn(
      { clientId, maxClients: this.options.maxClients },
      'client registry full and every client has an open telemetry stream: refusing new clients (TOO_MANY_REQUESTS) until one leaves',
    );
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
