import { AsyncLocalStorage } from 'node:async_hooks';

/** The message a notification belongs to; its delivery attempts are traced on that message's timeline. */
export interface NotificationSource {
  messageId: string;
  topic: string;
  keys: readonly string[];
}

/** What notify() finds around it: the message being consumed, or the ids to link once the transactional message's id is known. */
interface NotificationScope {
  source?: NotificationSource;
  created?: string[];
}

/**
 * The scope notify() runs in, carried through the awaits of a handler or a local transaction
 * (AsyncLocalStorage: no parameter threads through the business code). libs/outbox sets it in
 * the two places it runs user code: the idempotent consumer (the message is known before the
 * handler runs) and @TransactionalMessage's local transaction (the message id is known only
 * after it, when the half message is sent; the notifications created are linked then, in the same
 * database transaction).
 */
const scopes = new AsyncLocalStorage<NotificationScope>();

/** Runs a consumer handler: notifications it creates belong to `source`. */
export function runConsuming<T>(source: NotificationSource, fn: () => Promise<T>): Promise<T> {
  return scopes.run({ source }, fn);
}

/** Runs a local transaction's business method; the ids of the notifications it creates are pushed to `created`. */
export function runProducing<T>(created: string[], fn: () => Promise<T>): Promise<T> {
  return scopes.run({ created }, fn);
}

/** For notify(): the message the new notification belongs to, if known now. */
export function currentNotificationSource(): NotificationSource | undefined {
  return scopes.getStore()?.source;
}

/** For notify(): a notification created in a local transaction whose message id comes later. */
export function noteNotificationCreated(id: string): void {
  scopes.getStore()?.created?.push(id);
}
