import type { SubscriptionGroupConfig, TopicConfig } from '../topics/topic-config';
import { AdminClient, AdminRequestError, formatFields, formatPerm, formatTable, formatTimestamp } from '@app/admin-client';
import type {
  ClusterResponse,
  GroupDeleteResponse,
  GroupDetailResponse,
  GroupListResponse,
  MessageKeyQueryResponse,
  MessageQueryResponse,
  MessageTimelineResponse,
  TimelineStepView,
  MessageView,
  GroupUpsertResponse,
  ResetOffsetResponse,
  TopicListResponse,
  TopicStatusResponse,
  TopicUpsertResponse,
  TransactionListResponse,
  TransactionResolveResponse,
  AclListResponse,
  AclResponse,
  AclView,
  UserDeleteResponse,
  UserListResponse,
  UserResponse,
  UserView,
} from '@app/admin-client';

/**
 * The mqadmin subcommands: each calls the admin REST API and prints what Apache RocketMQ's
 * mqadmin prints for the same command, as closely as a single-broker cluster allows.
 */

/** A user mistake in a flag value: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Print = (text: string) => void;

export interface UpdateTopicOptions {
  topic: string;
  readQueueNums?: number;
  writeQueueNums?: number;
  perm?: number;
  attributes?: string;
}

export async function updateTopic(client: AdminClient, options: UpdateTopicOptions, print: Print): Promise<void> {
  const body: Record<string, unknown> = {};
  if (options.readQueueNums !== undefined) body.readQueueNums = options.readQueueNums;
  if (options.writeQueueNums !== undefined) body.writeQueueNums = options.writeQueueNums;
  if (options.perm !== undefined) body.perm = options.perm;
  if (options.attributes !== undefined) body.messageType = messageTypeAttribute(options.attributes);
  const result = await client.put<TopicUpsertResponse>(['topics', options.topic], body);
  print(`create topic to ${client.baseUrl.replace(/^https?:\/\//, '')} success.\n${describeTopicConfig(result.topic)}\n`);
}

export async function deleteTopic(client: AdminClient, options: { topic: string; clusterName?: string }, print: Print): Promise<void> {
  await client.delete(['topics', options.topic]);
  const cluster = options.clusterName ?? (await client.get<ClusterResponse>(['cluster'])).clusterName;
  print(`delete topic [${options.topic}] from cluster [${cluster}] success.\n`);
}

export interface UpdateSubGroupOptions {
  groupName: string;
  /** Redeliveries after the first delivery, before the dead-letter queue (maxDeliveryAttempts - 1). */
  retryMaxTimes?: number;
  /** `true` or `false`: one in-flight message per message group (a FIFO group). */
  consumeMessageOrderly?: string;
}

/** Creates or updates a subscription group, as Apache's updateSubGroup (-g, -r, -o). */
export async function updateSubGroup(client: AdminClient, options: UpdateSubGroupOptions, print: Print): Promise<void> {
  const body: Record<string, unknown> = {};
  if (options.retryMaxTimes !== undefined) {
    if (options.retryMaxTimes < 0) throw new UsageError(`bad retryMaxTimes ${options.retryMaxTimes} for -r: expected 0 or more`);
    body.maxDeliveryAttempts = options.retryMaxTimes + 1;
  }
  if (options.consumeMessageOrderly !== undefined) body.fifo = parseBoolean('consumeMessageOrderly', options.consumeMessageOrderly);
  const result = await client.put<GroupUpsertResponse>(['groups', options.groupName], body);
  print(`create subscription group to ${client.baseUrl.replace(/^https?:\/\//, '')} success.\n${describeGroupConfig(result.config)}\n`);
}

/** Forgets a subscription group's configuration, as Apache's deleteSubGroup (its offsets stay). */
export async function deleteSubGroup(client: AdminClient, options: { groupName: string }, print: Print): Promise<void> {
  const [result, cluster] = await Promise.all([client.delete<GroupDeleteResponse>(['groups', options.groupName]), client.get<ClusterResponse>(['cluster'])]);
  print(`delete subscription group [${result.deleted}] from broker [${cluster.brokerName}] success.\n`);
}

