import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseBrokerCommandLine } from '../apps/broker/src/config/broker-command-line';
import { loadBrokerConfig } from '../apps/broker/src/config/broker-config-loader';
import { DEMO_ACL, DEMO_TOPICS, DEMO_GROUPS } from '../apps/demo/src/demo.defaults';
import { loadOrderServiceConfig } from '../apps/order-service/src/order-service.config';
import { loadPayServiceConfig } from '../apps/pay-service/src/pay-service.config';
import { ORDER_SERVICE_GROUP } from '../apps/order-service/src/order-service.topics';
import { PAY_SERVICE_GROUP } from '../apps/pay-service/src/orders/order-events.consumer';

/**
 * There is no Docker engine on CI: this parses docker-compose.yml, the Dockerfile and the
 * postgres init script and checks them against the apps' real configuration (the services'
 * own config loaders, the broker's command-line parser, nest-cli.json, the health controllers).
 * It does not prove the images build or the stack starts; `docker compose up` does.
 */
const ROOT = join(__dirname, '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

interface ComposeService {
  command?: string[] | string;
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: string[];
}
const compose = parse(read('docker-compose.yml')) as {
  services: Record<string, ComposeService>;
  networks: Record<string, { ipam: { config: Array<{ subnet: string }> } }>;
};
const nestCli = JSON.parse(read('nest-cli.json')) as { projects: Record<string, { entryFile: string; sourceRoot: string }> };
const services = compose.services;

/** `dist/apps/x/src/main.js` -> the project whose compiled entry point it is, per nest-cli.json. */
function projectOfEntry(script: string): string | undefined {
  return Object.entries(nestCli.projects).find(([, p]) => script === `dist/${p.sourceRoot}/${p.entryFile}.js`)?.[0];
}
function commandOf(name: string): string[] {
  const command = services[name].command;
  if (!Array.isArray(command)) throw new Error(`${name}: command must be an exec-form list`);
  return command;
}
function healthUrl(name: string): URL {
  const script = services[name].healthcheck!.test.join(' ');
  const match = /fetch\('([^']+)'\)/.exec(script);
  if (!match) throw new Error(`${name}: healthcheck does not fetch a URL`);
  return new URL(match[1]);
}
function publishedContainerPorts(name: string): number[] {
  return (services[name].ports ?? []).map((mapping) => Number(mapping.split(':').pop()));
}

