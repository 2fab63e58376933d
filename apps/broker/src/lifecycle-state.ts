import { StoreState } from './store/message-store';

/**
 * Lifecycle of a broker component that opens after the store and closes before it (the delay
 * scheduler, the transaction service, the gRPC messaging server), STYLE 8: the store's own states without Recovering and
 * Failed, so a component's state is already the store state its `not-running` answers report.
 */
export const LifecycleState = {
  Created: StoreState.Created,
  Loading: StoreState.Loading,
  Running: StoreState.Running,
  ShuttingDown: StoreState.ShuttingDown,
  Closed: StoreState.Closed,
} as const;

export type LifecycleState = (typeof LifecycleState)[keyof typeof LifecycleState];
