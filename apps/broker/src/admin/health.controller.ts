import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { MessageStore, StoreState } from '../store/message-store';
import { MESSAGE_STORE } from '../broker.tokens';

/** Body of a healthy `GET /health`. */
export interface HealthResponse {
  status: 'ok';
  store: StoreState;
  commitLog: { minOffset: number; maxOffset: number };
  /**
   * Acknowledged records found damaged since the store opened (not served; each logged once).
   * Not a reason to stop routing to the broker, but one for an operator to restore the file.
   */
  damagedRecords: number;
}

/**
 * Liveness and readiness in one: 200 only while the store accepts appends, so a load balancer or
 * container healthcheck stops routing to a broker that is recovering, shutting down or failed.
 */
@Controller('health')
export class HealthController {
  constructor(@Inject(MESSAGE_STORE) private readonly store: MessageStore) {}

  @Get()
  check(): HealthResponse {
    const state = this.store.state;
    if (state !== StoreState.Running) {
      throw new ServiceUnavailableException({ status: 'unavailable', store: state });
    }
    return { status: 'ok', store: state, commitLog: this.store.getCommitLogBounds(), damagedRecords: this.store.damagedRecords().total };
  }
}
