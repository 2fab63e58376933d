import { parseJavaProperties } from './java-properties';

describe('parseJavaProperties', () => {
  it('reads key=value, key: value and key value, trimming around keys and values', () => {
    const text = ['brokerName=broker-a', '  listenPort : 8081  ', 'storePathRootDir /data/store', 'flushDiskType = SYNC_FLUSH\t'].join('\n');
    expect(parseJavaProperties(text)).toEqual([
      { key: 'brokerName', value: 'broker-a', line: 1 },
      { key: 'listenPort', value: '8081', line: 2 },
      { key: 'storePathRootDir', value: '/data/store', line: 3 },
      { key: 'flushDiskType', value: 'SYNC_FLUSH', line: 4 },
    ]);
  });

  it('skips # and ! comments and blank lines, and counts lines across \\r\\n and \\r', () => {
    const text = '# a comment\r\n  ! another\r\n\r\n   \rbrokerName=b\n';
    expect(parseJavaProperties(text)).toEqual([{ key: 'brokerName', value: 'b', line: 5 }]);
  });

  it('keeps # inside a value, since only a line starting with it is a comment', () => {
    expect(parseJavaProperties('brokerName=a#b')).toEqual([{ key: 'brokerName', value: 'a#b', line: 1 }]);
  });

  it("joins a line ending in a backslash with the next, dropping the next line's indentation", () => {
    const text = 'namesrvAddr=host-a:9876;\\\n    host-b:9876\nnext=1';
    expect(parseJavaProperties(text)).toEqual([
      { key: 'namesrvAddr', value: 'host-a:9876;host-b:9876', line: 1 },
      { key: 'next', value: '1', line: 3 },
    ]);
  });

  it('does not continue a comment line or a value ending in an escaped backslash', () => {
    const text = '# comment \\\nstorePathRootDir=C:\\\\store\\\\\nbrokerName=x';
    expect(parseJavaProperties(text)).toEqual([
      { key: 'storePathRootDir', value: 'C:\\store\\', line: 2 },
      { key: 'brokerName', value: 'x', line: 3 },
    ]);
  });

  it('unescapes \\t, \\n, \\uXXXX and escaped separators in keys', () => {
    const text = 'a\\=b\\:c=tab\\there\\nnewline \\u00e9';
    expect(parseJavaProperties(text)).toEqual([{ key: 'a=b:c', value: 'tab\there\nnewline é', line: 1 }]);
  });

  it('reads a key with no value as an empty value', () => {
    expect(parseJavaProperties('brokerName\nhost=')).toEqual([
      { key: 'brokerName', value: '', line: 1 },
      { key: 'host', value: '', line: 2 },
    ]);
  });
});
