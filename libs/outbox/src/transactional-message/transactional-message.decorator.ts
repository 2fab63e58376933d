import { OutboxError } from '../outbox.errors';

/** Metadata key of @TransactionalMessage on the wrapped method. */
export const TRANSACTIONAL_MESSAGE_METADATA = 'outbox:transactional-message';

/**
 * Instance property (set by TransactionalMessageExplorer, inside DI) holding what runs a
 * decorated method: the wrapped method dispatches through it at call time, so it works however
 * early a caller (a router, another provider) captured the method.
 */
export const TRANSACTIONAL_MESSAGE_EXECUTOR = Symbol('outbox:transactional-message-executor');

/** Options of @TransactionalMessage. `result` is what the method resolved to; `args` its arguments. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the defaults let an untyped decorator accept any method
export interface TransactionalMessageOptions<Result = any, Args extends unknown[] = any[]> {
  topic: string;
  tag?: string;
  /** Message keys (the first one is what idempotent consumers dedupe on by default). */
  keys?: (result: Result, ...args: Args) => string[];
  /** The message payload (default: the method's result). */
  body?: (result: Result, ...args: Args) => unknown;
  /** FIFO message group (outbox mode; the official client sends no group with a half message). */
  messageGroup?: string | ((result: Result, ...args: Args) => string);
  /** 'half-message' (default): a broker transaction decided by `mq_transaction`; 'outbox': a row in `mq_outbox` sent by the relay. */
  mode?: 'half-message' | 'outbox';
}

/** What runs a decorated method; implemented by TransactionalMessageExecutor. */
export interface TransactionalMessageInvoker {
  invoke(options: TransactionalMessageOptions, instance: object, method: (...args: unknown[]) => Promise<unknown>, args: unknown[]): Promise<unknown>;
}

/**
 * Sends a message if and only if the method's local transaction commits (DESIGN.md section 4).
 * The method runs in a transaction propagated by nestjs-cls: inside it, use `txHost.tx` (or a
 * repository taken from it) so the work joins; called inside an outer transaction, it joins that
 * one and the message is decided by the outer commit.
 *
 * The decorator replaces the method with one that hands the call to the executor OutboxModule
 * put on the instance (STYLE 13), and copies the original's metadata onto it. On an instance
 * OutboxModule did not wire (`new Service()`, or a class outside the module's application), a
 * call throws OUTBOX_ERR_NOT_WIRED instead of running without its message.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
export function TransactionalMessage<Result = any, Args extends unknown[] = any[]>(options: TransactionalMessageOptions<Result, Args>): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    const original = descriptor.value as unknown as (...args: unknown[]) => Promise<unknown>;
    if (typeof original !== 'function') throw new TypeError(`@TransactionalMessage on ${String(propertyKey)}, which is not a method`);
    const className = target.constructor.name;
    const wrapped = function (this: object, ...args: unknown[]): Promise<unknown> {
      const invoker = (this as Record<symbol, TransactionalMessageInvoker | undefined>)[TRANSACTIONAL_MESSAGE_EXECUTOR];
      if (!invoker) {
        return Promise.reject(
          new OutboxError(
            'OUTBOX_ERR_NOT_WIRED',
            `${className}.${String(propertyKey)} is not wired by OutboxModule (an instance created outside Nest, or OutboxModule not imported)`,
            {
              className,
              method: String(propertyKey),
            },
          ),
        );
      }
      return invoker.invoke(options as TransactionalMessageOptions, this, original, args);
    };
    for (const key of Reflect.getMetadataKeys(original)) Reflect.defineMetadata(key, Reflect.getMetadata(key, original), wrapped);
    Object.defineProperty(wrapped, 'name', { value: original.name });
    Reflect.defineMetadata(TRANSACTIONAL_MESSAGE_METADATA, options, wrapped);
    descriptor.value = wrapped as never;
    return descriptor;
  };
}
