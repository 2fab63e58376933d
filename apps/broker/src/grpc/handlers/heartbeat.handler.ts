import { HeartbeatRequest, HeartbeatResponse, Status } from '../messaging.types';
import { MessagingParts } from '../messaging-parts';
import { RequestContext } from '../request-context';
import { validGroup } from '../request-validator';
import { OK_STATUS, status, Statuses } from '../status-codes';
import { UnaryHandler } from './handler.types';

/**
 * Heartbeat keeps a client registered (ClientActivity.heartbeat): like every request, it postpones
 * the expiry of a client whose telemetry stream is closed (MessagingServer touches the client before
 * any handler runs; TelemetrySessions forgets clients silent for channelExpiredTimeout). It needs
 * the Settings the client sent on its telemetry stream first; a consumer's heartbeat must name a
 * valid group.
 */
export class HeartbeatHandler implements UnaryHandler<HeartbeatRequest, HeartbeatResponse> {
  constructor(private readonly parts: MessagingParts) {}

  async handle(request: HeartbeatRequest, context: RequestContext): Promise<HeartbeatResponse> {
    const settings = this.parts.sessions.settingsOf(context.clientId);
    if (!settings) return this.failure(Statuses.noClientSettings());
    switch (settings.clientType) {
      case 'PRODUCER':
        break;
      case 'PUSH_CONSUMER':
      case 'SIMPLE_CONSUMER': {
        const group = validGroup(request.group);
        if ('status' in group) return this.failure(group.status);
        break;
      }
      default:
        return this.failure(status('UNRECOGNIZED_CLIENT_TYPE', String(settings.clientType)));
    }
    return { status: OK_STATUS };
  }

  failure(status: Status): HeartbeatResponse {
    return { status };
  }
}
