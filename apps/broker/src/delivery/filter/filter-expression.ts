import { StoredMessage } from '../../store/message-record';

/** A subscription filter as the v2 protocol carries it (`FilterExpression`). */
export type FilterExpression = { type: 'TAG'; expression: string } | { type: 'SQL92'; expression: string };

/**
 * A compiled filter. `matchesTagHash` is the cheap pre-check on the consume-queue entry's tag
 * hash (true when the entry may match); `matches` is the exact decision on a read message.
 */
export interface CompiledFilter {
  readonly expression: FilterExpression;
  matchesTagHash(tagHash: number): boolean;
  matches(message: StoredMessage): boolean;
}

/** The result of compiling: a filter, or why the expression is illegal. */
export type CompileFilterResult = { ok: true; filter: CompiledFilter } | { ok: false; reason: string };