/** A subscription group's configuration, one `name = value` per line, as Apache's getConsumerConfig. */
export async function getConsumerConfig(client: AdminClient, options: { groupName: string }, print: Print): Promise<void> {
  const [detail, cluster] = await Promise.all([client.get<GroupDetailResponse>(['groups', options.groupName]), client.get<ClusterResponse>(['cluster'])]);
  if (detail.config === null) throw new AdminRequestError(`consumer group ${options.groupName} has no configuration (its consumers use the defaults)`, 404);
  const fields: Array<[string, string | number | boolean]> = [
    ['groupName', detail.config.group],
    ['consumeEnable', true],
    ['consumeMessageOrderly', detail.config.fifo],
    ['retryMaxTimes', detail.config.maxDeliveryAttempts - 1],
  ];
  print(`=============================${cluster.clusterName}:${cluster.brokerName}=============================\n`);
  print(fields.map(([name, value]) => `${name.padEnd(40)}=  ${String(value)}\n`).join(''));
}

/** One topic name per line, as mqadmin topicList prints without `-c`. */
export async function topicList(client: AdminClient, print: Print): Promise<void> {
  const { topics } = await client.get<TopicListResponse>(['topics']);
  print(topics.map((t) => `${t.name}\n`).join(''));
}

export async function topicStatus(client: AdminClient, options: { topic: string }, print: Print): Promise<void> {
  const [status, cluster] = await Promise.all([client.get<TopicStatusResponse>(['topics', options.topic]), client.get<ClusterResponse>(['cluster'])]);
  const rows = status.queues.map((q) => [cluster.brokerName, q.queueId, q.minOffset, q.maxOffset, formatTimestamp(q.lastUpdateTimestampMs)]);
  print(formatTable(['Broker Name', 'QID', 'Min Offset', 'Max Offset', 'Last Updated'], rows));
  const half = status.halfMessages;
  if (half.pending + half.checkMax > 0) print(`\nHalf Messages: ${half.pending} pending, ${half.checkMax} check-max\n`);
}

/**
 * Unresolved half messages, oldest first: pending ones (waiting for EndTransaction or a
 * check-back answer) and check-max ones (given up on; resolve them with commitTransaction or
 * rollbackTransaction).
 */
export async function listHalfMessages(
  client: AdminClient,
  options: { topic?: string; state?: string; maxNum?: number },
  print: Print,
  nowMs: number,
): Promise<void> {
  if (options.state !== undefined && options.state !== 'pending' && options.state !== 'check-max') {
    throw new UsageError(`bad state ${JSON.stringify(options.state)} for -s: expected pending or check-max`);
  }
  const list = await client.get<TransactionListResponse>(['transactions'], { topic: options.topic, state: options.state, max: options.maxNum });
  const rows = list.transactions.map((t) => [
    t.transactionId,
    t.messageId,
    t.topic,
    t.state,
    formatAge(t.ageMs),
    t.checkCount,
    t.nextCheckAtMs === undefined ? '-' : formatAge(Math.max(0, t.nextCheckAtMs - nowMs)),
    formatTimestamp(t.bornTimestampMs),
  ]);
  print(formatTable(['Transaction ID', 'Message ID', 'Topic', 'State', 'Age', 'Checks', 'Next Check In', 'Born Time'], rows));
  const shown = list.transactions.length < list.total ? ` (showing ${list.transactions.length})` : '';
  print(`\nHalf Messages: ${list.total}${shown}; broker total ${list.counts.pending} pending, ${list.counts.checkMax} check-max\n`);
}

/** `commitTransaction` / `rollbackTransaction -i <transactionId>`: an operator's resolution. */
export async function endTransaction(
  client: AdminClient,
  options: { transactionId: string; topic?: string; msgId?: string },
  resolution: 'commit' | 'rollback',
  print: Print,
): Promise<void> {
  const body: Record<string, string> = {};
  if (options.topic !== undefined) body.topic = options.topic;
  if (options.msgId !== undefined) body.messageId = options.msgId;
  const result = await client.post<TransactionResolveResponse>(['transactions', options.transactionId, resolution], body);
  const outcome = result.duplicate
    ? `was already ${resolution === 'commit' ? 'committed' : 'rolled back'}`
    : `${resolution === 'commit' ? 'committed' : 'rolled back'}`;
  print(`transaction [${result.transactionId}] of message [${result.messageId}] on topic [${result.topic}] ${outcome}.\n`);
}

