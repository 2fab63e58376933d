import { Logger } from 'pino';
import { JsonListFile } from './json-list-file';
import { Acl, ACTIONS, Action, Decision, parseResource, PolicyEntry } from './acl';
import { UserRegistryError } from './user-registry';

/** The file, under `<storeDir>/config`, holding the ACLs. */
export const ACLS_FILE = 'acls.json';

/**
 * ACLs by subject (`User:<name>`), persisted atomically in `acls.json` (Apache's ACL 2.0, its
 * custom policy). Entries are keyed by resource: setting entries for a resource replaces the
 * subject's entry for it, as mqadmin createAcl/updateAcl do.
 */
export class AclRegistry {
  private acls = new Map<string, Acl>();
  private readonly store: JsonListFile<Acl>;

  constructor(
    dir: string,
    private readonly logger: Logger,
  ) {
    this.store = new JsonListFile(dir, ACLS_FILE, 'acls', (acl) => validAcl(acl as Acl));
  }

  get file(): string {
    return this.store.file;
  }

  async open(): Promise<void> {
    this.acls = new Map((await this.store.read()).map((acl) => [acl.subject, acl]));
    this.logger.debug({ acls: this.acls.size }, 'ACLs loaded');
  }

  async close(): Promise<void> {
    await this.store.idle();
  }

  get(subject: string): Acl | undefined {
    return this.acls.get(subject);
  }

  list(filter: { subject?: string; resource?: string } = {}): Acl[] {
    return [...this.acls.values()]
      .filter((acl) => !filter.subject || acl.subject.includes(filter.subject))
      .map((acl) => ({ ...acl, entries: acl.entries.filter((entry) => !filter.resource || entry.resource.includes(filter.resource)) }))
      .filter((acl) => acl.entries.length > 0)
      .sort((a, b) => a.subject.localeCompare(b.subject));
  }

  /** Adds or replaces the subject's entries for the given entries' resources. */
  async setEntries(subject: string, entries: readonly PolicyEntry[]): Promise<Acl> {
    assertSubject(subject);
    const valid = entries.map(validEntry);
    if (valid.length === 0) throw new UserRegistryError('BROKER_ERR_INVALID_ACL', 'an ACL needs at least one resource');
    const resources = new Set(valid.map((entry) => entry.resource));
    const kept = (this.acls.get(subject)?.entries ?? []).filter((entry) => !resources.has(entry.resource));
    const acl = { subject, entries: [...kept, ...valid] };
    this.acls.set(subject, acl);
    await this.persist();
    return acl;
  }

  /** Deletes the subject's entries for `resources`, or its whole ACL; false when nothing matched. */
  async delete(subject: string, resources?: readonly string[]): Promise<boolean> {
    const acl = this.acls.get(subject);
    if (!acl) return false;
    const entries = resources ? acl.entries.filter((entry) => !resources.includes(entry.resource)) : [];
    if (entries.length === acl.entries.length) return false;
    if (entries.length === 0) this.acls.delete(subject);
    else this.acls.set(subject, { subject, entries });
    await this.persist();
    return true;
  }

  private persist(): Promise<void> {
    return this.store.write([...this.acls.values()]);
  }
}

function assertSubject(subject: string): void {
  if (!/^User:[a-zA-Z0-9_-]{1,64}$/.test(subject))
    throw new UserRegistryError('BROKER_ERR_INVALID_ACL', `subject ${JSON.stringify(subject)} must be User:<username>`);
}

function validEntry(entry: PolicyEntry): PolicyEntry {
  if (typeof entry.resource !== 'string' || !parseResource(entry.resource)) {
    throw new UserRegistryError(
      'BROKER_ERR_INVALID_ACL',
      `resource ${JSON.stringify(entry.resource)} must be Topic:<name>, Group:<name>, a prefix such as Topic:order*, Topic:* or *`,
    );
  }
  const actions = (Array.isArray(entry.actions) ? entry.actions : []).map((action) => normalizeAction(String(action)));
  if (actions.length === 0)
    throw new UserRegistryError('BROKER_ERR_INVALID_ACL', `the entry for ${entry.resource} needs at least one action (${ACTIONS.join(', ')})`);
  const decision = normalizeDecision(String(entry.decision));
  const sourceIps = Array.isArray(entry.sourceIps) ? entry.sourceIps.map(String) : [];
  for (const ip of sourceIps) {
    if (!/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(ip))
      throw new UserRegistryError('BROKER_ERR_INVALID_ACL', `source IP ${JSON.stringify(ip)} must be an address or an IPv4 CIDR block`);
  }
  return { resource: entry.resource, actions, sourceIps, decision };
}

/** Apache's Action.getByName is case-insensitive. */
export function normalizeAction(name: string): Action {
  const action = ACTIONS.find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  if (!action) throw new UserRegistryError('BROKER_ERR_INVALID_ACL', `action ${JSON.stringify(name)} must be one of ${ACTIONS.join(', ')}`);
  return action;
}

export function normalizeDecision(name: string): Decision {
  if (name.toLowerCase() === 'allow') return 'Allow';
  if (name.toLowerCase() === 'deny') return 'Deny';
  throw new UserRegistryError('BROKER_ERR_INVALID_ACL', `decision ${JSON.stringify(name)} must be Allow or Deny`);
}

function validAcl(acl: Acl): Acl {
  assertSubject(acl.subject);
  return { subject: acl.subject, entries: (Array.isArray(acl.entries) ? acl.entries : []).map(validEntry) };
}