describe('docker-compose.yml against the apps (parsed only: no Docker engine here)', () => {
  const brokerArgs = commandOf('broker').slice(2);
  const brokerCommandLine = parseBrokerCommandLine(brokerArgs);
  // The broker.conf the container reads is a file of this repository, mounted read-only.
  const confMount = (services.broker.volumes ?? []).map((volume) => volume.split(':')).find(([, target]) => target === brokerCommandLine.configFile);
  const broker = loadBrokerConfig({ configFile: confMount && join(ROOT, confMount[0]), commandLine: brokerCommandLine.settings }).config;

  it("publishes every port on the host's loopback only", () => {
    const published = Object.entries(services).flatMap(([name, service]) => (service.ports ?? []).map((mapping) => `${name} ${mapping}`));
    expect(published.length).toBeGreaterThan(0);
    for (const entry of published) expect(entry).toMatch(/^\S+ 127\.0\.0\.1:\d+:\d+$/);
  });

  it('has the five services, each app command pointing at a built nest-cli project', () => {
    expect(Object.keys(services).sort()).toEqual(['broker', 'order-service', 'pay-service', 'postgres', 'topics']);
    expect(commandOf('broker').slice(0, 2)).toEqual(['node', 'dist/apps/broker/src/main.js']);
    for (const app of ['broker', 'order-service', 'pay-service']) {
      expect(projectOfEntry(commandOf(app)[1])).toBe(app);
    }
  });

  it('the Dockerfile builds every project the compose file runs, and the image default is the broker', () => {
    const dockerfile = read('Dockerfile');
    const loop = /^RUN for app in ([^;]+); do npx nest build "\$app" -p (\S+)/m.exec(dockerfile);
    expect(loop?.[1].split(' ').sort()).toEqual(['broker', 'order-service', 'pay-service']);
    expect(Object.keys(nestCli.projects)).toEqual(expect.arrayContaining(['broker', 'order-service', 'pay-service']));
    // The image's tsconfig extends the build one and leaves out only test-only code.
    const imageConfig = JSON.parse(read(loop![2])) as { extends: string; exclude: string[] };
    expect(imageConfig.extends).toBe('../tsconfig.build.json');
    expect(dockerfile).toContain(`COPY ${loop![2]} ./docker/`);
    // The image runs the broker as the compose file does, less the broker.conf only the compose file mounts.
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)![1];
    const composeCommand = commandOf('broker');
    const config = composeCommand.indexOf('--config');
    expect(JSON.parse(cmd)).toEqual([...composeCommand.slice(0, config), ...composeCommand.slice(config + 2)]);
  });

  it('the broker listens on all interfaces where the compose file publishes and health-checks it', () => {
    expect(broker.host).toBe('0.0.0.0');
    expect(publishedContainerPorts('broker').sort()).toEqual([broker.httpPort, broker.grpcPort].sort());
    expect(healthUrl('broker').port).toBe(String(broker.httpPort));
    expect(healthUrl('broker').pathname).toBe('/health');
    expect(services.broker.volumes).toContain(`broker-data:${broker.storeDir}`);
  });

  it('the topics step creates exactly the demo topics through mqadmin on the broker admin port', () => {
    const script = (services.topics.command as string[]).join(' ');
    expect(script).toContain('node dist/apps/broker/src/cli/mqadmin.js updateTopic');
    expect(script).toContain(`-n broker:${broker.httpPort}`);
    const specs = /for spec in ([^;]+); do/.exec(script)![1].trim().split(/\s+/);
    expect(specs.map((spec) => spec.split(':'))).toEqual(DEMO_TOPICS.map((t) => [t.name, t.messageType]));
    expect(script).toContain('node dist/apps/broker/src/cli/mqadmin.js updateSubGroup -n broker:8080 -g "$$group"');
    const groups = /for group in ([^;]+); do/.exec(script)![1].trim().split(/\s+/);
    expect(groups).toEqual(DEMO_GROUPS);
    // The groups the services consume as.
    expect(DEMO_GROUPS).toEqual([ORDER_SERVICE_GROUP, PAY_SERVICE_GROUP]);
    expect(services.topics.depends_on).toEqual({ broker: { condition: 'service_healthy' } });
  });

  it("the services' environment is accepted by their own config loaders and agrees with the rest of the file", () => {
    const orderEnv = services['order-service'].environment!;
    const payEnv = services['pay-service'].environment!;
    const order = loadOrderServiceConfig(orderEnv);
    const pay = loadPayServiceConfig(payEnv);
    expect([order.host, pay.host]).toEqual(['0.0.0.0', '0.0.0.0']);
    expect(order.mqEndpoints).toBe(`broker:${broker.grpcPort}`);
    expect(pay.mqEndpoints).toBe(`broker:${broker.grpcPort}`);
    expect(order.payServiceUrl).toBe(`http://pay-service:${pay.port}`);
    expect(pay.merchantCallbackUrl).toBe(`http://order-service:${order.port}/callbacks/payment`);
    expect(order.callbackSecrets).toEqual([pay.callbackSecret]);
    expect(pay.notifyAllowedAddresses).toEqual(compose.networks.demo.ipam.config.map((c) => c.subnet));
    const init = read('docker/postgres-init/01-demo-databases.sql');
    for (const config of [order, pay]) {
      const url = new URL(config.databaseUrl);
      expect(url.hostname).toBe('postgres');
      expect(init).toContain(`CREATE DATABASE ${url.pathname.slice(1)};`);
      expect(url.username).toBe(services.postgres.environment!.POSTGRES_USER);
    }
    for (const [name, port] of [
      ['order-service', order.port],
      ['pay-service', pay.port],
    ] as const) {
      expect(publishedContainerPorts(name)).toEqual([port]);
      expect(healthUrl(name).port).toBe(String(port));
    }
  });

  it('every environment variable the compose file sets is one the service reads', () => {
    for (const name of ['order-service', 'pay-service']) {
      // MQ_ACCESS_KEY and MQ_SECRET_KEY are read by libs/mq's mqCredentialsFromEnv, which the config calls.
      const config = read(`apps/${name}/src/${name}.config.ts`) + read('libs/mq/src/mq-credentials.ts').replace(/env\.(MQ_\w+)/g, "'$1'");
      for (const variable of Object.keys(services[name].environment!))
        expect({ variable, read: config.includes(`'${variable}'`) }).toEqual({ variable, read: true });
    }
  });

  it('health-checks GET /health, which both services serve', () => {
    for (const name of ['order-service', 'pay-service']) {
      expect(healthUrl(name).pathname).toBe('/health');
      expect(read(`apps/${name}/src/health.controller.ts`)).toContain("@Controller('health')");
    }
  });

  it('starts the services only after postgres and the broker are healthy and the topics exist', () => {
    const expected = {
      postgres: { condition: 'service_healthy' },
      broker: { condition: 'service_healthy' },
      topics: { condition: 'service_completed_successfully' },
    };
    expect(services['order-service'].depends_on).toEqual(expected);
    expect(services['pay-service'].depends_on).toEqual(expected);
    expect(services.postgres.volumes).toContain('./docker/postgres-init:/docker-entrypoint-initdb.d:ro');
    expect(services.postgres.healthcheck!.test).toEqual(['CMD', 'pg_isready', '-U', 'demo', '-d', 'payments']);
  });
  it("runs the broker with authentication and authorization on; the topics step gives each service the user it signs as and exactly DEMO_ACL's grants", () => {
    expect(confMount?.[0]).toBe('./docker/broker.conf');
    expect(broker).toMatchObject({ authenticationEnabled: true, authorizationEnabled: true });
    const superUser = JSON.parse(broker.initAuthenticationUser) as { username: string; password: string };
    expect(services.topics.environment).toEqual({ MQADMIN_ACCESS_KEY: superUser.username, MQADMIN_SECRET_KEY: superUser.password });
    // The step's script, with each mqadmin call printed instead of run.
    const script = (services.topics.command as string[]).join(' ').replace(/\$\$/g, '$').replaceAll('node dist/apps/broker/src/cli/mqadmin.js', 'echo mqadmin');
    const calls = execFileSync('sh', ['-c', script], { encoding: 'utf8' }).trim().split('\n');
    const flag = (call: string, name: string): string => new RegExp(`${name} (\\S+)`).exec(call)![1];
    for (const name of ['order-service', 'pay-service'] as const) {
      const env = services[name].environment!;
      expect(env.MQ_ACCESS_KEY).toBe(name);
      const created = calls.find((call) => call.startsWith('mqadmin createUser') && flag(call, '-u') === name)!;
      expect(flag(created, '-p')).toBe(env.MQ_SECRET_KEY);
      const grants = calls
        .filter((call) => call.startsWith('mqadmin createAcl') && flag(call, '-s') === `User:${name}`)
        .map((call) => `${flag(call, '-r')} ${flag(call, '-a')} ${flag(call, '-d')}`)
        .sort();
      const access = DEMO_ACL.services[name];
      const actions = (topic: string): string =>
        [(access.publish as readonly string[]).includes(topic) ? 'Pub' : '', (access.subscribe as readonly string[]).includes(topic) ? 'Sub' : '']
          .filter(Boolean)
          .join(',');
      const expected = [...new Set([...access.publish, ...access.subscribe])].map((topic) => `Topic:${topic} ${actions(topic)} Allow`);
      expect(grants).toEqual([...expected, `Group:${name} Sub Allow`].sort());
    }
  });
});