/** With `-g`: the group's per-queue progress; without: one line per group. */
export async function consumerProgress(client: AdminClient, options: { group?: string }, print: Print): Promise<void> {
  if (options.group === undefined) {
    const { groups } = await client.get<GroupListResponse>(['groups']);
    const rows = groups.map((g) => [
      g.group,
      g.topics.length,
      g.config?.fifo ? 'FIFO' : 'CONCURRENTLY',
      g.config?.maxDeliveryAttempts ?? '-',
      g.inFlight,
      g.totalLag,
    ]);
    print(formatTable(['Group', 'Topics', 'Type', 'Max Deliveries', 'Inflight', 'Diff Total'], rows));
    return;
  }
  const [detail, cluster] = await Promise.all([client.get<GroupDetailResponse>(['groups', options.group]), client.get<ClusterResponse>(['cluster'])]);
  const rows = detail.progress.map((p) => [p.topic, cluster.brokerName, p.queueId, p.brokerOffset, p.consumerOffset, p.inFlight, p.lag]);
  print(formatTable(['Topic', 'Broker Name', 'QID', 'Broker Offset', 'Consumer Offset', 'Inflight', 'Diff'], rows));
  print(`\nConsume Diff Total: ${detail.totalLag}\nConsume Inflight Total: ${detail.inFlight}\n`);
}

/** `-i` takes one id or several, comma-separated, as mqadmin's. */
export async function queryMsgById(client: AdminClient, options: { msgId: string }, print: Print): Promise<void> {
  const ids = options.msgId
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  if (ids.length === 0) throw new UsageError('-i needs a message id');
  for (const id of ids) {
    const { records } = await client.get<MessageQueryResponse>(['messages', id]);
    print(records.map(describeMessage).join('\n'));
  }
}

/** Apache's queryMsgTraceById: the message's trace as one table, oldest step first (`GET /messages/:id/timeline`). */
export async function queryMsgTraceById(client: AdminClient, options: { msgId: string }, print: Print): Promise<void> {
  const id = options.msgId.trim();
  if (id === '') throw new UsageError('-i needs a message id');
  const { steps, truncated } = await client.get<MessageTimelineResponse>(['messages', id, 'timeline']);
  const rows = steps.map((step) => [
    step.type,
    formatTimestamp(step.timeMs),
    `+${step.sinceFirstMs}`,
    step.group ?? step.topic,
    step.clientId ?? '',
    describeStep(step),
  ]);
  print(formatTable(['Type', 'Time', 'Since First (ms)', 'Group / Topic', 'Client', 'Detail'], rows));
  if (truncated) print('(more steps than the broker reads at once: the latest may be missing)\n');
}

/** What a timeline step adds besides its type, time and client. */
function describeStep(step: TimelineStepView): string {
  switch (step.type) {
    case 'Pub':
      return `stored ${step.messageType ?? ''} queue ${step.queueId ?? '?'} in ${step.costMs ?? '?'} ms, ${step.bodyLength ?? 0} bytes${step.deliveryTimestampMs ? `, due ${formatTimestamp(step.deliveryTimestampMs)}` : ''}`;
    case 'CheckBack':
      return `check-back #${step.checkCount ?? '?'} of transaction ${step.transactionId ?? ''}`;
    case 'EndTransaction':
      return `${step.resolution ?? ''} by ${step.source ?? ''}`;
    case 'SubBefore':
      return `delivered, attempt ${step.attempt ?? '?'}`;
    case 'SubAfter':
      return 'acknowledged';
    case 'DeadLetter':
      return `to ${step.deadLetterTopic ?? ''} after ${step.attempts ?? '?'} attempts`;
    case 'Resent':
      return `resent from ${step.deadLetterTopic ?? ''} to queue ${step.queueId ?? '?'} by an operator`;
    case 'LocalTransaction':
    case 'Consumed':
    case 'Notification':
      return `${step.outcome ?? ''} in ${step.durationMs ?? '?'} ms${step.errorCode ? ` (${step.errorCode})` : ''}`;
  }
}

