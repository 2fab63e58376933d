import { NotifyClientTerminationRequest, NotifyClientTerminationResponse, Status } from '../messaging.types';
import { MessagingParts } from '../messaging-parts';
import { RequestContext } from '../request-context';
import { OK_STATUS, Statuses } from '../status-codes';
import { UnaryHandler } from './handler.types';

/**
 * NotifyClientTermination: a client is shutting down; the broker forgets its settings, so it is no
 * longer asked about transactions or counted among the group's consumers
 * (ClientActivity.notifyClientTermination). Its telemetry stream ends when the client closes it.
 */
export class NotifyClientTerminationHandler implements UnaryHandler<NotifyClientTerminationRequest, NotifyClientTerminationResponse> {
  constructor(private readonly parts: MessagingParts) {}

  async handle(_request: NotifyClientTerminationRequest, context: RequestContext): Promise<NotifyClientTerminationResponse> {
    const settings = this.parts.sessions.terminate(context.clientId);
    if (!settings) return this.failure(Statuses.noClientSettings());
    context.logger.debug({ clientId: context.clientId, clientType: settings.clientType }, 'client terminated');
    return { status: OK_STATUS };
  }

  failure(status: Status): NotifyClientTerminationResponse {
    return { status };
  }
}
