import { DataSourceOptions } from 'typeorm';
import { listenClientConfigOf } from './pg-listen-session';

describe("listenClientConfigOf: the relay's LISTEN connection from the DataSource's public options", () => {
  it('takes the url, or the separate fields, as TypeORM gives them to its pool', () => {
    expect(listenClientConfigOf({ type: 'postgres', url: 'postgres://app:secret@db:5433/orders' })).toMatchObject({
      connectionString: 'postgres://app:secret@db:5433/orders',
    });
    expect(
      listenClientConfigOf({
        type: 'postgres',
        host: 'db',
        port: 5433,
        username: 'app',
        password: 'secret',
        database: 'orders',
        ssl: true,
        applicationName: 'orders-service',
        connectTimeoutMS: 2_000,
        extra: { keepAlive: true },
      }),
    ).toEqual({
      connectionString: undefined,
      host: 'db',
      port: 5433,
      user: 'app',
      password: 'secret',
      database: 'orders',
      ssl: true,
      application_name: 'orders-service',
      connectionTimeoutMillis: 2_000,
      keepAlive: true,
    });
  });

  it("connects to the master under replication, and lets `extra` override as it does for TypeORM's pool", () => {
    const options: DataSourceOptions = {
      type: 'postgres',
      replication: { master: { host: 'primary', database: 'orders' }, slaves: [{ host: 'replica', database: 'orders' }] },
      extra: { host: 'through-a-proxy' },
    };
    expect(listenClientConfigOf(options)).toMatchObject({ host: 'through-a-proxy', database: 'orders' });
    expect(listenClientConfigOf({ ...options, extra: undefined })).toMatchObject({ host: 'primary' });
  });

  it('refuses a DataSource that is not PostgreSQL', () => {
    expect(() => listenClientConfigOf({ type: 'sqlite', database: ':memory:' })).toThrow(expect.objectContaining({ code: 'OUTBOX_ERR_INVALID_OPTIONS' }));
  });
});
