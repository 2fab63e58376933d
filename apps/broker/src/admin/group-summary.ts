import { DeliveryApi, QueueProgress } from '../delivery/delivery.types';
import { TopicsApi } from '../topics/topic-config';
import type { GroupSummaryView } from '@app/admin-client';

/** Every group the broker knows: with a stored configuration, or with delivery state. */
export function knownGroups(topics: TopicsApi | undefined, delivery: DeliveryApi | undefined): string[] {
  return [...new Set<string>([...(topics?.listGroups() ?? []).map((g) => g.group), ...(delivery?.listGroups() ?? [])])].sort();
}

/** A group as `GET /groups` and `GET /overview` list it: its configuration, topics, total lag and in-flight count. */
export function groupSummary(group: string, topics: TopicsApi | undefined, progress: readonly QueueProgress[]): GroupSummaryView {
  return {
    group,
    config: topics?.listGroups().find((g) => g.group === group) ?? null,
    topics: [...new Set(progress.map((p) => p.topic))].sort(),
    totalLag: progress.reduce((sum, p) => sum + p.lag, 0),
    inFlight: progress.reduce((sum, p) => sum + p.inFlight, 0),
  };
}
