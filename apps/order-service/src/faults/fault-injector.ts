import { Inject, Injectable } from '@nestjs/common';
import type { TransactionalMessageStep } from '@app/outbox';
import { ORDER_SERVICE_CONFIG, type OrderServiceConfig } from '../order-service.config';

/** The fault points of the demo (contract of issue 8); the first three are steps of @TransactionalMessage. */
export const FAULT_POINTS = ['after-half-send', 'inside-local-transaction', 'after-local-commit', 'consumer-before-ack', 'in-notification-receiver'] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

/** Which fault point each step of the half-message flow (OutboxModule `hooks.onStep`) is. */
export const FAULT_POINT_OF_STEP: Record<TransactionalMessageStep, FaultPoint> = {
  'half-sent': 'after-half-send',
  'row-inserted': 'inside-local-transaction',
  'local-committed': 'after-local-commit',
};

/** Parses `FAULTS` (`name` or `name:N`, comma-separated): name -> the occurrence (1-based) that kills. */
export function parseFaults(value: string): ReadonlyMap<string, number> {
  const faults = new Map<string, number>();
  for (const entry of value.split(',').map((part) => part.trim()).filter(Boolean)) {
    const [name, occurrence = '1'] = entry.split(':');
    if (!(FAULT_POINTS as readonly string[]).includes(name)) throw new Error(`unknown fault point ${JSON.stringify(name)} (known: ${FAULT_POINTS.join(', ')})`);
    if (!/^[1-9]\d*$/.test(occurrence)) throw new Error(`${entry}: the occurrence must be a positive integer`);
    faults.set(name, Number(occurrence));
  }
  return faults;
}

/**
 * Kills the process at a configured fault point, as a crash would (SIGKILL: no shutdown hooks,
 * no ack, no answer), for the demo's scenarios only. With `FAULTS` empty, hit() only counts.
 */
@Injectable()
export class FaultInjector {
  private readonly occurrences = new Map<FaultPoint, number>();

  constructor(@Inject(ORDER_SERVICE_CONFIG) private readonly config: OrderServiceConfig) {}

  /** Called at the fault point; kills the process if this occurrence is the configured one. */
  hit(point: FaultPoint): void {
    const wanted = this.config.faults.get(point);
    if (wanted === undefined) return;
    const occurrence = (this.occurrences.get(point) ?? 0) + 1;
    this.occurrences.set(point, occurrence);
    if (occurrence === wanted) this.kill(point);
  }

  /** Tests replace this; in the service it does not return. */
  protected kill(point: FaultPoint): void {
    process.stderr.write(`FAULT ${point}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
