import { Logger } from 'pino';
import { StoredMessage } from '../store/message-record';
import { ProducerChannels } from '../transaction/transaction.types';
import { toProtoMessage } from './message-converter';
import { Message, TelemetryCommand } from './messaging.types';
import { AdvertisedAddress } from './messaging-parts';
import { TelemetrySessions } from './telemetry-sessions';

/**
 * The transaction layer's way to a producer (ProducerChannels, owned by transaction/): a
 * RecoverOrphanedTransactionCommand on the telemetry stream of a live producer of the half
 * message's topic, producers taking turns (TelemetrySessions.sendToProducerOf). The proxy does the
 * same in GrpcClientChannel.processCheckTransaction.
 *
 * The producer answers, if it has decided, with EndTransaction(source SOURCE_SERVER_CHECK) on the
 * endpoints the command arrived from (end-transaction.handler.ts).
 */
export class TelemetryProducerChannels implements ProducerChannels {
  constructor(
    private readonly sessions: TelemetrySessions,
    /** Where clients reach this broker; read at each check, since the port is bound at start. */
    private readonly address: () => AdvertisedAddress,
    private readonly logger: Logger,
  ) {}

  sendCheck(half: StoredMessage, transactionId: string): string | undefined {
    const command: TelemetryCommand = {
      recoverOrphanedTransactionCommand: { message: checkMessage(half, this.storeHost()), transactionId },
    };
    const clientId = this.sessions.sendToProducerOf(half.topic, command);
    this.logger.debug(
      { topic: half.topic, messageId: half.messageId, transactionId, clientId },
      clientId ? 'check-back sent' : 'no live producer for a check-back',
    );
    return clientId;
  }

  private storeHost(): string {
    const { host, port } = this.address();
    return `${host}:${port}`;
  }
}

/**
 * The half message as a check-back carries it (the proxy's GrpcConverter.buildMessage of the half
 * message): its id, topic, tag, keys, user properties and body, message type TRANSACTION, the body
 * digest the clients verify before they call their checker (the Node client cannot even decode a
 * message without one), born and store time and host, queue id, delivery attempt 1. It has no
 * receipt handle, since it was not received, and no queue offset, since a half message has none
 * until it is committed.
 */
export function checkMessage(half: StoredMessage, storeHost: string): Message {
  const message = toProtoMessage(half, { deliveryAttempt: 1, storeHost });
  const system = { ...message.systemProperties, messageType: 'TRANSACTION' as const };
  if (half.queueOffset < 0) delete system.queueOffset;
  return { ...message, systemProperties: system };
}
