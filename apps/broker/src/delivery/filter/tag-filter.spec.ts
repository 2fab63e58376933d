import { tagHashCode } from '../../store/message-properties';
import { compileFilter } from './compile-filter';
import { CompiledFilter } from './filter-expression';
import { messageWith } from './filter.test-support';

function compileTag(expression: string): CompiledFilter {
  const result = compileFilter({ type: 'TAG', expression });
  if (!result.ok) throw new Error(`expected "${expression}" to compile: ${result.reason}`);
  return result.filter;
}

describe('compileFilter (TAG)', () => {
  describe.each(['', '   ', '*', ' * ', '\t*\n'])('subscribe-all expression %j', (expression) => {
    it('matches any tag hash, any tag and messages without a tag', () => {
      const filter = compileTag(expression);
      for (const hash of [0, 1, -1, tagHashCode('A'), 2 ** 31 - 1, -(2 ** 31)]) expect(filter.matchesTagHash(hash)).toBe(true);
      expect(filter.matches(messageWith('A'))).toBe(true);
      expect(filter.matches(messageWith('*'))).toBe(true);
      expect(filter.matches(messageWith(undefined))).toBe(true);
    });
  });

  it.each<[string, string[], string[]]>([
    // expression, tags that match, tags that do not
    ['A', ['A'], ['B', 'a', 'AA', ' A', '']],
    ['A||B||C', ['A', 'B', 'C'], ['D', 'A||B', 'AB']],
    [' A || B ', ['A', 'B'], [' A', 'A ', ' B ']],
    ['A||', ['A'], ['']],
    ['||A', ['A'], ['']],
    ['A|| ||B', ['A', 'B'], [' ']],
    ['A||A', ['A'], ['B']],
    ['TagA|TagB', ['TagA|TagB'], ['TagA', 'TagB']],
    ['A||*', ['A', '*'], ['B']],
    ['tag with space', ['tag with space'], ['tag']],
    ['标签||タグ', ['标签', 'タグ'], ['B']],
  ])('%j matches exactly its tags', (expression, matching, others) => {
    const filter = compileTag(expression);
    for (const tag of matching) {
      expect(filter.matches(messageWith(tag))).toBe(true);
      expect(filter.matchesTagHash(tagHashCode(tag))).toBe(true);
    }
    for (const tag of others) {
      expect(filter.matches(messageWith(tag))).toBe(false);
      if (!matching.some((m) => tagHashCode(m) === tagHashCode(tag))) expect(filter.matchesTagHash(tagHashCode(tag))).toBe(false);
    }
    expect(filter.matches(messageWith(undefined))).toBe(false);
  });

  it('matches tag hashes as Java String.hashCode', () => {
    // "A".hashCode() == 65, "TagA".hashCode() == 2598919 in Java.
    expect(compileTag('TagA').matchesTagHash(2598919)).toBe(true);
    expect(compileTag('A').matchesTagHash(65)).toBe(true);
    expect(compileTag('A').matchesTagHash(66)).toBe(false);
  });

  it('treats hash collisions as candidates and decides on the tag itself', () => {
    // "Aa" and "BB" share Java hashCode 2112.
    const filter = compileTag('Aa');
    expect(filter.matchesTagHash(tagHashCode('BB'))).toBe(true);
    expect(filter.matches(messageWith('BB'))).toBe(false);
  });

  it('keeps the expression it was compiled from', () => {
    expect(compileTag('A||B').expression).toEqual({ type: 'TAG', expression: 'A||B' });
  });

  it.each(['||', '|| ||', '||||', ' || '])('rejects %j, which names no tag', (expression) => {
    const result = compileFilter({ type: 'TAG', expression });
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('names no tag') });
  });
});
