import { StoreState } from './store/message-store';

/**
 * Lifecycle of a broker component that opens after the store and closes before it (the delay
 * scheduler, the transaction service), STYLE 8.
 */
export enum LifecycleState {
  Created = 'created',
  Loading = 'loading',
  Running = 'running',
  ShuttingDown = 'shutting-down',
  Closed = 'closed',
}

const AS_STORE_STATE: Record<LifecycleState, StoreState> = {
  [LifecycleState.Created]: StoreState.Created,
  [LifecycleState.Loading]: StoreState.Loading,
  [LifecycleState.Running]: StoreState.Running,
  [LifecycleState.ShuttingDown]: StoreState.ShuttingDown,
  [LifecycleState.Closed]: StoreState.Closed,
};

/** A component's state in the store's terms, for `not-running` answers to appends. */
export function asStoreState(state: LifecycleState): StoreState {
  return AS_STORE_STATE[state];
}
