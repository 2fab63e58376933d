import { STORE_DEFAULTS } from '../store/store.defaults';

/**
 * Settings of the transaction service, with their defaults (merged once in the constructor).
 * The first three are the broker's configuration (`transactionTimeOut`, `transactionCheckInterval`,
 * `transactionCheckMax` in broker.conf); the rest are internal bounds.
 */
export interface TransactionSettings {
  /** Age of an unresolved half message at its first check-back (RocketMQ `transactionTimeOut`). Default 6 s. */
  transactionTimeoutMs: number;
  /**
   * Pause between two check-backs of one half message (RocketMQ `transactionCheckInterval`), and
   * before the next attempt when no live producer of its topic was connected. Default 30 s.
   */
  transactionCheckIntervalMs: number;
  /**
   * Check-backs actually sent to a live producer (every attempt with transactionExtensionsEnabled
   * off) before the half message is moved to TRANS_CHECK_MAX_TIME_TOPIC (RocketMQ
   * `transactionCheckMax`). Default 15.
   */
  transactionCheckMax: number;
  /** How often the check-back scanner looks for due half messages. Default 1 s. */
  checkScanIntervalMs: number;
  /**
   * The most half messages one scan checks back (or moves to the check-max topic); further due
   * ones wait for the next scan, so a backlog is spread over time. Default 256.
   */
  maxChecksPerScan: number;
  /** The state file is written at most this often while something changed, and at close. Default 1 s. */
  stateWriteIntervalMs: number;
  /**
   * Resolutions (committed / rolled back) remembered to answer a repeated EndTransaction with
   * "duplicate" or "conflict". Older ones are forgotten, oldest resolution first (and any whose
   * half message retention deleted): a late call for one is answered `not-found` and still
   * changes nothing. Memory: about 80 bytes per entry, 8 MB at the default. Default 100,000.
   */
  maxResolvedTransactions: number;
  /**
   * The broker's improvements over Apache RocketMQ's transactions (broker.conf
   * `transactionExtensionsEnabled`). On: resolutions are final (a repeat answers duplicate, the
   * opposite answer is refused) and a check-back that reaches no live producer is not counted and
   * is retried when one connects. Off: as Apache's broker, every EndTransaction naming a half
   * message still in the log resolves it again (a second COMMIT delivers again) and every check
   * counts, reached or not (transaction-resolver.ts and check-back-scanner.ts name the Java).
   * Off exists to prove the libraries need neither. Default true.
   */
  transactionExtensionsEnabled: boolean;
  /** Records read per page when open() catches up with the commit log. Default 1,024. */
  scanPageRecords: number;
  /**
   * The store's largest record (`maxMessageSizeBytes`). A transaction id naming a larger record
   * cannot be genuine and is answered not-found without reading the log, so a forged id cannot
   * make the broker read a whole segment. Default: the store's default.
   */
  maxMessageSizeBytes: number;
}

export const TRANSACTION_DEFAULTS: TransactionSettings = {
  transactionTimeoutMs: 6_000,
  transactionCheckIntervalMs: 30_000,
  transactionCheckMax: 15,
  checkScanIntervalMs: 1_000,
  maxChecksPerScan: 256,
  stateWriteIntervalMs: 1_000,
  maxResolvedTransactions: 100_000,
  transactionExtensionsEnabled: true,
  scanPageRecords: 1_024,
  maxMessageSizeBytes: STORE_DEFAULTS.maxMessageSizeBytes,
};

type NumericSettingName = { [K in keyof TransactionSettings]: TransactionSettings[K] extends number ? K : never }[keyof TransactionSettings];

/** Throws (a programmer error: the configuration layer validates user input) on an unusable setting. */
export function checkTransactionSettings(settings: TransactionSettings): void {
  const positive: NumericSettingName[] = [
    'transactionTimeoutMs',
    'transactionCheckIntervalMs',
    'checkScanIntervalMs',
    'maxChecksPerScan',
    'stateWriteIntervalMs',
    'maxResolvedTransactions',
    'scanPageRecords',
    'maxMessageSizeBytes',
  ];
  for (const name of positive) {
    if (!Number.isSafeInteger(settings[name]) || settings[name] <= 0)
      throw new Error(`transaction setting ${name} must be a positive integer, got ${settings[name]}`);
  }
  if (!Number.isSafeInteger(settings.transactionCheckMax) || settings.transactionCheckMax < 0) {
    throw new Error(`transaction setting transactionCheckMax must be a non-negative integer, got ${settings.transactionCheckMax}`);
  }
}
