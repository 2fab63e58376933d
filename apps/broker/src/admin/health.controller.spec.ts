import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { BrokerModule } from '../broker.module';
import { BROKER_CONFIG_DEFAULTS } from '../config/broker-config.defaults';
import { MessageStore, StoreState } from '../store/message-store';

describe('broker GET /health', () => {
  let app: INestApplication;
  const store = { state: StoreState.Running, getCommitLogBounds: () => ({ minOffset: 0, maxOffset: 1234 }), damagedRecords: () => ({ total: 2, recent: [] }) };

  beforeAll(async () => {
    // Only the members the controller reads; the rest of MessageStore is irrelevant here.
    const module = BrokerModule.register({ store: store as unknown as MessageStore, config: BROKER_CONFIG_DEFAULTS });
    const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app.close();
  });

  it('answers 200 with the store state, commit-log bounds and damaged-record count while the store runs', async () => {
    store.state = StoreState.Running;
    const response = await request(app.getHttpServer()).get('/health').expect(200);
    expect(response.body).toEqual({ status: 'ok', store: 'running', commitLog: { minOffset: 0, maxOffset: 1234 }, damagedRecords: 2 });
  });

  it.each([StoreState.Recovering, StoreState.ShuttingDown, StoreState.Failed])('answers 503 while the store is %s', async (state) => {
    store.state = state;
    const response = await request(app.getHttpServer()).get('/health').expect(503);
    expect(response.body).toEqual({ status: 'unavailable', store: state });
  });
});
