import { Client, ClientConfig } from 'pg';
import { DataSourceOptions } from 'typeorm';
import { ListenEvents, ListenSession } from '../outbox-database';
import { OutboxError } from '../outbox.errors';

/**
 * The pg `Client` settings of a session of its own on the DataSource's database, from the
 * DataSource's public `options`, mapped as TypeORM's PostgresDriver maps them for its pool (the
 * master's credentials under replication; `extra` last, so it overrides as it does there). A URL
 * wins over the separate fields in pg as in TypeORM.
 */
export function listenClientConfigOf(options: DataSourceOptions): ClientConfig {
  if (options.type !== 'postgres') {
    throw new OutboxError('OUTBOX_ERR_INVALID_OPTIONS', `@app/outbox needs a PostgreSQL DataSource, got type "${options.type}"`, { type: options.type });
  }
  const credentials = options.replication?.master ?? options;
  return {
    connectionString: credentials.url,
    host: credentials.host,
    port: credentials.port,
    user: credentials.username,
    password: credentials.password,
    database: credentials.database,
    // TypeORM types it as node:tls's TlsOptions and hands it to pg as it is, as this does.
    ssl: credentials.ssl as ClientConfig['ssl'],
    connectionTimeoutMillis: options.connectTimeoutMS,
    application_name: options.applicationName ?? credentials.applicationName,
    ...(options.extra as ClientConfig | undefined),
  };
}

/**
 * Connects a dedicated pg `Client` and LISTENs on `channel`. After it resolves, every notification
 * on the channel calls `events.notified`, and the connection's first failure or end calls
 * `events.lost` once (the client is then ended). Rejects, with the client ended, when connecting
 * or LISTEN fails.
 */
export async function openPgListenSession(config: ClientConfig, channel: string, events: ListenEvents): Promise<ListenSession> {
  const client = new Client(config);
  let open = false;
  let ended = false;
  const end = (): Promise<void> => {
    ended = true;
    return client.end().catch(() => undefined);
  };
  const lost = (error?: unknown): void => {
    if (ended) return;
    void end();
    if (open) events.lost(error);
  };
  client.on('notification', (message) => {
    if (message.channel === channel) events.notified();
  });
  // Without an 'error' listener a dropped connection would crash the process.
  client.on('error', lost);
  client.on('end', () => lost());
  try {
    await client.connect();
    await client.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
    if (ended) throw new Error('the LISTEN connection ended while it was opened');
  } catch (error) {
    await end();
    throw error;
  }
  open = true;
  return { close: end };
}
