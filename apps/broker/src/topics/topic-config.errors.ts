/**
 * Why a topic or consumer-group configuration was refused (STYLE 10). Codes are listed in
 * docs/errors.md:
 * - `BROKER_ERR_INVALID_TOPIC`: a topic name or topic setting is invalid (characters, length,
 *   reserved system name, queue count, perm, message type).
 * - `BROKER_ERR_INVALID_GROUP`: a consumer-group name or group setting is invalid.
 * - `BROKER_ERR_TOPIC_CONFIG_CORRUPT`: `topics.json` or `subscription-groups.json` does not parse.
 */
export type TopicConfigErrorCode = 'BROKER_ERR_INVALID_TOPIC' | 'BROKER_ERR_INVALID_GROUP' | 'BROKER_ERR_TOPIC_CONFIG_CORRUPT';

/**
 * A refused topic or group configuration. `subject` is the topic or group name (or the file, for
 * a corrupt file) and `reason` the one-line explanation the admin API returns with a 400.
 */
export class TopicConfigError extends Error {
  constructor(
    readonly code: TopicConfigErrorCode,
    readonly subject: string,
    readonly reason: string,
  ) {
    super(`${describe(code)} ${JSON.stringify(subject)}: ${reason}`);
    this.name = 'TopicConfigError';
  }

  static invalidTopic(topic: string, reason: string): TopicConfigError {
    return new TopicConfigError('BROKER_ERR_INVALID_TOPIC', topic, reason);
  }

  static invalidGroup(group: string, reason: string): TopicConfigError {
    return new TopicConfigError('BROKER_ERR_INVALID_GROUP', group, reason);
  }

  static corruptFile(file: string, reason: string): TopicConfigError {
    return new TopicConfigError('BROKER_ERR_TOPIC_CONFIG_CORRUPT', file, reason);
  }
}

function describe(code: TopicConfigErrorCode): string {
  if (code === 'BROKER_ERR_INVALID_TOPIC') return 'Invalid topic';
  if (code === 'BROKER_ERR_INVALID_GROUP') return 'Invalid consumer group';
  return 'Corrupt configuration file';
}
