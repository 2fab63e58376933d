import { Command, InvalidArgumentError } from 'commander';
import { runChaos } from './chaos/chaos-command';
import { runDemo } from './demo-command';
import { installInterruptHandlers, wasInterrupted } from './interrupt';
import { runScenarioCommand } from './scenario-command';
import { EmbeddedPostgresSetupError } from '@app/testkit';

/**
 * The demo runner:
 * - `npm run demo` (`main.ts demo`): the story, then keeps running until Ctrl-C;
 * - `npm run demo -- --once`: the story, exit code 0 iff every invariant holds;
 * - `npm run scenario -- <name>|all` (`main.ts scenario`): crash scenarios, PASS/FAIL each;
 * - `npm run chaos -- --minutes N [--seed S]` (`main.ts chaos`): random kills and pauses under load.
 */
async function main(argv: string[]): Promise<number> {
  installInterruptHandlers((line) => process.stdout.write(`${line}\n`));
  let exitCode = 0;
  const program = new Command('demo-runner').description('Runs the order/pay demo and its crash scenarios on embedded PostgreSQL.');
  const databaseOption = ['--database-url <url>', "an existing PostgreSQL server's superuser URL (default: embedded PostgreSQL)"] as const;
  program
    .command('demo')
    .description('start everything, tell the scripted story, print the timeline and tables, keep running until Ctrl-C')
    .option('--once', 'exit after the story: 0 if every invariant holds, 1 otherwise')
    .option(...databaseOption)
    .option('--data-dir <dir>', 'logs and broker store (wiped at start)', './.data/demo')
    .option('--free-ports', 'free loopback ports instead of 8081, 8080, 3001 and 3002 (tests running beside a demo)')
    .option('--acl', "broker authentication and authorization on: a user and ACL per service, the runner's own super user")
    .option('--screenshots <dir>', "after the story, save screenshots of the broker's console there (needs Debian's chromium)")
    .action(async (options: { once?: boolean; databaseUrl?: string; dataDir: string; freePorts?: boolean; acl?: boolean; screenshots?: string }) => {
      const { once, databaseUrl, dataDir, freePorts, acl, screenshots } = options;
      exitCode = await runDemo({ once: once === true, databaseUrl, dataDir, freePorts: freePorts === true, acl: acl === true, screenshots });
    });
  program
    .command('scenario')
    .description('run crash scenarios on fresh processes and databases; exit 1 if any FAILs')
    .argument('[names...]', 'scenario names, or "all"; none lists them')
    .option(...databaseOption)
    .action(async (names: string[], options: { databaseUrl?: string }) => {
      exitCode = await runScenarioCommand(names, options.databaseUrl);
    });
  program
    .command('chaos')
    .description('the services under load while the broker and services are killed, restarted and paused at random; exit 1 on any violation')
    .option('--minutes <n>', 'how long the faults go on', (value) => positiveNumber('--minutes', value), 2)
    .option('--seed <n>', 'seed of the random choices (printed by every run, to repeat one)', (value) => positiveNumber('--seed', value))
    .option(...databaseOption)
    .action(async (options: { minutes: number; seed?: number; databaseUrl?: string }) => {
      const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
      exitCode = (await runChaos({ minutes: options.minutes, seed, databaseUrl: options.databaseUrl })).ok ? 0 : 1;
    });
  await program.parseAsync(argv, { from: 'user' });
  return exitCode;
}

function positiveNumber(option: string, value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError(`${option} takes a positive number, got ${JSON.stringify(value)}`);
  return number;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // The interrupt handler is exiting already; a start it cut short is no error to report.
    if (wasInterrupted()) return;
    // A setup problem of this machine is one line with its fix; anything else is a bug report.
    const oneLine = error instanceof EmbeddedPostgresSetupError;
    process.stderr.write(`demo: ${error instanceof Error ? ((oneLine ? undefined : error.stack) ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
