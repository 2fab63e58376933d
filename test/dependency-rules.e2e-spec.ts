import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '@app/testkit';

const run = promisify(execFile);

/** Each wall with a file that breaks it: `importer` imports `imported`. */
const BREAKS: Array<{ rule: string; importer: string; imported: string }> = [
  { rule: 'nothing-imports-test', importer: 'apps/demo/src/runner.ts', imported: 'test/support/helper.ts' },
  { rule: 'libs-never-import-apps', importer: 'libs/mq/src/producer.ts', imported: 'apps/broker/src/store/log.ts' },
  { rule: 'services-never-import-testkit', importer: 'apps/pay-service/src/payments.ts', imported: 'libs/testkit/src/index.ts' },
  { rule: 'testing-entries-only-from-tests', importer: 'apps/order-service/src/orders.ts', imported: 'libs/outbox/src/testing.ts' },
  { rule: 'apps-never-import-other-apps', importer: 'apps/order-service/src/order.ts', imported: 'apps/pay-service/src/payment.ts' },
  {
    rule: 'testing-entries-only-from-tests',
    importer: 'libs/outbox/src/check-back/transaction-pruner.ts',
    imported: 'libs/outbox/src/testing/fake-mq-producer.ts',
  },
  { rule: 'no-deep-imports-into-libs', importer: 'test/some.e2e-spec.ts', imported: 'libs/outbox/src/relay/outbox-writer.ts' },
  { rule: 'outbox-orm-only-in-typeorm-folder', importer: 'libs/outbox/src/relay/outbox-relay.ts', imported: 'node_modules/typeorm/index.js' },
  { rule: 'broker-common-is-below-every-layer', importer: 'apps/broker/src/common/heap.ts', imported: 'apps/broker/src/store/log.ts' },
  { rule: 'broker-store-and-topics-are-the-bottom', importer: 'apps/broker/src/store/segment.ts', imported: 'apps/broker/src/transaction/service.ts' },
  {
    rule: 'broker-publishing-sits-on-store-and-topics',
    importer: 'apps/broker/src/publishing/publisher.ts',
    imported: 'apps/broker/src/schedule/scheduler.ts',
  },
  { rule: 'broker-console-stands-alone', importer: 'apps/broker/src/console/pages.ts', imported: 'apps/broker/src/admin/routes.ts' },
  { rule: 'broker-domain-layers-below-grpc-and-admin', importer: 'apps/broker/src/delivery/pop.ts', imported: 'apps/broker/src/grpc/handler.ts' },
  {
    rule: 'broker-grpc-and-admin-do-not-import-each-other-or-the-cli',
    importer: 'apps/broker/src/admin/topics.ts',
    imported: 'apps/broker/src/cli/mqadmin.ts',
  },
  {
    rule: 'broker-grpc-and-admin-do-not-import-each-other-or-the-cli',
    importer: 'apps/broker/src/admin/groups.ts',
    imported: 'apps/broker/src/grpc/server.ts',
  },
  // Two files that import each other.
  { rule: 'no-circular', importer: 'libs/faults/src/cycle-a.ts', imported: 'libs/faults/src/cycle-b.ts' },
  { rule: 'no-circular', importer: 'libs/faults/src/cycle-b.ts', imported: 'libs/faults/src/cycle-a.ts' },
];

function relativeSpecifier(from: string, to: string): string {
  const fromParts = dirname(from).split('/');
  const toParts = to.replace(/\.ts$/, '').split('/');
  let common = 0;
  while (common < fromParts.length && fromParts[common] === toParts[common]) common++;
  const up = fromParts.length - common;
  return `${up === 0 ? './' : '../'.repeat(up)}${toParts.slice(common).join('/')}`;
}

/**
 * `npm run deps` (dependency-cruiser with .dependency-cruiser.js, part of `npm test`) fails on
 * each wall of DESIGN.md section 2 when a file breaks it, and passes on the same tree without the
 * breaking imports. Runs the real config on a scratch tree shaped like the repository.
 */
describe('dependency rules (npm run deps)', () => {
  let tree: string;

  beforeAll(async () => {
    tree = await mkdtemp(join(tmpdir(), 'dependency-rules-'));
    await writeFile(join(tree, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', baseUrl: '.' } }));
  });

  afterAll(async () => {
    await rm(tree, { recursive: true, force: true });
  });

  async function cruise(): Promise<{ ok: boolean; output: string }> {
    const bin = join(REPO_ROOT, 'node_modules', '.bin', 'depcruise');
    try {
      const { stdout } = await run(bin, ['apps', 'libs', 'test', '--config', join(REPO_ROOT, '.dependency-cruiser.js')], { cwd: tree });
      return { ok: true, output: stdout };
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string };
      return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
    }
  }

  async function write(file: string, text: string): Promise<void> {
    await mkdir(dirname(join(tree, file)), { recursive: true });
    await writeFile(join(tree, file), text);
  }

  it('passes a tree whose files import nothing across a wall', async () => {
    for (const { importer, imported } of BREAKS) {
      await write(imported, 'export const value = 1;\n');
      await write(importer, 'export const other = 2;\n');
    }
    const result = await cruise();
    expect(result.output).toContain('no dependency violations');
    expect(result.ok).toBe(true);
  }, 60_000);

  it('fails, naming the rule, on each import that crosses a wall', async () => {
    for (const { importer, imported } of BREAKS) {
      await write(importer, `import { value } from '${relativeSpecifier(importer, imported)}';\nexport const other = value;\n`);
    }
    const result = await cruise();
    expect(result.ok).toBe(false);
    // A cycle is printed over several lines: `a.ts → \n b.ts →\n a.ts`.
    const flat = result.output.replace(/ →\s+/g, ' → ');
    for (const { rule, importer, imported } of BREAKS) {
      // The cycle is reported once, from either of its files.
      const reported =
        rule === 'no-circular' && flat.includes(`${rule}: ${imported} → ${importer}`)
          ? `${rule}: ${imported} → ${importer}`
          : `${rule}: ${importer} → ${imported}`;
      expect(flat).toContain(reported);
    }
  }, 60_000);
});
