import { InFlightDelivery, QueueConsumeState } from './consumer-group-state';

function delivery(deliveryId: number, invisibleUntilMs = 1_000, messageGroup?: string): InFlightDelivery {
  return { deliveryId, attempts: 1, invisibleUntilMs, messageGroup };
}

/** Scans through `to - 1` and decides, as the receive path does. */
function scanTo(state: QueueConsumeState, to: number): void {
  state.beginScan(to - 1);
  state.endScan();
}

/** Delivers offsets [from, to) as the scan would: advance nextOffset, then record each delivery. */
function deliverRange(state: QueueConsumeState, from: number, to: number, messageGroup?: string): void {
  scanTo(state, to);
  for (let offset = from; offset < to; offset++) state.deliver(offset, delivery(offset, 1_000, messageGroup));
}

describe('QueueConsumeState', () => {
  it('advances the frontier over every finished offset, whatever order they finish in', () => {
    const state = new QueueConsumeState('orders', 0, 10);
    deliverRange(state, 10, 15);
    state.finish(12);
    state.finish(11);
    expect(state.consumerOffset).toBe(10);
    state.finish(10);
    expect(state.consumerOffset).toBe(13);
    state.finish(14);
    state.finish(13);
    expect(state.consumerOffset).toBe(15);
    expect(state.unackedSpan).toBe(0);
    expect(state.snapshot()).toEqual({ consumerOffset: 15, nextOffset: 15, done: [], inFlight: [], held: [] });
  });

  it('restores exactly what it snapshotted, with finished offsets as runs', () => {
    const state = new QueueConsumeState('orders', 2, 0);
    deliverRange(state, 0, 6, undefined);
    for (const offset of [1, 2, 4]) state.finish(offset);
    scanTo(state, 8);
    state.deliver(6, delivery(60, 2_000, 'A'));
    state.hold(7, 'A');
    const snapshot = state.snapshot();
    expect(snapshot.done).toEqual([
      [1, 2],
      [4, 1],
    ]);
    const restored = QueueConsumeState.restore('orders', 2, JSON.parse(JSON.stringify(snapshot)));
    expect(restored.snapshot()).toEqual(snapshot);
    expect(restored.isGroupBlocked('A')).toBe(true);
  });

  it('persists a scan in progress as not yet scanned, so a restart looks at those offsets again', () => {
    const state = new QueueConsumeState('orders', 0, 0);
    deliverRange(state, 0, 2);
    state.beginScan(39);
    expect(state.nextOffset).toBe(40);
    expect(state.snapshot().nextOffset).toBe(2);
    state.abandonScan();
    expect(state.nextOffset).toBe(2);
  });

  it('moving forward drops in-flight, waiting and finished offsets below the new frontier and keeps the rest', () => {
    const state = new QueueConsumeState('orders', 0, 0);
    deliverRange(state, 0, 3, 'A');
    scanTo(state, 6);
    state.deliver(3, delivery(3));
    state.hold(4, 'A');
    state.finish(5);
    state.moveTo(4);
    expect(state.consumerOffset).toBe(4);
    expect([...state.inFlight.keys()]).toEqual([]);
    // Group A's in-flight message was dropped; its waiting message is next.
    const released: Array<{ offset: number; messageGroup: string }> = [];
    state.takeReleasable(10, released);
    expect(released).toEqual([{ offset: 4, messageGroup: 'A' }]);
  });

  it('takes only in-flight messages whose invisible time has passed, in offset order, up to the limit', () => {
    const state = new QueueConsumeState('orders', 0, 0);
    scanTo(state, 4);
    state.deliver(3, delivery(3, 500));
    state.deliver(0, delivery(0, 2_000));
    state.deliver(1, delivery(1, 100));
    state.deliver(2, delivery(2, 900));
    const expired: number[] = [];
    state.takeExpired(1_000, 2, expired);
    expect(expired.length).toBe(2);
    expect(expired).toEqual([...expired].sort((a, b) => a - b));
    expect(expired.every((offset) => [1, 2, 3].includes(offset))).toBe(true);
    expect(state.nextVisibleAtMs()).toBe(100);
  });
});
