import { pino } from 'pino';
import { Writable } from 'node:stream';
import { RecordType, StoredMessage } from '../store/message-record';
import { Settings } from './messaging.types';
import { TelemetryProducerChannels } from './producer-channels';
import { TelemetrySessions, TelemetrySessionsOptions } from './telemetry-sessions';
import { RecordingStream } from './telemetry.test-support';

const TIMEOUT_MS = 120_000;

/** A pino logger whose lines are collected, to count what was logged. */
function capturingLogger(): { logger: pino.Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as { level: number; msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

const WARN = 40;
const producerOf = (...topics: string[]): Settings => ({ clientType: 'PRODUCER', publishing: { topics: topics.map((name) => ({ name })) } });

function half(topic: string): StoredMessage {
  return {
    type: RecordType.Prepared,
    offset: 4096,
    size: 300,
    topic,
    queueId: 0,
    queueOffset: -1,
    messageId: 'MSG-1',
    bornTimestampMs: 1_700_000_000_123,
    storeTimestampMs: 1_700_000_000_456,
    tag: undefined,
    keys: [],
    messageGroup: undefined,
    deliveryTimestampMs: undefined,
    properties: {},
    body: Buffer.from('{}'),
    preparedOffset: -1,
    preparedSize: 0,
  };
}

describe('TelemetrySessions', () => {
  let clockMs: number;
  let log: ReturnType<typeof capturingLogger>;
  let sessions: TelemetrySessions;

  function build(options: Partial<TelemetrySessionsOptions> = {}): TelemetrySessions {
    sessions = new TelemetrySessions(log.logger, { channelExpiredTimeoutMs: TIMEOUT_MS, ...options }, () => clockMs);
    return sessions;
  }

  beforeEach(() => {
    clockMs = 1_000_000;
    log = capturingLogger();
    build();
  });

  afterEach(() => sessions.endAll());

  /** A client that sent its settings on a stream that is still open. */
  function connect(clientId: string, settings: Settings = producerOf('payments')): RecordingStream {
    const stream = new RecordingStream();
    expect(sessions.updateSettings(clientId, settings, stream)).toBe('registered');
    return stream;
  }

  /** A client that sent its settings, then its stream ended without NotifyClientTermination. */
  function vanish(clientId: string, settings: Settings = producerOf('payments')): void {
    const stream = connect(clientId, settings);
    stream.end();
    sessions.detach(clientId, stream);
  }

  const known = (): string[] => sessions.list().map((client) => client.clientId);
  const warnings = (): string[] => log.lines.filter((line) => line.level === WARN).map((line) => line.msg);

  describe('expiry', () => {
    it('forgets a client without a stream once it was silent for longer than channelExpiredTimeout, as scanNotActiveChannel does', () => {
      vanish('gone');
      clockMs += TIMEOUT_MS;
      expect(sessions.expireIdle()).toBe(0);
      expect(known()).toEqual(['gone']);

      clockMs += 1;
      expect(sessions.expireIdle()).toBe(1);
      expect(known()).toEqual([]);
      // A forgotten client's Heartbeat finds no settings (UNRECOGNIZED_CLIENT_TYPE) until it sends them again.
      expect(sessions.settingsOf('gone')).toBeUndefined();
      expect(sessions.stats()).toMatchObject({ trackedClients: 0, expiredTotal: 1 });
    });

    it('counts any request as a sign of life', () => {
      vanish('heartbeating');
      vanish('silent');
      clockMs += TIMEOUT_MS - 1;
      sessions.touch('heartbeating');
      clockMs += 2;
      expect(sessions.expireIdle()).toBe(1);
      expect(known()).toEqual(['heartbeating']);
    });

    it('never forgets a client whose telemetry stream is open, however long it is silent', () => {
      const stream = connect('live');
      clockMs += 100 * TIMEOUT_MS;
      expect(sessions.expireIdle()).toBe(0);
      expect(sessions.sendTo('live', {})).toBe(true);
      expect(stream.written).toHaveLength(1);
    });

    it('starts the silence when the stream ends, and a renewed stream reconnects the client', () => {
      const first = connect('renewing');
      clockMs += 10 * TIMEOUT_MS;
      sessions.detach('renewing', first);
      clockMs += TIMEOUT_MS;
      expect(sessions.expireIdle()).toBe(0);

      const second = new RecordingStream();
      sessions.attach('renewing', second);
      clockMs += 10 * TIMEOUT_MS;
      expect(sessions.expireIdle()).toBe(0);
      expect(sessions.list()).toEqual([expect.objectContaining({ clientId: 'renewing', connected: true, role: 'PRODUCER' })]);
    });

    it('registers nobody for a stream of an unknown client until its settings arrive', () => {
      sessions.attach('stranger', new RecordingStream());
      expect(known()).toEqual([]);
    });

    it('forgets at most maxExpiredPerSweep clients per sweep', () => {
      build({ maxExpiredPerSweep: 2 });
      for (const id of ['a', 'b', 'c', 'd', 'e']) vanish(id);
      clockMs += TIMEOUT_MS + 1;
      expect(sessions.expireIdle()).toBe(2);
      expect(known()).toEqual(['c', 'd', 'e']);
      expect(sessions.expireIdle()).toBe(2);
      expect(sessions.expireIdle()).toBe(1);
    });

    it('sweeps on a timer every expirySweepIntervalMs until endAll', () => {
      jest.useFakeTimers();
      try {
        build({ expirySweepIntervalMs: 10_000 });
        sessions.startExpiry();
        vanish('gone');
        clockMs += TIMEOUT_MS + 1;
        jest.advanceTimersByTime(9_999);
        expect(known()).toEqual(['gone']);
        jest.advanceTimersByTime(1);
        expect(known()).toEqual([]);

        sessions.endAll();
        expect(jest.getTimerCount()).toBe(0);
      } finally {
        jest.useRealTimers();
      }
    });
  });

  describe('at the cap', () => {
    beforeEach(() => build({ maxClients: 3 }));

    it('forgets expired clients first', () => {
      vanish('old-1');
      vanish('old-2');
      clockMs += TIMEOUT_MS + 1;
      connect('live');
      connect('newcomer');
      expect(known().sort()).toEqual(['live', 'newcomer']);
      expect(sessions.stats()).toMatchObject({ expiredTotal: 2, evictedTotal: 0, refusedTotal: 0 });
    });

    it('then evicts the least recently seen client without a stream, and logs that once', () => {
      vanish('idle-old');
      clockMs += 1_000;
      vanish('idle-recent');
      connect('live');
      clockMs += 1_000;
      sessions.touch('idle-old');

      connect('newcomer-1');
      expect(known().sort()).toEqual(['idle-old', 'live', 'newcomer-1']);
      connect('newcomer-2');
      expect(known().sort()).toEqual(['live', 'newcomer-1', 'newcomer-2']);
      expect(sessions.stats()).toMatchObject({ trackedClients: 3, connectedClients: 3, evictedTotal: 2, refusedTotal: 0 });
      expect(warnings()).toHaveLength(1);
    });

    it('never evicts a client with an open stream: a newcomer is refused, logged once and counted', () => {
      const streams = ['live-1', 'live-2', 'live-3'].map((id) => connect(id));
      expect(sessions.updateSettings('newcomer-1', producerOf('payments'), new RecordingStream())).toBe('registry-full');
      expect(sessions.updateSettings('newcomer-2', producerOf('payments'), new RecordingStream())).toBe('registry-full');
      expect(known()).toEqual(['live-1', 'live-2', 'live-3']);
      expect(sessions.stats()).toMatchObject({ refusedTotal: 2, evictedTotal: 0 });
      expect(warnings()).toHaveLength(1);

      // Clients already registered are never refused, even with new settings on a new stream.
      expect(sessions.updateSettings('live-1', producerOf('payments', 'orders'), new RecordingStream())).toBe('registered');

      // Once one of them leaves, the next newcomer takes its place.
      sessions.detach('live-2', streams[1]);
      expect(sessions.updateSettings('newcomer-1', producerOf('payments'), new RecordingStream())).toBe('registered');
      expect(known().sort()).toEqual(['live-1', 'live-3', 'newcomer-1']);
    });

    it('still lets a check-back reach a new producer when the registry is full of producers that vanished', () => {
      for (const id of ['vanished-1', 'vanished-2', 'vanished-3']) vanish(id, producerOf('payments'));
      const stream = connect('new-producer', producerOf('payments'));

      const channels = new TelemetryProducerChannels(sessions, () => ({ host: '127.0.0.1', port: 8081 }), log.logger);
      expect(channels.sendCheck(half('payments'), 'TX-1')).toBe('new-producer');
      expect(stream.written[0].recoverOrphanedTransactionCommand?.transactionId).toBe('TX-1');
    });
  });
});
