import {
  containsControlCharacter,
  DEFAULT_MAX_USER_PROPERTY_BYTES,
  keyProblem,
  messageGroupProblem,
  tagProblem,
  userPropertySizeProblem,
} from './message-field-validator';

describe('message field checks (SendMessage and the admin API’s test message)', () => {
  it('takes an empty tag, key or message group as none', () => {
    expect(tagProblem('')).toBeUndefined();
    expect(keyProblem('')).toBeUndefined();
    expect(messageGroupProblem('', 64)).toBeUndefined();
  });

  it('refuses blank values and control characters, as the proxy does', () => {
    expect(tagProblem(' ')).toBe('tag cannot be the char sequence of whitespace');
    expect(tagProblem('a|b')).toBe("tag cannot contain '|'");
    expect(tagProblem('a\u0001')).toBe('tag cannot contain control character');
    expect(keyProblem('\t')).toBe('key cannot be the char sequence of whitespace');
    expect(keyProblem('k\u007f')).toBe('key cannot contain control character');
    expect(keyProblem('order 42')).toBeUndefined();
    expect(messageGroupProblem('  ', 64)).toBe('message group cannot be the char sequence of whitespace');
    expect(messageGroupProblem('g\n', 64)).toBe('message group cannot contain control character');
    expect(containsControlCharacter('\u009f')).toBe(true);
    expect(containsControlCharacter('é')).toBe(false);
  });

  it('refuses a message group of maxBytes UTF-8 bytes or more', () => {
    expect(messageGroupProblem('g'.repeat(63), 64)).toBeUndefined();
    expect(messageGroupProblem('g'.repeat(64), 64)).toBe('message group exceed the max size 64');
    expect(messageGroupProblem('é'.repeat(32), 64)).toBe('message group exceed the max size 64');
  });

  it('counts user property names and values, tag and keys in UTF-8 bytes against 16 KiB', () => {
    expect(DEFAULT_MAX_USER_PROPERTY_BYTES).toBe(16 * 1024);
    // 2 + 4 + 1 + 2 + 5 = 14 bytes ('é' is two).
    expect(userPropertySizeProblem({ ab: 'cdéf' }, 't', ['k', 'é', 'xyz'], 14)).toBeUndefined();
    expect(userPropertySizeProblem({ ab: 'cdéf' }, 't', ['k', 'é', 'xyz'], 13)).toBe('the total size of user property is too large, max is 13');
    expect(userPropertySizeProblem({}, undefined, ['k'.repeat(16 * 1024)], DEFAULT_MAX_USER_PROPERTY_BYTES)).toBeUndefined();
    expect(userPropertySizeProblem({}, 't', ['k'.repeat(16 * 1024)], DEFAULT_MAX_USER_PROPERTY_BYTES)).toBe(
      'the total size of user property is too large, max is 16384',
    );
  });
});