export async function queryMsgByKey(client: AdminClient, options: { topic: string; msgKey: string; maxNum?: number }, print: Print): Promise<void> {
  const { messages } = await client.get<MessageKeyQueryResponse>(['topics', options.topic, 'messages'], { key: options.msgKey, max: options.maxNum });
  const rows = messages.map((m) => [m.messageId, m.queueId, m.queueOffset, formatTimestamp(m.storeTimestampMs)]);
  print(formatTable(['Message ID', 'QID', 'Offset', 'Store Time'], rows));
}

export async function resetOffsetByTime(
  client: AdminClient,
  options: { group: string; topic: string; timestamp: string },
  print: Print,
  nowMs: number,
): Promise<void> {
  const timestamp = parseResetTimestamp(options.timestamp, nowMs);
  const result = await client.post<ResetOffsetResponse>(['groups', options.group, 'reset-offset'], { topic: options.topic, timestamp });
  const cluster = await client.get<ClusterResponse>(['cluster']);
  print(
    `rollback consumer offset by specified group[${result.group}], topic[${result.topic}], ` +
      `timestamp(string)[${options.timestamp}], timestamp(long)[${result.timestampMs}]\n`,
  );
  print(
    formatTable(
      ['brokerName', 'queueId', 'offset'],
      result.offsets.map((o) => [cluster.brokerName, o.queueId, o.offset]),
    ),
  );
}

export async function clusterList(client: AdminClient, print: Print): Promise<void> {
  const c = await client.get<ClusterResponse>(['cluster']);
  print(
    formatTable(
      ['Cluster Name', 'Broker Name', 'BID', 'Addr', 'Version', 'Admin Addr'],
      [[c.clusterName, c.brokerName, c.brokerId, c.addresses.grpc, c.version, c.addresses.admin]],
    ),
  );
}

/**
 * mqadmin's `-a` takes `+key=value` pairs, comma-separated; this broker knows one attribute,
 * `message.type` (NORMAL, FIFO, DELAY, TRANSACTION).
 */
export function messageTypeAttribute(attributes: string): string {
  let messageType: string | undefined;
  for (const pair of attributes
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const match = /^\+([^=]+)=(.*)$/.exec(pair);
    if (!match) throw new UsageError(`bad attribute ${JSON.stringify(pair)}: expected +key=value, e.g. +message.type=FIFO`);
    if (match[1] !== 'message.type') throw new UsageError(`unsupported attribute ${JSON.stringify(match[1])}: only message.type is supported`);
    messageType = match[2].toUpperCase();
  }
  if (messageType === undefined) throw new UsageError('-a needs +message.type=<NORMAL|FIFO|DELAY|TRANSACTION>');
  return messageType;
}

/** mqadmin's `-s`: `now`, milliseconds since the epoch, or `yyyy-MM-dd#HH:mm:ss:SSS` (local time). */
export function parseResetTimestamp(value: string, nowMs: number): number {
  if (value === 'now') return nowMs;
  if (/^\d+$/.test(value)) return Number(value);
  const m = /^(\d{4})-(\d{2})-(\d{2})#(\d{2}):(\d{2}):(\d{2}):(\d{3})$/.exec(value);
  if (m) {
    const [, y, mo, d, h, mi, s, ms] = m.map(Number);
    const date = new Date(y, mo - 1, d, h, mi, s, ms);
    if (!Number.isNaN(date.getTime())) return date.getTime();
  }
  throw new UsageError(`bad timestamp ${JSON.stringify(value)} for -s: expected now, milliseconds, or yyyy-MM-dd#HH:mm:ss:SSS`);
}

