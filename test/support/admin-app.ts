import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { BrokerModule } from '../../apps/broker/src/broker.module';
import { BROKER_CONFIG_DEFAULTS } from '../../apps/broker/src/config/broker-config.defaults';
import { DeliveryService } from '../../apps/broker/src/delivery/delivery-service';
import { FileMessageStore } from '../../apps/broker/src/store/file-message-store';
import { TopicRegistry } from '../../apps/broker/src/topics/topic-registry';

/** The broker's admin HTTP app over real parts in a temp directory, without gRPC. */
export interface AdminApp {
  dir: string;
  store: FileMessageStore;
  topics: TopicRegistry;
  delivery: DeliveryService;
  app: INestApplication;
  /** `host:port` when started with `listen: true`. */
  address: string | undefined;
  /** Closes the app and every part, then removes the directory. */
  close(): Promise<void>;
}

/**
 * Opens a FileMessageStore, TopicRegistry and DeliveryService in a fresh temp dir and serves
 * BrokerModule over them: initialised for supertest, or listening on a free loopback port.
 */
export async function startAdminApp(prefix: string, options: { listen?: boolean } = {}): Promise<AdminApp> {
  const logger = pino({ level: 'silent' });
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const store = new FileMessageStore({ dir: join(dir, 'store') }, logger);
  await store.open();
  const topics = new TopicRegistry(join(dir, 'config'), { autoCreateTopicEnable: false, defaultTopicQueueNums: 8, autoCreateSubscriptionGroup: true }, logger);
  await topics.open();
  const delivery = new DeliveryService(store, topics, { stateDir: join(dir, 'delivery') }, logger);
  await delivery.open();
  const config = { ...BROKER_CONFIG_DEFAULTS, storeDir: dir, grpcPort: 18081 };
  const moduleRef = await Test.createTestingModule({ imports: [BrokerModule.register({ store, config, topics, delivery })] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  let address: string | undefined;
  if (options.listen) {
    await app.listen(0, '127.0.0.1');
    address = `127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  } else {
    await app.init();
  }
  return {
    dir,
    store,
    topics,
    delivery,
    app,
    address,
    async close() {
      await app.close();
      await delivery.close();
      await topics.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
