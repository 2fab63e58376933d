/**
 * The ACL model of Apache RocketMQ 5's ACL 2.0, spelled as its JSON and mqadmin spell it:
 * resources `Topic:orders` (literal), `Topic:order*` (prefixed), `Topic:*` or `*` (any);
 * actions Pub, Sub, Create, Update, Delete, Get, List, All; decision Allow or Deny; sourceIps as
 * addresses or IPv4 CIDR blocks (none: any address).
 */
export type ResourceType = 'Topic' | 'Group' | 'Cluster' | 'Any';
export type Action = 'Pub' | 'Sub' | 'Create' | 'Update' | 'Delete' | 'Get' | 'List' | 'All';
export type Decision = 'Allow' | 'Deny';

export const ACTIONS: readonly Action[] = ['Pub', 'Sub', 'Create', 'Update', 'Delete', 'Get', 'List', 'All'];

export interface PolicyEntry {
  /** `Topic:orders`, `Group:billing*`, `Topic:*`, `*`. */
  resource: string;
  actions: Action[];
  sourceIps: string[];
  decision: Decision;
}

/** The ACL of one subject (`User:app`): its custom policy's entries. */
export interface Acl {
  subject: string;
  entries: PolicyEntry[];
}

/** A resource a request touches: its type and name. */
export interface ResourceRef {
  type: Exclude<ResourceType, 'Any'>;
  name: string;
}

/** A parsed resource pattern. */
interface ResourcePattern {
  type: ResourceType;
  pattern: 'literal' | 'prefixed' | 'any';
  name: string;
}

/** Parses `Topic:orders` / `Topic:order*` / `Topic:*` / `*`; undefined when it is none of them. */
export function parseResource(resource: string): ResourcePattern | undefined {
  if (resource === '*') return { type: 'Any', pattern: 'any', name: '' };
  const match = /^(Topic|Group|Cluster):(.+)$/i.exec(resource);
  if (!match) return undefined;
  const type = (match[1][0].toUpperCase() + match[1].slice(1).toLowerCase()) as ResourceType;
  const name = match[2];
  if (name === '*') return { type, pattern: 'any', name: '' };
  if (name.endsWith('*')) return { type, pattern: 'prefixed', name: name.slice(0, -1) };
  return { type, pattern: 'literal', name };
}

/** The key Apache prints for a resource (`Topic:orders`). */
export function resourceKey(resource: ResourceRef): string {
  return `${resource.type}:${resource.name}`;
}

function matchesResource(pattern: ResourcePattern, resource: ResourceRef): boolean {
  if (pattern.type === 'Any') return true;
  if (pattern.type !== resource.type) return false;
  if (pattern.pattern === 'any') return true;
  return pattern.pattern === 'prefixed' ? resource.name.startsWith(pattern.name) : resource.name === pattern.name;
}

function matchesSourceIp(sourceIps: readonly string[], ip: string): boolean {
  if (sourceIps.length === 0) return true;
  const address = ip.replace(/^::ffff:/, '');
  return sourceIps.some((source) => (source.includes('/') ? inIpv4Cidr(source, address) : source === address));
}

function inIpv4Cidr(cidr: string, ip: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const toNumber = (text: string): number | undefined => {
    const parts = text.split('.').map(Number);
    if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255)) return undefined;
    return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
  };
  const network = toNumber(base);
  const address = toNumber(ip);
  if (network === undefined || address === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (network & mask) === (address & mask);
}

/** More specific first: a type before Any, literal before prefixed (longer prefix first) before any. */
function specificity(pattern: ResourcePattern): number {
  if (pattern.type === 'Any') return 0;
  if (pattern.pattern === 'any') return 1;
  if (pattern.pattern === 'prefixed') return 2 + pattern.name.length / 1e6;
  return 3;
}

/**
 * The decision for one resource and the actions a request needs (any of them suffices, as in
 * Apache's PolicyEntry.isMatchAction), or undefined when no entry matches: the most specific
 * matching entry decides (Apache's AclAuthorizationHandler order); among equally specific ones a
 * Deny wins, as Apache's comment says it should (its comparator puts Allow first).
 */
export function decide(acl: Acl, resource: ResourceRef, actions: readonly Action[], sourceIp: string): Decision | undefined {
  let best: { rank: number; decision: Decision } | undefined;
  for (const entry of acl.entries) {
    const pattern = parseResource(entry.resource);
    if (!pattern || !matchesResource(pattern, resource)) continue;
    if (!entry.actions.includes('All') && !actions.some((action) => entry.actions.includes(action))) continue;
    if (!matchesSourceIp(entry.sourceIps, sourceIp)) continue;
    const rank = specificity(pattern);
    if (!best || rank > best.rank || (rank === best.rank && entry.decision === 'Deny')) best = { rank, decision: entry.decision };
  }
  return best?.decision;
}
