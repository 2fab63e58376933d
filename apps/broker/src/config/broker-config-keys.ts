import { FlushDiskType } from '../store/store-options';
import { BrokerConfig, TlsClientAuth, TlsMode } from './broker-config';

/** The value types a config key can have, and the TypeScript type each parses to. */
interface ValueKinds {
  port: number;
  'positive-integer': number;
  'non-negative-integer': number;
  boolean: boolean;
  'flush-disk-type': FlushDiskType;
  'tls-mode': TlsMode;
  'tls-client-auth': TlsClientAuth;
  text: string;
}
type ValueKind = keyof ValueKinds;
type KindFor<T> = { [K in ValueKind]: ValueKinds[K] extends T ? K : never }[ValueKind];

interface FieldSpec<T> {
  kind: KindFor<T>;
  /** The RocketMQ `broker.conf` names mapped onto this field, besides the field's own name. */
  rocketmqKeys?: readonly string[];
}

/**
 * The one place RocketMQ's property names are mapped onto the project's (STYLE 3). Every
 * BrokerConfig field is listed, so the compiler catches a field added without a parser.
 */
const FIELDS: { [F in keyof BrokerConfig]: FieldSpec<BrokerConfig[F]> } = {
  grpcPort: { kind: 'port', rocketmqKeys: ['listenPort'] },
  httpPort: { kind: 'port' },
  host: { kind: 'text' },
  storeDir: { kind: 'text', rocketmqKeys: ['storePathRootDir'] },
  flushDiskType: { kind: 'flush-disk-type' },
  flushIntervalMs: { kind: 'positive-integer', rocketmqKeys: ['flushIntervalCommitLog'] },
  // RocketMQ renamed `maped` to `mapped` in 4.x; files written for older brokers still use it.
  segmentSizeBytes: { kind: 'positive-integer', rocketmqKeys: ['mappedFileSizeCommitLog', 'mapedFileSizeCommitLog'] },
  fileReservedTimeHours: { kind: 'non-negative-integer', rocketmqKeys: ['fileReservedTime'] },
  diskMaxUsedSpaceRatio: { kind: 'positive-integer' },
  diskSpaceWarningLevelRatio: { kind: 'positive-integer' },
  diskSpaceCleanForciblyRatio: { kind: 'positive-integer' },
  autoCreateTopicEnable: { kind: 'boolean' },
  defaultTopicQueueNums: { kind: 'positive-integer' },
  autoCreateSubscriptionGroup: { kind: 'boolean' },
  maxMessageSizeBytes: { kind: 'positive-integer', rocketmqKeys: ['maxMessageSize'] },
  transactionTimeoutMs: { kind: 'positive-integer', rocketmqKeys: ['transactionTimeOut'] },
  transactionCheckIntervalMs: { kind: 'positive-integer', rocketmqKeys: ['transactionCheckInterval'] },
  transactionCheckMax: { kind: 'non-negative-integer' },
  transactionExtensionsEnabled: { kind: 'boolean' },
  channelExpiredTimeoutMs: { kind: 'positive-integer', rocketmqKeys: ['channelExpiredTimeout'] },
  minLongPollingTimeoutMs: { kind: 'positive-integer', rocketmqKeys: ['grpcClientConsumerMinLongPollingTimeoutMillis'] },
  maxLongPollingTimeoutMs: { kind: 'positive-integer', rocketmqKeys: ['grpcClientConsumerMaxLongPollingTimeoutMillis'] },
  minReceiveInvisibleDurationMs: { kind: 'positive-integer', rocketmqKeys: ['minInvisibleTimeMillsForRecv'] },
  maxInvisibleDurationMs: { kind: 'positive-integer', rocketmqKeys: ['maxInvisibleTimeMills'] },
  brokerName: { kind: 'text' },
  clusterName: { kind: 'text', rocketmqKeys: ['brokerClusterName'] },
  repair: { kind: 'boolean' },
  tlsMode: { kind: 'tls-mode', rocketmqKeys: ['tls.server.mode'] },
  tlsNeedClientAuth: { kind: 'tls-client-auth', rocketmqKeys: ['tls.server.need.client.auth'] },
  tlsAuthClient: { kind: 'boolean', rocketmqKeys: ['tls.server.authClient'] },
  tlsTrustCertPath: { kind: 'text', rocketmqKeys: ['tls.server.trustCertPath'] },
  tlsCertPath: { kind: 'text', rocketmqKeys: ['tls.server.certPath'] },
  tlsKeyPath: { kind: 'text', rocketmqKeys: ['tls.server.keyPath'] },
  authenticationEnabled: { kind: 'boolean' },
  initAuthenticationUser: { kind: 'text' },
  authenticationMaxClockSkewMs: { kind: 'positive-integer' },
  authorizationEnabled: { kind: 'boolean' },
  maxConnections: { kind: 'positive-integer' },
  traceTopicEnable: { kind: 'boolean' },
  msgTraceTopicName: { kind: 'text' },
  appTraceTopicName: { kind: 'text' },
};

