import { FAULT_POINTS, type FaultPoint } from './fault-points';

/**
 * Parses the `FAULTS` variable: comma-separated `name` or `name:N` entries (spaces around an entry
 * ignored), into fault point -> the occurrence (1-based) that kills. An empty value is an empty
 * map. Throws an Error for an unknown name (listing the known ones) or an N that is not a
 * positive integer; each service reports it as its own configuration error.
 */
export function parseFaults(value: string): ReadonlyMap<FaultPoint, number> {
  const faults = new Map<FaultPoint, number>();
  for (const entry of value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const colon = entry.indexOf(':');
    const name = colon < 0 ? entry : entry.slice(0, colon);
    const occurrence = colon < 0 ? '1' : entry.slice(colon + 1);
    if (!isFaultPoint(name)) throw new Error(`unknown fault point ${JSON.stringify(name)} (known: ${FAULT_POINTS.join(', ')})`);
    if (!/^[1-9]\d*$/.test(occurrence)) throw new Error(`${JSON.stringify(entry)}: the occurrence N of name:N must be a positive integer`);
    faults.set(name, Number(occurrence));
  }
  return faults;
}

function isFaultPoint(name: string): name is FaultPoint {
  return (FAULT_POINTS as readonly string[]).includes(name);
}
