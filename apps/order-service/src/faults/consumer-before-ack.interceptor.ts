import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable, tap } from 'rxjs';
import { FaultInjector } from '@app/faults';

/** What a consumer handler returns when it applied its effect (a duplicate the dedupe skipped returns nothing). */
export const EFFECT_APPLIED = 'applied';

/**
 * The `consumer-before-ack` fault point. Declared under @IdempotentConsumer (so it is the outer
 * interceptor), it sees the handler's result after the dedupe transaction committed and before
 * the consumer runner acks: a kill here leaves a committed effect with an unacked message, which
 * the broker redelivers and the dedupe skips. It fires only when the effect was applied, so a
 * restarted process is not killed again by the redelivered duplicate.
 */
@Injectable()
export class ConsumerBeforeAckInterceptor implements NestInterceptor {
  constructor(private readonly faults: FaultInjector) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      tap((result) => {
        if (result === EFFECT_APPLIED) this.faults.hit('consumer-before-ack');
      }),
    );
  }
}
