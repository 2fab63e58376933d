import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DemoBuild, DemoApp } from './demo-build';
import { DemoDatabases, DemoPostgres } from './demo-postgres';
import { DEMO_ACL, DEMO_DEFAULTS, DEMO_TOPICS, DEMO_GROUPS } from './demo.defaults';
import { ManagedProcess } from './managed-process';
import { Timeline } from './timeline';
import { freePort } from '@app/testkit';
import { AdminClient } from '@app/admin-client';

export type ServiceName = 'order-service' | 'pay-service';
export type StackPorts = { brokerGrpc: number; brokerAdmin: number; orderService: number; payService: number };

export interface DemoStackOptions {
  build: DemoBuild;
  postgres: DemoPostgres;
  timeline: Timeline;
  /** Names the databases ("story", "after-half-send"). */
  label: string;
  /** Logs, broker store and broker.conf go here. */
  workDir: string;
  /** DEMO_DEFAULTS.ports for npm run demo, freeStackPorts() for scenarios. */
  ports: StackPorts;
  orderTimeoutMs?: number;
  reconcileAfterMs?: number;
  reconcileIntervalMs?: number;
  notifyRetryLadderMs?: readonly number[];
  /** Where pay-service sends notifications; order-service's /callbacks/payment by default. */
  merchantCallbackUrl?: string;
  /**
   * broker.conf settings over DEMO_DEFAULTS.broker (a scenario that needs a slow check-back;
   * `transactionExtensionsEnabled: false` for Apache RocketMQ's transaction behaviour).
   */
  brokerSettings?: Record<string, number | boolean>;
  /** Accounts pay-service seeds (buyer -> balance in cents); DEMO_DEFAULTS.buyers by default. */
  buyers?: Record<string, number>;
  /** Extra environment per service (FAULTS=..., LOG_LEVEL=...). */
  env?: Partial<Record<ServiceName, NodeJS.ProcessEnv>>;
  /**
   * Authentication and authorization on (`npm run demo -- --acl`): the broker starts with a super
   * user only the runner knows, each service gets a user of its own with exactly the ACL entries
   * DEMO_ACL lists, and the runner's admin calls go with the super user's credentials.
   */
  acl?: boolean;
}

const READY_LINE: Record<DemoApp, RegExp> = {
  broker: /"msg":"broker ready"/,
  'order-service': /order-service listening on http/,
  'pay-service': /pay-service listening on http/,
};

/** How often a start that is still waiting says so. */
const PROGRESS_EVERY_MS = 5_000;

/**
 * One complete system: two fresh databases, the broker (with a short check-back interval and
 * the demo topics) and both services, each a child process the scenarios kill and restart.
 */
export class DemoStack {
  readonly processes: Record<DemoApp, ManagedProcess>;
  readonly admin: AdminClient;
  readonly urls: { orderService: string; payService: string; brokerAdmin: string; brokerGrpc: string };
  readonly callbackSecret = `whsec_${randomBytes(24).toString('base64')}`;
  /** With `acl`: the broker users' secrets (the runner's super user, then one per service), made for this run. */
  private readonly secrets: Record<'admin' | ServiceName, string> = {
    admin: randomBytes(12).toString('hex'),
    'order-service': randomBytes(12).toString('hex'),
    'pay-service': randomBytes(12).toString('hex'),
  };
  readonly buyers: Record<string, number>;

  /** The runner's super user for the admin API and the console (HTTP Basic), when the broker has authentication on. */
  get adminCredentials(): { username: string; password: string } | undefined {
    return this.options.acl ? { username: DEMO_ACL.adminUser, password: this.secrets.admin } : undefined;
  }

  private constructor(
    private readonly options: DemoStackOptions,
    readonly ports: StackPorts,
    readonly databases: DemoDatabases,
  ) {
    this.buyers = { ...(options.buyers ?? DEMO_DEFAULTS.buyers) };
    const host = DEMO_DEFAULTS.host;
    this.urls = {
      orderService: `http://${host}:${ports.orderService}`,
      payService: `http://${host}:${ports.payService}`,
      brokerAdmin: `http://${host}:${ports.brokerAdmin}`,
      brokerGrpc: `${host}:${ports.brokerGrpc}`,
    };
    this.admin = new AdminClient(this.urls.brokerAdmin, fetch, options.acl ? { accessKey: DEMO_ACL.adminUser, secretKey: this.secrets.admin } : undefined);
    const brokerArgs = ['--config', join(options.workDir, 'broker.conf'), '--store', join(options.workDir, 'broker-store')];
    brokerArgs.push('--port', String(ports.brokerGrpc), '--http-port', String(ports.brokerAdmin), '--host', host);
    this.processes = {
      // JSON lines whatever the user's LOG_FORMAT: the runner waits for the broker's ready line in them.
      broker: this.managed('broker', brokerArgs, { LOG_LEVEL: 'info', LOG_FORMAT: 'json' }),
      'order-service': this.managed('order-service', [], this.orderServiceEnv()),
      'pay-service': this.managed('pay-service', [], this.payServiceEnv()),
    };
  }

