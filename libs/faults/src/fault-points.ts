import type { TransactionalMessageStep } from '@app/outbox';

/**
 * The demo's fault points, where a service SIGKILLs itself when `FAULTS` names it. The first three
 * are steps of @TransactionalMessage (both services); `consumer-before-ack` and
 * `in-notification-receiver` are order-service's. Each service accepts every name, so one
 * `FAULTS` vocabulary serves both, and apps/demo's scenarios name them with this type.
 */
export const FAULT_POINTS = ['after-half-send', 'inside-local-transaction', 'after-local-commit', 'consumer-before-ack', 'in-notification-receiver'] as const;

/** One of FAULT_POINTS. */
export type FaultPoint = (typeof FAULT_POINTS)[number];

/** Which fault point each step of the half-message flow (OutboxModule `hooks.onStep`) is. */
export const FAULT_POINT_OF_STEP: Readonly<Record<TransactionalMessageStep, FaultPoint>> = {
  'half-sent': 'after-half-send',
  'row-inserted': 'inside-local-transaction',
  'local-committed': 'after-local-commit',
};