/** A duration as `1h02m03s`, `2m03s`, `3.4s`: ages of half messages. */
export function formatAge(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const totalSeconds = Math.floor(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const two = (n: number): string => String(n).padStart(2, '0');
  return hours > 0 ? `${hours}h${two(minutes)}m${two(seconds)}s` : `${minutes}m${two(seconds)}s`;
}

/** RocketMQ's `SubscriptionGroupConfig.toString()` fields this broker has, in its layout. */
function describeGroupConfig(g: SubscriptionGroupConfig): string {
  return `SubscriptionGroupConfig [groupName=${g.group}, consumeEnable=true, consumeMessageOrderly=${g.fifo}, retryMaxTimes=${g.maxDeliveryAttempts - 1}]`;
}

function parseBoolean(name: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new UsageError(`bad ${name} ${JSON.stringify(value)}: expected true or false`);
}

/** RocketMQ's `TopicConfig.toString()` layout, so scripts grepping it keep working. */
function describeTopicConfig(t: TopicConfig): string {
  return (
    `TopicConfig [topicName=${t.name}, readQueueNums=${t.readQueueNums}, writeQueueNums=${t.writeQueueNums}, ` +
    `perm=${formatPerm(t.perm)}, topicFilterType=SINGLE_TAG, topicSysFlag=0, order=${t.messageType === 'FIFO'}, ` +
    `attributes={+message.type=${t.messageType}}]`
  );
}

function describeMessage(m: MessageView): string {
  return formatFields([
    ['Message ID', m.messageId],
    ['Topic', m.topic],
    ['Tags', `[${m.tag ?? ''}]`],
    ['Keys', `[${m.keys.join(' ')}]`],
    ['Queue ID', m.queueId],
    ['Queue Offset', m.queueOffset],
    ['CommitLog Offset', m.commitLogOffset],
    ['Record Type', m.recordType],
    ['Message Group', m.messageGroup ?? '-'],
    ['Born Timestamp', formatTimestamp(m.bornTimestampMs)],
    ['Store Timestamp', formatTimestamp(m.storeTimestampMs)],
    ['Delivery Timestamp', formatTimestamp(m.deliveryTimestampMs)],
    ['Properties', JSON.stringify(m.properties)],
    ['Message Body Size', m.bodySizeBytes],
    ['Message Body', m.bodyUtf8Preview.replace(/\n/g, '\\n') + (m.bodyPreviewTruncated ? ' ...' : '')],
  ]);
}

/** Apache's createUser: `-u username -p password [-t Super|Normal]`. */
export async function createUser(client: AdminClient, options: { username: string; password: string; userType?: string }, print: Print): Promise<void> {
  await client.post<UserResponse>(['users'], { username: options.username, password: options.password, ...userFields(options) });
  print(`create user to ${client.baseUrl.replace(/^https?:\/\//, '')} success.\n`);
}

/** Apache's updateUser: `-u username [-p password] [-t Super|Normal] [-s enable|disable]`. */
export async function updateUser(
  client: AdminClient,
  options: { username: string; password?: string; userType?: string; userStatus?: string },
  print: Print,
): Promise<void> {
  const body = { ...(options.password === undefined ? {} : { password: options.password }), ...userFields(options) };
  if (Object.keys(body).length === 0) throw new UsageError('updateUser needs at least one of -p, -t, -s');
  await client.put<UserResponse>(['users', options.username], body);
  print(`update user to ${client.baseUrl.replace(/^https?:\/\//, '')} success.\n`);
}

/** Apache's deleteUser: `-u username`. */
export async function deleteUser(client: AdminClient, options: { username: string }, print: Print): Promise<void> {
  await client.delete<UserDeleteResponse>(['users', options.username]);
  print(`delete user to ${client.baseUrl.replace(/^https?:\/\//, '')} success.\n`);
}

/** Apache's getUser: one row of listUser's table. */
export async function getUser(client: AdminClient, options: { username: string }, print: Print): Promise<void> {
  const { user } = await client.get<UserResponse>(['users', options.username]);
  print(userTable([user]));
}

/** Apache's listUser `[-f filter]`: the users whose name contains the filter. */
export async function listUser(client: AdminClient, options: { filter?: string }, print: Print): Promise<void> {
  const { users } = await client.get<UserListResponse>(['users']);
  print(userTable(users.filter((user) => !options.filter || user.username.includes(options.filter))));
}

/** Apache's columns; the password column shows stars: the admin API never returns a secret. */
function userTable(users: readonly UserView[]): string {
  const row = (cells: readonly string[]): string => `${cells[0].padEnd(16)}  ${cells[1].padEnd(22)}  ${cells[2].padEnd(22)}  ${cells[3]}\n`;
  return (
    row(['#UserName', '#Password', '#UserType', '#UserStatus']) + users.map((user) => row([user.username, '******', user.userType, user.userStatus])).join('')
  );
}

function userFields(options: { userType?: string; userStatus?: string }): Record<string, string> {
  const fields: Record<string, string> = {};
  if (options.userType !== undefined) {
    // Apache's UserType.getByName is case-insensitive: "super" and "Super" are one type.
    const type = { super: 'Super', normal: 'Normal' }[options.userType.toLowerCase()];
    if (!type) throw new UsageError(`bad userType ${options.userType} for -t: expected Super or Normal`);
    fields.userType = type;
  }
  if (options.userStatus !== undefined) {
    const status = options.userStatus.toLowerCase();
    if (status !== 'enable' && status !== 'disable') throw new UsageError(`bad userStatus ${options.userStatus} for -s: expected enable or disable`);
    fields.userStatus = status;
  }
  return fields;
}

/** Apache's createAcl and updateAcl: `-s User:<name> -r res1,res2 -a Pub,Sub -d Allow|Deny [-i ip1,cidr2]`. */
export async function setAcl(
  verb: 'create' | 'update',
  client: AdminClient,
  options: { subject: string; resources: string; actions: string; decision: string; sourceIp?: string },
  print: Print,
): Promise<void> {
  const list = (text: string | undefined): string[] =>
    (text ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  const entries = list(options.resources).map((resource) => ({
    resource,
    actions: list(options.actions),
    decision: options.decision,
    sourceIps: list(options.sourceIp),
  }));
  if (entries.length === 0) throw new UsageError('give at least one resource with -r');
  await client.put<AclResponse>(['acls', options.subject], { entries });
  print(`${verb} acl to ${client.baseUrl.replace(/^https?:\/\//, '')} success.\n`);
}

/** Apache's deleteAcl: `-s subject [-r res1,res2]` (without -r, the whole ACL). */
export async function deleteAcl(client: AdminClient, options: { subject: string; resources?: string }, print: Print): Promise<void> {
  await client.delete<unknown>(['acls', options.subject], options.resources ? { resource: options.resources } : {});
  print(`delete acl to ${client.baseUrl.replace(/^https?:\/\//, '')} success.\n`);
}

/** Apache's getAcl: `-s subject`, in listAcl's table. */
export async function getAcl(client: AdminClient, options: { subject: string }, print: Print): Promise<void> {
  const { acl } = await client.get<AclResponse>(['acls', options.subject]);
  print(aclTable([acl]));
}

/** Apache's listAcl `[-s subject] [-r resource]`. */
export async function listAcl(client: AdminClient, options: { subject?: string; resource?: string }, print: Print): Promise<void> {
  const { acls } = await client.get<AclListResponse>(['acls'], { subject: options.subject, resource: options.resource });
  print(aclTable(acls));
}

/** Apache's columns (`%-16s  %-10s  %-22s  %-20s  %-24s  %-10s`); the policy type is always Custom here. */
function aclTable(acls: readonly AclView[]): string {
  const row = (cells: readonly string[]): string =>
    `${cells[0].padEnd(16)}  ${cells[1].padEnd(10)}  ${cells[2].padEnd(22)}  ${cells[3].padEnd(20)}  ${cells[4].padEnd(24)}  ${cells[5]}`.trimEnd() + '\n';
  const rows = acls.flatMap((acl) =>
    acl.entries.map((entry) => row([acl.subject, 'Custom', entry.resource, entry.actions.join(','), entry.sourceIps.join(','), entry.decision])),
  );
  return row(['#Subject', '#PolicyType', '#Resource', '#Actions', '#SourceIp', '#Decision']) + rows.join('');
}
