import { Logger } from 'pino';
import { JsonListFile } from './json-list-file';

/** Apache RocketMQ ACL 2.0's user types and statuses, spelled as its User JSON spells them. */
export type UserType = 'Super' | 'Normal';
export type UserStatus = 'enable' | 'disable';

/** A user: the access key is the username, the secret key its password (Apache's model). */
export interface User {
  username: string;
  password: string;
  userType: UserType;
  userStatus: UserStatus;
}

/** The file, under `<storeDir>/config`, holding the users (readable by the broker's user only). */
export const USERS_FILE = 'users.json';

/** What a username may be (1-64 letters, digits, _ or -). */
export const USERNAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** A bad user or ACL definition, or an unknown or existing user; the admin API answers 400, 404 or 409. */
export class UserRegistryError extends Error {
  constructor(
    readonly code: 'BROKER_ERR_INVALID_USER' | 'BROKER_ERR_USER_NOT_FOUND' | 'BROKER_ERR_USER_EXISTS' | 'BROKER_ERR_INVALID_ACL',
    message: string,
  ) {
    super(message);
    this.name = 'UserRegistryError';
  }
}

/**
 * Users of authentication (Apache's ACL 2.0 users), persisted atomically in `users.json`. The
 * secret is kept as given: HMAC verification needs it (Apache's LocalAuthenticationMetadataProvider
 * keeps it too), so the file is made readable by the broker's user only (mode 0600). `initAuthenticationUser` creates the first
 * super user at open when no user of that name exists, and never changes an existing one.
 */
export class UserRegistry {
  private users = new Map<string, User>();
  private readonly store: JsonListFile<User>;

  constructor(
    dir: string,
    private readonly logger: Logger,
  ) {
    this.store = new JsonListFile(dir, USERS_FILE, 'users', (user) => validUser(user as User), true);
  }

  get file(): string {
    return this.store.file;
  }

  async open(initUser?: { username: string; password: string }): Promise<void> {
    this.users = new Map((await this.store.read()).map((user) => [user.username, user]));
    if (initUser && !this.users.has(initUser.username)) {
      await this.create({ ...initUser, userType: 'Super' });
      this.logger.info({ username: initUser.username }, 'initial super user created (initAuthenticationUser)');
    }
  }

  async close(): Promise<void> {
    await this.store.idle();
  }

  get(username: string): User | undefined {
    return this.users.get(username);
  }

  list(filter?: string): User[] {
    return [...this.users.values()].filter((user) => !filter || user.username.includes(filter)).sort((a, b) => a.username.localeCompare(b.username));
  }

  async create(input: { username: string; password: string; userType?: UserType; userStatus?: UserStatus }): Promise<User> {
    if (this.users.has(input.username)) throw new UserRegistryError('BROKER_ERR_USER_EXISTS', `user ${input.username} already exists`);
    const user = validUser({ userType: 'Normal', userStatus: 'enable', ...input });
    this.users.set(user.username, user);
    await this.persist();
    return user;
  }

  async update(username: string, change: Partial<Omit<User, 'username'>>): Promise<User> {
    const existing = this.users.get(username);
    if (!existing) throw new UserRegistryError('BROKER_ERR_USER_NOT_FOUND', `user ${username} not found`);
    const updated = validUser({ ...existing, ...definedOnly(change), username });
    this.users.set(username, updated);
    await this.persist();
    return updated;
  }

  async delete(username: string): Promise<boolean> {
    if (!this.users.delete(username)) return false;
    await this.persist();
    return true;
  }

  private persist(): Promise<void> {
    return this.store.write([...this.users.values()]);
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}

function validUser(user: User): User {
  const { username, password, userType, userStatus } = user;
  if (typeof username !== 'string' || !USERNAME.test(username)) {
    throw new UserRegistryError('BROKER_ERR_INVALID_USER', `username ${JSON.stringify(username)} must be 1-64 letters, digits, _ or -`);
  }
  if (typeof password !== 'string' || password.length < 1 || password.length > 256) {
    throw new UserRegistryError('BROKER_ERR_INVALID_USER', `the password of ${username} must be 1-256 characters`);
  }
  if (userType !== 'Super' && userType !== 'Normal')
    throw new UserRegistryError('BROKER_ERR_INVALID_USER', `userType must be Super or Normal, got ${String(userType)}`);
  if (userStatus !== 'enable' && userStatus !== 'disable') {
    throw new UserRegistryError('BROKER_ERR_INVALID_USER', `userStatus must be enable or disable, got ${String(userStatus)}`);
  }
  return { username, password, userType, userStatus };
}