  /** Creates the databases, starts the broker, creates the topics, starts both services. */
  static async start(options: DemoStackOptions): Promise<DemoStack> {
    await mkdir(join(options.workDir, 'logs'), { recursive: true });
    const ports = options.ports;
    options.timeline.add('runner', `creating databases on ${options.postgres.description}`);
    const databases = await options.postgres.createDatabases(options.label);
    const stack = new DemoStack(options, ports, databases);
    const settings: Record<string, string | number | boolean> = { ...DEMO_DEFAULTS.broker, ...options.brokerSettings, ...stack.aclSettings() };
    await writeFile(
      join(options.workDir, 'broker.conf'),
      Object.entries(settings)
        .map(([key, value]) => `${key}=${value}\n`)
        .join(''),
    );
    try {
      await stack.startApp('broker');
      await stack.createTopics();
      if (options.acl) await stack.createServiceUsers();
      await Promise.all([stack.startApp('pay-service'), stack.startApp('order-service')]);
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  get timeline(): Timeline {
    return this.options.timeline;
  }

  /** Starts one app (again) and waits until it printed its ready line and, for services, /health is 200. */
  async startApp(app: DemoApp, env: NodeJS.ProcessEnv = {}): Promise<void> {
    const child = this.processes[app];
    const startedAtMs = Date.now();
    this.timeline.add(app, child.lives === 0 ? 'starting' : `restarting (life ${child.lives + 1})`);
    child.start(env);
    const progress = setInterval(() => {
      this.timeline.add(app, `... still starting (${Math.round((Date.now() - startedAtMs) / 1000)} s)`);
    }, PROGRESS_EVERY_MS);
    try {
      await child.waitForLine(READY_LINE[app], DEMO_DEFAULTS.startTimeoutMs);
      const healthUrl = app === 'broker' ? `${this.urls.brokerAdmin}/health` : `${this.serviceUrl(app)}/health`;
      await waitForHealth(healthUrl, DEMO_DEFAULTS.startTimeoutMs, child);
    } finally {
      clearInterval(progress);
    }
    this.timeline.add(app, `ready in ${((Date.now() - startedAtMs) / 1000).toFixed(1)} s (pid ${child.pid})`);
  }

  /** Kills an app (SIGKILL by default: no shutdown hooks, no flush) and waits for the exit. */
  async kill(app: DemoApp, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.processes[app].stop(signal);
    this.timeline.add(app, `killed with ${signal}`);
  }

  /** Waits until an app dies on its own (a fault point), at most `timeoutMs`. */
  async waitForDeath(app: DemoApp, timeoutMs: number): Promise<void> {
    const child = this.processes[app];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${app} did not die within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([child.exited, timeout]).finally(() => clearTimeout(timer));
  }

  serviceUrl(app: ServiceName): string {
    return app === 'order-service' ? this.urls.orderService : this.urls.payService;
  }

  /** Stops the services, then the broker (SIGTERM, clean shutdown), and drops the databases. */
  async stop(options: { keepDatabases?: boolean } = {}): Promise<void> {
    await Promise.all([this.processes['order-service'].close(), this.processes['pay-service'].close()]);
    await this.processes.broker.close();
    if (!options.keepDatabases) await this.databases.drop().catch(() => undefined);
  }

  /**
   * `PUT /topics/:name` for each demo topic and `PUT /groups/:group` for each consumer group, on
   * the admin API (what `mqadmin updateTopic` and `updateSubGroup` do).
   */
  private async createTopics(): Promise<void> {
    for (const topic of DEMO_TOPICS) {
      await this.admin.put(['topics', topic.name], { messageType: topic.messageType });
    }
    this.timeline.add('runner', `topics created: ${DEMO_TOPICS.map((t) => `${t.name} (${t.messageType})`).join(', ')}`);
    for (const group of DEMO_GROUPS) await this.admin.put(['groups', group], {});
    this.timeline.add('runner', `consumer groups created: ${DEMO_GROUPS.join(', ')}`);
  }

  /** broker.conf lines that turn authentication and authorization on, with the runner's super user. */
  private aclSettings(): Record<string, string> {
    if (!this.options.acl) return {};
    return {
      authenticationEnabled: 'true',
      authorizationEnabled: 'true',
      initAuthenticationUser: JSON.stringify({ username: DEMO_ACL.adminUser, password: this.secrets.admin }),
    };
  }

  /** One broker user per service with DEMO_ACL's entries (what `mqadmin createUser` and `createAcl` do). */
  private async createServiceUsers(): Promise<void> {
    for (const [service, access] of Object.entries(DEMO_ACL.services) as Array<[ServiceName, (typeof DEMO_ACL.services)[ServiceName]]>) {
      await this.admin.post(['users'], { username: service, password: this.secrets[service] });
      const entries = [
        ...access.publish.map((topic) => ({ resource: `Topic:${topic}`, actions: ['Pub'], decision: 'Allow' })),
        ...access.subscribe.map((topic) => ({ resource: `Topic:${topic}`, actions: ['Sub'], decision: 'Allow' })),
        { resource: `Group:${service}`, actions: ['Sub'], decision: 'Allow' },
      ];
      // A topic both published and consumed gets one entry with both actions (entries are per resource).
      const merged = new Map<string, { resource: string; actions: string[]; decision: string }>();
      for (const entry of entries) merged.set(entry.resource, { ...entry, actions: [...(merged.get(entry.resource)?.actions ?? []), ...entry.actions] });
      await this.admin.put(['acls', `User:${service}`], { entries: [...merged.values()] });
    }
    this.timeline.add('runner', `broker users and ACLs created: ${Object.keys(DEMO_ACL.services).join(', ')} (authentication and authorization on)`);
  }

  /** MQ_ACCESS_KEY / MQ_SECRET_KEY of a service's broker user, with `acl`. */
  private credentialsEnv(service: ServiceName): NodeJS.ProcessEnv {
    return this.options.acl ? { MQ_ACCESS_KEY: service, MQ_SECRET_KEY: this.secrets[service] } : {};
  }

  private managed(app: DemoApp, args: string[], env: NodeJS.ProcessEnv): ManagedProcess {
    const { build, workDir } = this.options;
    return new ManagedProcess({
      name: app,
      script: build.script(app),
      args,
      env: { ...build.env, ...env },
      logFile: join(workDir, 'logs', `${app}.log`),
      onLine: (line, stream) => {
        if (stream === 'stderr' && /^FAULT /.test(line)) this.timeline.add(app, `${line.trim()} -> SIGKILL itself`);
      },
      onUnexpectedExit: ({ code, signal }) => this.timeline.add(app, `died (${signal ?? `exit code ${code}`})`),
    });
  }

  private orderServiceEnv(): NodeJS.ProcessEnv {
    const o = this.options;
    return {
      ...commonEnv(this.ports.orderService, this.databases.ordersUrl, this.urls.brokerGrpc),
      ...this.credentialsEnv('order-service'),
      ORDER_TIMEOUT_MS: String(o.orderTimeoutMs ?? DEMO_DEFAULTS.orderTimeoutMs),
      PAY_SERVICE_URL: this.urls.payService,
      CALLBACK_SECRET: this.callbackSecret,
      RECONCILE_AFTER_MS: String(o.reconcileAfterMs ?? DEMO_DEFAULTS.reconcileAfterMs),
      RECONCILE_INTERVAL_MS: String(o.reconcileIntervalMs ?? DEMO_DEFAULTS.reconcileIntervalMs),
      ...o.env?.['order-service'],
    };
  }

  private payServiceEnv(): NodeJS.ProcessEnv {
    const o = this.options;
    return {
      ...commonEnv(this.ports.payService, this.databases.paymentsUrl, this.urls.brokerGrpc),
      ...this.credentialsEnv('pay-service'),
      MERCHANT_CALLBACK_URL: o.merchantCallbackUrl ?? `${this.urls.orderService}/callbacks/payment`,
      CALLBACK_SECRET: this.callbackSecret,
      NOTIFY_ALLOW_LOOPBACK: 'true',
      NOTIFY_RETRY_LADDER_MS: (o.notifyRetryLadderMs ?? DEMO_DEFAULTS.notifyRetryLadderMs).join(','),
      BUYER_SEED: Object.entries(this.buyers)
        .map(([buyer, balance]) => `${buyer}:${balance}`)
        .join(','),
      ...o.env?.['pay-service'],
    };
  }
}

/** Four loopback ports nothing listens on right now. */
export async function freeStackPorts(): Promise<StackPorts> {
  const ports = new Set<number>();
  while (ports.size < 4) ports.add(await freePort());
  const [brokerGrpc, brokerAdmin, orderService, payService] = [...ports];
  return { brokerGrpc, brokerAdmin, orderService, payService };
}

function commonEnv(port: number, databaseUrl: string, mqEndpoints: string): NodeJS.ProcessEnv {
  return { PORT: String(port), HOST: DEMO_DEFAULTS.host, DATABASE_URL: databaseUrl, MQ_ENDPOINTS: mqEndpoints, FAULTS: '', LOG_LEVEL: 'info' };
}

/** Polls `GET url` until it answers 200; fails early when the process exits. */
async function waitForHealth(url: string, timeoutMs: number, child: ManagedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!child.running) throw new Error(`${child.name} exited while starting:\n${child.tail()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} not healthy within ${timeoutMs} ms (last: ${last})`);
}
