/** One `key=value` pair of a properties file, with the line it starts on (for error messages). */
export interface PropertyEntry {
  key: string;
  value: string;
  line: number;
}

/**
 * Parses text in Java's `.properties` format, the format of RocketMQ's `broker.conf`, following
 * `java.util.Properties.load`: `#` and `!` comment lines, blank lines, `key=value`, `key: value`
 * and `key value`, a trailing backslash continuing the line, and `\t \n \r \f \uXXXX` escapes.
 * One deliberate difference: values are trimmed at the end too, because a stray trailing space
 * in `flushDiskType=SYNC_FLUSH ` would otherwise reject a file that looks right.
 * Entries are returned in file order, duplicates included, so the caller decides what wins.
 */
export function parseJavaProperties(text: string): PropertyEntry[] {
  const entries: PropertyEntry[] = [];
  for (const { text: logicalLine, line } of logicalLines(text)) {
    const entry = splitKeyValue(logicalLine);
    entries.push({ key: unescape(entry.key), value: unescape(entry.value).trimEnd(), line });
  }
  return entries;
}

const WHITESPACE = new Set([' ', '\t', '\f']);

/** Joins continued lines and drops comments and blank lines. */
function* logicalLines(text: string): Generator<{ text: string; line: number }> {
  const naturalLines = text.split(/\r\n|\r|\n/);
  for (let index = 0; index < naturalLines.length; index++) {
    const startLine = index + 1;
    let current = stripLeadingWhitespace(naturalLines[index]);
    if (current === '' || current.startsWith('#') || current.startsWith('!')) continue;
    while (endsWithContinuation(current) && index + 1 < naturalLines.length) {
      index++;
      current = current.slice(0, -1) + stripLeadingWhitespace(naturalLines[index]);
    }
    if (endsWithContinuation(current)) current = current.slice(0, -1);
    yield { text: current, line: startLine };
  }
}

function stripLeadingWhitespace(text: string): string {
  let start = 0;
  while (start < text.length && WHITESPACE.has(text[start])) start++;
  return text.slice(start);
}

/** An odd number of trailing backslashes continues the line; an even number is escaped backslashes. */
function endsWithContinuation(text: string): boolean {
  let count = 0;
  for (let i = text.length - 1; i >= 0 && text[i] === '\\'; i--) count++;
  return count % 2 === 1;
}

/** The key ends at the first unescaped `=`, `:` or whitespace; one separator and the whitespace around it are skipped. */
function splitKeyValue(line: string): { key: string; value: string } {
  let keyEnd = 0;
  while (keyEnd < line.length) {
    const char = line[keyEnd];
    if (char === '\\') {
      keyEnd += 2;
      continue;
    }
    if (char === '=' || char === ':' || WHITESPACE.has(char)) break;
    keyEnd++;
  }
  const key = line.slice(0, Math.min(keyEnd, line.length));
  let valueStart = keyEnd;
  while (valueStart < line.length && WHITESPACE.has(line[valueStart])) valueStart++;
  if (line[valueStart] === '=' || line[valueStart] === ':') valueStart++;
  while (valueStart < line.length && WHITESPACE.has(line[valueStart])) valueStart++;
  return { key, value: line.slice(valueStart) };
}

const ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };

function unescape(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_match, escaped: string) => {
    if (escaped.length === 5) return String.fromCharCode(parseInt(escaped.slice(1), 16));
    return ESCAPES[escaped] ?? escaped;
  });
}
