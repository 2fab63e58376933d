/** Metadata key of @BestEffortNotify (namespaced, STYLE 13). */
export const BEST_EFFORT_NOTIFY_METADATA = 'nest-rocket-tx:outbox:best-effort-notify';

/** What to notify after the method returns; each function gets the method's result and arguments. */
export interface BestEffortNotifyOptions<TResult = unknown, TArgs extends unknown[] = unknown[]> {
  /** Endpoint id, fixed or per call (a merchant's endpoint). */
  endpoint: string | ((result: TResult, ...args: TArgs) => string);
  /** Event type (`payment.succeeded`). */
  event: string;
  /** The `data` of the webhook. */
  payload: (result: TResult, ...args: TArgs) => unknown;
  /** The same key twice gives one notification (`payment:<id>:succeeded`). */
  idempotencyKey: (result: TResult, ...args: TArgs) => string;
}

/**
 * Notifies after the method succeeds, in the method's transaction: the method runs inside the
 * propagated transaction (joining an outer `@Transactional()` or opening one), then
 * NotificationService.notify() writes the row before the commit. A method that throws leaves
 * neither its writes nor the notification. Declares only; BestEffortNotifyExplorer wraps the
 * methods of providers at module init (STYLE 13), so use it on providers (services), not on
 * controllers.
 */
export function BestEffortNotify<TResult = unknown, TArgs extends unknown[] = unknown[]>(options: BestEffortNotifyOptions<TResult, TArgs>): MethodDecorator {
  return (_target, _key, descriptor) => {
    Reflect.defineMetadata(BEST_EFFORT_NOTIFY_METADATA, options, descriptor.value as object);
    return descriptor;
  };
}
