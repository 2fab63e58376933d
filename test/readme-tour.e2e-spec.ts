import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerChild, buildForChildren, ChildBuild, freePort, REPO_ROOT } from '@app/testkit';

/** The tour's fixed addresses, replaced by free ports so the test runs beside anyone's broker. */
const TOUR_GRPC = '127.0.0.1:8081';

/**
 * README's "A 5-minute tour" as a newcomer follows it: the broker, the tour's `mqadmin` lines, the
 * client snippet (the fenced js block with `new Producer(`) run as it is written, with plain
 * `node` from a file, then the tour's `queryMsgByKey` line, which must find the message sent.
 * Only the ports differ: the tour's 8081 and 8080 become free ones.
 */
describe('README tour: the client snippet runs as written', () => {
  let build: ChildBuild;
  let workDir: string;
  let broker: BrokerChild | undefined;

  beforeAll(async () => {
    build = await buildForChildren(['apps/broker/src']);
    workDir = await mkdtemp(join(tmpdir(), 'readme-tour-'));
  }, 60_000);

  afterAll(async () => {
    await broker?.stop();
    await build?.remove();
    await rm(workDir, { recursive: true, force: true });
  });

  it('sends a message that the tour then looks up by key', async () => {
    const tour = readTour();
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    broker = new BrokerChild(build, ['--store', join(workDir, 'store'), '--port', String(grpcPort), '--http-port', String(httpPort)]);
    await broker.waitForLine((line) => line.msg === 'broker ready');
    const mqadmin = (args: string[]): Promise<string> =>
      run(process.execPath, [build.script('apps/broker/src/cli/mqadmin.ts'), ...args, '-n', `127.0.0.1:${httpPort}`], build.env);

    for (const args of tour.mqadminLines.filter((line) => line[0] === 'updateTopic' || line[0] === 'updateSubGroup')) await mqadmin(args);
    const snippetFile = join(workDir, 'tour-client.js');
    await writeFile(snippetFile, tour.clientSnippet.split(TOUR_GRPC).join(`127.0.0.1:${grpcPort}`));
    // As from the repository root: `require('rocketmq-client-nodejs')` resolves to its node_modules.
    const snippetOutput = await run(process.execPath, [snippetFile], { ...process.env, NODE_PATH: join(REPO_ROOT, 'node_modules') }, 30_000);

    const query = tour.mqadminLines.find((line) => line[0] === 'queryMsgByKey');
    expect(query).toBeDefined();
    const found = await mqadmin(query!);
    // The ids queryMsgByKey lists (RocketMQ's hex message ids), one of which the snippet sent.
    const listedIds = found.match(/^[0-9A-F]{20,}\b/gm) ?? [];
    expect(listedIds).toHaveLength(1);
    expect(snippetOutput).toContain(listedIds[0]);
  }, 90_000);
});

interface Tour {
  /** The fenced js block that creates a Producer. */
  clientSnippet: string;
  /** Arguments of every `npm run mqadmin -- ...` line of the tour, in order, comments cut. */
  mqadminLines: string[][];
}

function readTour(): Tour {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## A 5-minute tour');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map(([, language, body]) => ({ language, body }));
  const client = blocks.find((block) => /^(js|javascript)$/.test(block.language) && block.body.includes('new Producer('));
  if (!client) {
    throw new Error("README's tour has no fenced ```js block with `new Producer(`: the client snippet must be a complete program a newcomer can run");
  }
  const mqadminLines = blocks
    .filter((block) => block.language === 'sh')
    .flatMap((block) => block.body.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line.startsWith('npm run mqadmin -- '))
    .map((line) => line.slice('npm run mqadmin -- '.length).split(/\s+/));
  return { clientSnippet: client.body, mqadminLines };
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: timeoutMs, cwd: REPO_ROOT }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}
