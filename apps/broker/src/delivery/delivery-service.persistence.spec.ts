import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileMessageStore } from '../store/file-message-store';
import { DeliveryService } from './delivery-service';
import {
  DeliveryHarness,
  DeliveryTestBed,
  FakeTopics,
  GROUP,
  INVISIBLE_MS,
  ManualClock,
  TOPIC,
  append,
  ids,
  message,
  okMessages,
  receiveRequest,
  silentLogger,
} from './delivery.test-support';
import { DeliveryStateCorruptError } from './delivery.errors';
import { DELIVERY_STATE_FILE } from './group-state-persistence';

describe('DeliveryService state across restarts', () => {
  const bed = new DeliveryTestBed();
  let h: DeliveryHarness;

  beforeEach(async () => {
    h = await bed.create();
  });

  afterEach(() => bed.cleanUp());

  it('does not redeliver acknowledged messages after close and reopen; in-flight ones come back after their invisible time', async () => {
    await append(h.store, message(0), message(1), message(2));
    const [m0, m1] = okMessages(await h.service.receive(receiveRequest()));
    await h.service.ack(GROUP, TOPIC, m0.receiptHandle);
    await h.service.close();

    const reopened = await h.reopen();
    expect(okMessages(await reopened.receive(receiveRequest()))).toEqual([]);
    // Handles issued before the restart still work while unexpired.
    expect(await reopened.ack(GROUP, TOPIC, m1.receiptHandle)).toEqual({ status: 'ok' });
    h.clock.advance(INVISIBLE_MS);
    const again = okMessages(await reopened.receive(receiveRequest()));
    expect(again.map((m) => [m.message.messageId, m.deliveryAttempt])).toEqual([['m2', 2]]);
    expect(reopened.progress(GROUP)).toEqual([{ topic: TOPIC, queueId: 0, brokerOffset: 3, consumerOffset: 2, inFlight: 1, lag: 1 }]);
  });

  it('keeps FIFO order across a restart', async () => {
    await h.topics.upsertGroup({ group: GROUP, fifo: true });
    await append(h.store, message(0, { messageId: 'a1', messageGroup: 'A' }), message(1, { messageId: 'a2', messageGroup: 'A' }));
    const [a1] = okMessages(await h.service.receive(receiveRequest()));
    await h.service.close();
    const reopened = await h.reopen();
    expect(okMessages(await reopened.receive(receiveRequest()))).toEqual([]);
    await reopened.ack(GROUP, TOPIC, a1.receiptHandle);
    expect(ids(okMessages(await reopened.receive(receiveRequest())))).toEqual(['a2']);
  });

  it('writes changed state on its own, every persistIntervalMs, without close', async () => {
    const periodic = await bed.create({ persistIntervalMs: 20 });
    await append(periodic.store, message(0));
    await periodic.service.receive(receiveRequest());
    const file = path.join(periodic.stateDir, DELIVERY_STATE_FILE);
    let text = '';
    for (let i = 0; i < 250 && !text.includes('"inFlight":[{'); i++) {
      await sleep(20);
      text = await fs.readFile(file, 'utf8').catch(() => '');
    }
    expect(JSON.parse(text)).toMatchObject({ version: 1, queues: [{ group: GROUP, topic: TOPIC, queueId: 0, consumerOffset: 0, nextOffset: 1 }] });
  });

  it('refuses to open over a corrupt state file and leaves the file as it is', async () => {
    await h.service.close();
    const file = path.join(h.stateDir, DELIVERY_STATE_FILE);
    const overlapping = {
      version: 1,
      nextDeliveryId: 5,
      queues: [
        {
          group: GROUP,
          topic: TOPIC,
          queueId: 0,
          consumerOffset: 0,
          nextOffset: 3,
          done: [[1, 1]],
          inFlight: [{ offset: 1, deliveryId: 1, attempts: 1, invisibleUntilMs: 0 }],
          held: [],
        },
      ],
    };
    for (const content of ['{"version": 1', JSON.stringify({ version: 2, queues: [] }), JSON.stringify(overlapping)]) {
      await fs.writeFile(file, content);
      const service = new DeliveryService(h.store, h.topics, { stateDir: h.stateDir, now: h.clock.now }, silentLogger);
      const error = await service.open().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DeliveryStateCorruptError);
      expect(error).toMatchObject({ code: 'BROKER_ERR_DELIVERY_STATE_CORRUPT', file });
      expect(await fs.readFile(file, 'utf8')).toBe(content);
    }
  });

  it('with a FileMessageStore: after both restart, acknowledged messages are not redelivered', async () => {
    const storeDir = await bed.tempDir('delivery-store-');
    const stateDir = await bed.tempDir('delivery-state-');
    const topics = new FakeTopics();
    topics.addTopic(TOPIC);
    const clock = new ManualClock();
    const start = async (): Promise<{ store: FileMessageStore; service: DeliveryService }> => {
      const store = new FileMessageStore({ dir: storeDir, segmentSizeBytes: 64 * 1024 }, silentLogger);
      await store.open();
      const service = new DeliveryService(store, topics, { stateDir, now: clock.now }, silentLogger);
      await service.open();
      return { store, service };
    };

    const first = await start();
    await append(first.store, message(0), message(1), message(2));
    const received = okMessages(await first.service.receive(receiveRequest()));
    expect(ids(received)).toEqual(['m0', 'm1', 'm2']);
    await first.service.ack(GROUP, TOPIC, received[0].receiptHandle);
    await first.service.ack(GROUP, TOPIC, received[2].receiptHandle);
    await first.service.close();
    await first.store.close();

    const second = await start();
    try {
      clock.advance(INVISIBLE_MS);
      const again = okMessages(await second.service.receive(receiveRequest()));
      expect(again.map((m) => [m.message.messageId, m.deliveryAttempt, m.message.body.toString()])).toEqual([['m1', 2, 'body-1']]);
      await second.service.ack(GROUP, TOPIC, again[0].receiptHandle);
      clock.advance(INVISIBLE_MS);
      expect(okMessages(await second.service.receive(receiveRequest()))).toEqual([]);
    } finally {
      await second.service.close();
      await second.store.close();
    }
  });
});
