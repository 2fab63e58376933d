import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  clusterList,
  consumerProgress,
  deleteSubGroup,
  deleteTopic,
  endTransaction,
  getConsumerConfig,
  listHalfMessages,
  Print,
  queryMsgById,
  queryMsgTraceById,
  queryMsgByKey,
  resetOffsetByTime,
  topicList,
  topicStatus,
  updateSubGroup,
  updateTopic,
  UsageError,
  createUser,
  updateUser,
  deleteUser,
  getUser,
  listUser,
  setAcl,
  deleteAcl,
  getAcl,
  listAcl,
} from './mqadmin-commands';
import { AdminBearerToken, AdminClient, AdminCredentials, AdminRequestError } from '@app/admin-client';

/**
 * `npm run mqadmin -- <command> [flags]`: Apache RocketMQ's mqadmin command names and flags,
 * spoken to this broker's admin REST API (`-n host:adminPort`, default 127.0.0.1:8080), so
 * RocketMQ operators can use what they know. Flags that only matter to a multi-broker cluster
 * (`-c`, `-b`) are accepted and ignored.
 *
 * Exit codes: 0 success; 1 the request failed (HTTP error, connection refused, timeout);
 * 2 usage error (unknown command, missing or bad flag). Failures print one line on stderr.
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const DEFAULT_ADMIN_ADDRESS = '127.0.0.1:8080';

/** Where the CLI writes, and what it talks through; tests pass their own. */
export interface MqadminIo {
  stdout: Print;
  stderr: Print;
  fetch?: typeof fetch;
  now?: () => number;
  /** Where MQADMIN_ACCESS_KEY / MQADMIN_SECRET_KEY / MQADMIN_TOKEN are read (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * `--accessKey`/`--secretKey`, else MQADMIN_ACCESS_KEY/MQADMIN_SECRET_KEY: a broker with
 * authentication needs both; or `--token`, else MQADMIN_TOKEN: a bearer token of `POST
 * /auth/tokens`. Basic credentials and a token together are refused rather than one silently
 * winning, so a token forgotten in the environment never stands in for the keys typed (or back).
 */
function credentialsOf(options: NameServer, env: NodeJS.ProcessEnv): AdminCredentials | AdminBearerToken | undefined {
  const accessKey = options.accessKey ?? env.MQADMIN_ACCESS_KEY;
  const secretKey = options.secretKey ?? env.MQADMIN_SECRET_KEY;
  const token = options.token ?? env.MQADMIN_TOKEN;
  if (token !== undefined) {
    if (accessKey !== undefined || secretKey !== undefined) {
      throw new UsageError(
        'give either an access key and a secret key (--accessKey/--secretKey or MQADMIN_ACCESS_KEY/MQADMIN_SECRET_KEY) or a bearer token (--token or MQADMIN_TOKEN), not both',
      );
    }
    // A header value cannot hold spaces or control characters; a token never does.
    if (!/^[\x21-\x7e]+$/.test(token)) throw new UsageError('the bearer token (--token or MQADMIN_TOKEN) must be one word of printable ASCII characters');
    return { bearerToken: token };
  }
  if (accessKey === undefined && secretKey === undefined) return undefined;
  if (!accessKey || !secretKey)
    throw new UsageError('give both an access key and a secret key (--accessKey/--secretKey or MQADMIN_ACCESS_KEY/MQADMIN_SECRET_KEY)');
  return { accessKey, secretKey };
}

/** Runs one mqadmin command line (without `node script`) and resolves the exit code. */
export async function run(argv: readonly string[], io: MqadminIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its one-line reason (or the help text, for help and --help).
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      io.stderr(`mqadmin: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof AdminRequestError) {
      io.stderr(`mqadmin: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    io.stderr(`mqadmin: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILURE;
  }
}

/** `-n host:port`, and the credentials, which every command takes. */
interface NameServer {
  namesrvAddr: string;
  accessKey?: string;
  secretKey?: string;
  token?: string;
}

/** What commander parsed for a command whose handler takes (client, options, ...). */
type OptionsOf<F extends (client: AdminClient, options: never, ...rest: never[]) => unknown> = NameServer & Parameters<F>[1];

function buildProgram(io: MqadminIo): Command {
  const program = new Command('mqadmin')
    .description('Administer a nest-rocket-tx broker through its admin REST API, with Apache RocketMQ mqadmin commands.')
    .exitOverride()
    // Commander's own errors (unknown command, missing flag) become one `mqadmin: ...` line.
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: (text, write) => write(`mqadmin: ${text.replace(/^error: /, '')}`) })
    .showSuggestionAfterError(false);
  const client = (options: NameServer): AdminClient => new AdminClient(options.namesrvAddr, io.fetch, credentialsOf(options, io.env ?? process.env));
  const now = io.now ?? Date.now;

  command(program, 'updateTopic', 'Create or update a topic')
    .requiredOption('-t, --topic <topic>', 'topic name')
    .option('-r, --readQueueNums <n>', 'read queues (default 8 on creation)', integer)
    .option('-w, --writeQueueNums <n>', 'write queues (default 8 on creation)', integer)
    .option('-p, --perm <perm>', 'permission: 2 write, 4 read, 6 read+write (default 6)', integer)
    .option('-a, --attributes <attributes>', 'topic attributes, e.g. +message.type=FIFO')
    .action((options: OptionsOf<typeof updateTopic>) => updateTopic(client(options), options, io.stdout));

  command(program, 'deleteTopic', 'Delete a topic')
    .requiredOption('-t, --topic <topic>', 'topic name')
    .action((options: OptionsOf<typeof deleteTopic>) => deleteTopic(client(options), options, io.stdout));

  command(program, 'updateSubGroup', 'Update or create subscription group')
    .requiredOption('-g, --groupName <group>', 'consumer group name')
    .option('-r, --retryMaxTimes <n>', 'redeliveries before the dead-letter queue (default 15 on creation)', integer)
    .option('-o, --consumeMessageOrderly <bool>', 'true: one in-flight message per message group (default false on creation)')
    .action((options: OptionsOf<typeof updateSubGroup>) => updateSubGroup(client(options), options, io.stdout));

  command(program, 'deleteSubGroup', 'Delete subscription group from broker')
    .requiredOption('-g, --groupName <group>', 'subscription group name')
    .action((options: OptionsOf<typeof deleteSubGroup>) => deleteSubGroup(client(options), options, io.stdout));

  command(program, 'getConsumerConfig', 'Get consumer config by subscription group name')
    .requiredOption('-g, --groupName <group>', 'subscription group name')
    .action((options: OptionsOf<typeof getConsumerConfig>) => getConsumerConfig(client(options), options, io.stdout));

  command(program, 'createUser', 'Create user to cluster.')
    .requiredOption('-u, --username <username>', 'the username of user to create.')
    .requiredOption('-p, --password <password>', 'the password of user to create')
    .option('-t, --userType <userType>', 'the userType of user to create: Super or Normal (default Normal)')
    .action((options: OptionsOf<typeof createUser>) => createUser(client(options), options, io.stdout));

  command(program, 'updateUser', 'Update user to cluster.')
    .requiredOption('-u, --username <username>', 'the username of user to update.')
    .option('-p, --password <password>', 'the password of user to update')
    .option('-t, --userType <userType>', 'the userType of user to update')
    .option('-s, --userStatus <userStatus>', 'the userStatus of user to update: enable or disable')
    .action((options: OptionsOf<typeof updateUser>) => updateUser(client(options), options, io.stdout));

  command(program, 'deleteUser', 'Delete user from cluster.')
    .requiredOption('-u, --username <username>', 'the username of user to delete.')
    .action((options: OptionsOf<typeof deleteUser>) => deleteUser(client(options), options, io.stdout));

  command(program, 'getUser', 'Get user from cluster.')
    .requiredOption('-u, --username <username>', 'the username of user to get')
    .action((options: OptionsOf<typeof getUser>) => getUser(client(options), options, io.stdout));

  command(program, 'listUser', 'List user from cluster.')
    .option('-f, --filter <filter>', 'the filter to list users')
    .action((options: OptionsOf<typeof listUser>) => listUser(client(options), options, io.stdout));

  for (const verb of ['create', 'update'] as const) {
    command(program, `${verb}Acl`, `${verb === 'create' ? 'Create' : 'Update'} acl to cluster.`)
      .requiredOption('-s, --subject <subject>', `the subject of acl to ${verb}: User:<username>`)
      .requiredOption('-r, --resources <resources>', `the resources of acl to ${verb}: Topic:<name>, Group:<name>, Topic:prefix*, *`)
      .requiredOption('-a, --actions <actions>', `the actions of acl to ${verb}: Pub, Sub, Create, Update, Delete, Get, List, All`)
      .requiredOption('-d, --decision <decision>', `the decision of acl to ${verb}: Allow or Deny`)
      .option('-i, --sourceIp <sourceIps>', `the sourceIps of acl to ${verb} (addresses or IPv4 CIDR blocks)`)
      .action((options: OptionsOf<typeof deleteAcl> & { resources: string; actions: string; decision: string; sourceIp?: string }) =>
        setAcl(verb, client(options), options, io.stdout),
      );
  }

  command(program, 'deleteAcl', 'Delete acl from cluster.')
    .requiredOption('-s, --subject <subject>', 'the subject of acl to delete.')
    .option('-r, --resources <resources>', 'the resources of acl to delete')
    .action((options: OptionsOf<typeof deleteAcl>) => deleteAcl(client(options), options, io.stdout));

  command(program, 'getAcl', 'Get acl from cluster.')
    .requiredOption('-s, --subject <subject>', 'the subject of acl to get')
    .action((options: OptionsOf<typeof getAcl>) => getAcl(client(options), options, io.stdout));

  command(program, 'listAcl', 'List acl from cluster.')
    .option('-s, --subject <subject>', 'the subject of acl to filter.')
    .option('-r, --resource <resource>', 'the resource of acl to filter.')
    .action((options: OptionsOf<typeof listAcl>) => listAcl(client(options), options, io.stdout));

  command(program, 'topicList', 'List all topics').action((options: NameServer) => topicList(client(options), io.stdout));

  command(program, 'topicStatus', 'Show the offsets of every queue of a topic')
    .requiredOption('-t, --topic <topic>', 'topic name')
    .action((options: OptionsOf<typeof topicStatus>) => topicStatus(client(options), options, io.stdout));

  command(program, 'consumerProgress', "Show a consumer group's progress and lag, or every group's")
    .option('-g, --groupName <group>', 'consumer group')
    .action((options: NameServer & { groupName?: string }) => consumerProgress(client(options), { group: options.groupName }, io.stdout));

  command(program, 'queryMsgById', 'Query messages by id')
    .requiredOption('-i, --msgId <id>', 'message id (several: comma-separated)')
    .action((options: OptionsOf<typeof queryMsgById>) => queryMsgById(client(options), options, io.stdout));

  command(program, 'queryMsgTraceById', 'Query a message trace by message id')
    .requiredOption('-i, --msgId <id>', 'message id')
    .action((options: OptionsOf<typeof queryMsgTraceById>) => queryMsgTraceById(client(options), options, io.stdout));

  command(program, 'queryMsgByKey', 'Query messages by key')
    .requiredOption('-t, --topic <topic>', 'topic name')
    .requiredOption('-k, --msgKey <key>', 'message key')
    .option('-m, --maxNum <n>', 'at most this many messages (default 32)', integer)
    .action((options: OptionsOf<typeof queryMsgByKey>) => queryMsgByKey(client(options), options, io.stdout));

  command(program, 'resetOffsetByTime', "Reset a group's offsets on a topic to a point in time")
    .requiredOption('-g, --group <group>', 'consumer group')
    .requiredOption('-t, --topic <topic>', 'topic name')
    .requiredOption('-s, --timestamp <time>', 'now, ms since the epoch, or yyyy-MM-dd#HH:mm:ss:SSS')
    .addOption(new Option('-f, --force <force>', 'accepted for compatibility; offsets are always reset').hideHelp())
    .action((options: OptionsOf<typeof resetOffsetByTime>) => resetOffsetByTime(client(options), options, io.stdout, now()));

  command(program, 'clusterList', 'Show the cluster and its broker').action((options: NameServer) => clusterList(client(options), io.stdout));

  command(program, 'listHalfMessages', 'List unresolved transactional half messages, oldest first')
    .option('-t, --topic <topic>', 'only this topic')
    .option('-s, --state <state>', 'only this state: pending or check-max')
    .option('-m, --maxNum <n>', 'at most this many (default 32)', integer)
    .action((options: OptionsOf<typeof listHalfMessages>) => listHalfMessages(client(options), options, io.stdout, now()));

  for (const [name, resolution, description] of [
    ['commitTransaction', 'commit', 'Commit a transaction: its half message is delivered once'],
    ['rollbackTransaction', 'rollback', 'Roll back a transaction: its half message is never delivered'],
  ] as const) {
    command(program, name, description)
      .requiredOption('-i, --transactionId <id>', 'transaction id (listHalfMessages shows it)')
      .option('-t, --topic <topic>', "the half message's topic, for a transaction no longer listed")
      .option('-k, --msgId <id>', "the half message's id, for a transaction no longer listed")
      .action((options: OptionsOf<typeof endTransaction>) => endTransaction(client(options), options, resolution, io.stdout));
  }

  return program;
}

/** A subcommand with the options every mqadmin command shares. */
function command(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .option('-n, --namesrvAddr <host:port>', "the broker's admin HTTP address", DEFAULT_ADMIN_ADDRESS)
    .addOption(new Option('-c, --clusterName <cluster>', 'accepted for compatibility (one cluster)').hideHelp())
    .addOption(new Option('-b, --brokerAddr <addr>', 'accepted for compatibility (one broker)').hideHelp())
    .option('--accessKey <accessKey>', 'user of a broker with authentication (or MQADMIN_ACCESS_KEY)')
    .option('--secretKey <secretKey>', 'its secret key (or MQADMIN_SECRET_KEY)')
    .option('--token <token>', 'a bearer token of POST /auth/tokens instead of the keys (or MQADMIN_TOKEN)');
}

function integer(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('Not an integer.');
  return Number(value);
}

if (require.main === module) {
  void run(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  }).then((code) => {
    process.exitCode = code;
  });
}
