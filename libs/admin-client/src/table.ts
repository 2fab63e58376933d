/**
 * Output helpers in the style of Apache RocketMQ's mqadmin: `#`-prefixed column headers,
 * left-aligned, columns separated by two spaces (mqadmin uses fixed printf widths; these are
 * sized to the content so long topic names do not break the layout).
 */

/** Formats rows under headers; every row must have as many cells as there are headers. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = [headers.map((h) => `#${h}`), ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => row[column]?.length ?? 0)));
  return cells.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ')).join('\n') + '\n';
}

/** `Label:` value lines, labels padded as mqadmin's queryMsgById prints them. */
export function formatFields(fields: ReadonlyArray<readonly [string, string | number]>): string {
  const width = Math.max(...fields.map(([label]) => label.length + 1));
  return fields.map(([label, value]) => `${(label + ':').padEnd(width)}  ${value}`).join('\n') + '\n';
}

/** mqadmin's `UtilAll.formatDate` layout in local time: `yyyy-MM-dd HH:mm:ss,SSS`. */
export function formatTimestamp(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())},${String(d.getMilliseconds()).padStart(3, '0')}`
  );
}

/** RocketMQ's `PermName.perm2String`: R, W and X (inherit) or `-`, e.g. 6 = `RW-`. */
export function formatPerm(perm: number): string {
  return `${perm & 4 ? 'R' : '-'}${perm & 2 ? 'W' : '-'}${perm & 1 ? 'X' : '-'}`;
}