const FIELD_BY_KEY: ReadonlyMap<string, keyof BrokerConfig> = new Map(
  (Object.keys(FIELDS) as Array<keyof BrokerConfig>).flatMap((field) => [
    [field, field] as const,
    ...(FIELDS[field].rocketmqKeys ?? []).map((key) => [key, field] as const),
  ]),
);

/** The BrokerConfig field a config-file key sets (RocketMQ or project name), or undefined if unknown. */
export function fieldForConfigKey(key: string): keyof BrokerConfig | undefined {
  return FIELD_BY_KEY.get(key);
}

/** Why a value was rejected, phrased to follow "expected ...". */
export type ParsedValue<T> = { ok: true; value: T } | { ok: false; expected: string };

/** Parses a raw string for a field; the caller turns a failure into a BrokerConfigError. */
export function parseConfigValue<F extends keyof BrokerConfig>(field: F, raw: string): ParsedValue<BrokerConfig[F]> {
  const parsed = PARSERS[FIELDS[field].kind](raw.trim());
  return parsed as ParsedValue<BrokerConfig[F]>;
}

const MAX_PORT = 65535;

const PARSERS: { [K in ValueKind]: (raw: string) => ParsedValue<ValueKinds[K]> } = {
  port: (raw) => {
    const value = parseDecimal(raw);
    return value !== undefined && value <= MAX_PORT
      ? { ok: true, value }
      : { ok: false, expected: `an integer port from 0 to ${MAX_PORT} (0 picks a free port)` };
  },
  'positive-integer': (raw) => {
    const value = parseDecimal(raw);
    return value !== undefined && value > 0 ? { ok: true, value } : { ok: false, expected: 'a positive integer' };
  },
  'non-negative-integer': (raw) => {
    const value = parseDecimal(raw);
    return value !== undefined ? { ok: true, value } : { ok: false, expected: 'a non-negative integer' };
  },
  // Java's Boolean.parseBoolean reads anything but "true" as false; a typo such as "ture" would
  // silently flip a setting, so anything but true or false is rejected.
  boolean: (raw) => {
    const lower = raw.toLowerCase();
    if (lower === 'true' || lower === 'false') return { ok: true, value: lower === 'true' };
    return { ok: false, expected: 'true or false' };
  },
  'flush-disk-type': (raw) => (raw === 'SYNC_FLUSH' || raw === 'ASYNC_FLUSH' ? { ok: true, value: raw } : { ok: false, expected: 'SYNC_FLUSH or ASYNC_FLUSH' }),
  'tls-mode': (raw) =>
    raw === 'disabled' || raw === 'permissive' || raw === 'enforcing' ? { ok: true, value: raw } : { ok: false, expected: 'disabled, permissive or enforcing' },
  // Netty's ClientAuth, which Apache parses without regard to case.
  'tls-client-auth': (raw) => {
    const lower = raw.toLowerCase();
    return lower === 'none' || lower === 'optional' || lower === 'require' ? { ok: true, value: lower } : { ok: false, expected: 'none, optional or require' };
  },
  text: (raw) => (raw !== '' ? { ok: true, value: raw } : { ok: false, expected: 'a non-empty string' }),
};

/** Plain decimal digits only: `1e3`, `0x10` and `12abc` are more likely mistakes than intent. */
function parseDecimal(raw: string): number | undefined {
  if (!/^\d+$/.test(raw)) return undefined;
  const value = Number(raw);
  return Number.isSafeInteger(value) ? value : undefined;
}
