import { QueueConsumeState } from './consumer-group-state';

/** Every consumer group's receive state: group -> topic -> queue id -> QueueConsumeState. */
export class GroupStateTable {
  private readonly groups = new Map<string, Map<string, Map<number, QueueConsumeState>>>();
  /** Bumped by every change the snapshot would show; persistence writes when it moved. */
  private changeCount = 0;

  get changes(): number {
    return this.changeCount;
  }

  /** Records that some state changed (callers call it after each change they make). */
  touch(): void {
    this.changeCount++;
  }

  get(group: string, topic: string, queueId: number): QueueConsumeState | undefined {
    return this.groups.get(group)?.get(topic)?.get(queueId);
  }

  /** The group's state on a queue, created at `startOffset` on first use. */
  getOrCreate(group: string, topic: string, queueId: number, startOffset: number): QueueConsumeState {
    const existing = this.get(group, topic, queueId);
    if (existing) return existing;
    const state = new QueueConsumeState(topic, queueId, startOffset);
    this.add(group, state);
    return state;
  }

  add(group: string, state: QueueConsumeState): void {
    let topics = this.groups.get(group);
    if (!topics) this.groups.set(group, (topics = new Map<string, Map<number, QueueConsumeState>>()));
    let queues = topics.get(state.topic);
    if (!queues) topics.set(state.topic, (queues = new Map<number, QueueConsumeState>()));
    queues.set(state.queueId, state);
    this.changeCount++;
  }

  groupNames(): string[] {
    return [...this.groups.keys()];
  }

  /** The group's states, by topic then queue id. */
  statesOf(group: string): QueueConsumeState[] {
    const states: QueueConsumeState[] = [];
    for (const queues of this.groups.get(group)?.values() ?? []) states.push(...queues.values());
    return states.sort((a, b) => (a.topic === b.topic ? a.queueId - b.queueId : a.topic < b.topic ? -1 : 1));
  }

  /** Every state with its group. */
  *all(): IterableIterator<[string, QueueConsumeState]> {
    for (const [group, topics] of this.groups) {
      for (const queues of topics.values()) for (const state of queues.values()) yield [group, state];
    }
  }
}
