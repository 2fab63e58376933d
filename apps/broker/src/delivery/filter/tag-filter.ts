import { tagHashCode } from '../../store/message-properties';
import { StoredMessage } from '../../store/message-record';
import { CompileFilterResult, CompiledFilter, FilterExpression } from './filter-expression';

/** RocketMQ's "subscribe to every tag" expression (`SubscriptionData.SUB_ALL`). */
export const SUBSCRIBE_ALL = '*';

/** The separator of a tag list, `A||B||C`. */
const TAG_SEPARATOR = '||';

/**
 * Compiles a TAG expression the way Apache RocketMQ's `FilterAPI.buildSubscriptionData` reads it
 * (remoting/.../protocol/filter/FilterAPI.java):
 * - empty or `*` subscribes to everything. We trim first, so whitespace-only and ` * ` do too
 *   (RocketMQ would read `   ` as a subscription to nothing and ` * ` as the literal tag `*`;
 *   no client means either);
 * - otherwise the text is split on `||`, each element trimmed, empty elements dropped, so
 *   `A||`, `||A` and `A|| ||B` are legal;
 * - a tag list that leaves no tag at all (`||`, `|| ||`) is illegal. RocketMQ throws for `||`
 *   ("subString split error") and silently subscribes to nothing for `|| ||`; a subscription
 *   that can never match is always a client mistake, so both are rejected;
 * - inside a list, `*` is an ordinary tag, as in RocketMQ (`A||*` matches tags `A` and `*`).
 */
export function compileTagFilter(expression: FilterExpression & { type: 'TAG' }): CompileFilterResult {
  const text = expression.expression ?? '';
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === SUBSCRIBE_ALL) return { ok: true, filter: new AllTagsFilter(expression) };
  const tags = new Set<string>();
  for (const element of text.split(TAG_SEPARATOR)) {
    const tag = element.trim();
    if (tag !== '') tags.add(tag);
  }
  if (tags.size === 0) return { ok: false, reason: `tag expression "${text}" names no tag` };
  return { ok: true, filter: new TagSetFilter(expression, tags) };
}

/** `*`: every message, whatever its tag hash, including messages without a tag. */
class AllTagsFilter implements CompiledFilter {
  constructor(readonly expression: FilterExpression) {}

  matchesTagHash(): boolean {
    return true;
  }

  matches(): boolean {
    return true;
  }
}

/** `A||B`: messages whose tag is one of the set; a message without a tag never matches. */
class TagSetFilter implements CompiledFilter {
  private readonly tagHashes: ReadonlySet<number>;

  constructor(
    readonly expression: FilterExpression,
    private readonly tags: ReadonlySet<string>,
  ) {
    this.tagHashes = new Set([...tags].map((tag) => tagHashCode(tag)));
  }

  matchesTagHash(tagHash: number): boolean {
    return this.tagHashes.has(tagHash);
  }

  matches(message: StoredMessage): boolean {
    return message.tag !== undefined && this.tags.has(message.tag);
  }
}
