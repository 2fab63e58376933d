import type { AdminErrorBody } from './admin.types';

/** How long one admin request may take before the CLI gives up. */
export const ADMIN_REQUEST_TIMEOUT_MS = 10_000;

/** A request to the admin API that failed; `message` is the one line the CLI prints. */
export class AdminRequestError extends Error {
  constructor(
    message: string,
    /** The HTTP status, or undefined when no answer arrived (refused, timed out). */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AdminRequestError';
  }
}

/** An access key and secret key (a user of the broker's authentication), sent as HTTP Basic. */
export interface AdminCredentials {
  accessKey: string;
  secretKey: string;
}

/** A bearer token of the broker's `POST /auth/tokens`, sent as `Authorization: Bearer <token>`. */
export interface AdminBearerToken {
  bearerToken: string;
}

/**
 * The broker's admin REST API over Node's fetch. `address` is `host:port` (mqadmin's `-n`) or a
 * full `http://` or `https://` URL. Path segments are URL-encoded here, so `%DLQ%g` reaches the
 * broker intact. With `credentials`, every request carries them as HTTP Basic, or the bearer
 * token (a broker with `authenticationEnabled` needs one or the other).
 */
export class AdminClient {
  readonly baseUrl: string;

  private readonly authorization: string | undefined;

  constructor(
    address: string,
    private readonly fetchImpl: typeof fetch = fetch,
    credentials?: AdminCredentials | AdminBearerToken,
  ) {
    this.baseUrl = (/^https?:\/\//.test(address) ? address : `http://${address}`).replace(/\/+$/, '');
    this.authorization = credentials && authorizationOf(credentials);
  }

  get<T>(path: readonly string[], query: Record<string, string | number | undefined> = {}): Promise<T> {
    return this.request<T>('GET', path, query);
  }

  put<T>(path: readonly string[], body: unknown): Promise<T> {
    return this.request<T>('PUT', path, {}, body);
  }

  post<T>(path: readonly string[], body: unknown): Promise<T> {
    return this.request<T>('POST', path, {}, body);
  }

  delete<T>(path: readonly string[], query: Record<string, string | number | undefined> = {}): Promise<T> {
    return this.request<T>('DELETE', path, query);
  }

  private async request<T>(method: string, path: readonly string[], query: Record<string, string | number | undefined>, body?: unknown): Promise<T> {
    const url = new URL(`${this.baseUrl}/${path.map(encodeURIComponent).join('/')}`);
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, String(value));
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.authorization ? { authorization: this.authorization } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(ADMIN_REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new AdminRequestError(`cannot reach the broker admin API at ${this.baseUrl}: ${networkReason(error)}`);
    }
    const text = await response.text();
    if (!response.ok)
      throw new AdminRequestError(`${method} ${url.pathname} failed: HTTP ${response.status}: ${errorMessage(text, response.statusText)}`, response.status);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new AdminRequestError(`${method} ${url.pathname}: the answer is not JSON (is ${this.baseUrl} a broker admin port?)`, response.status);
    }
  }
}

/** The `Authorization` header value for Basic credentials or a bearer token. */
function authorizationOf(credentials: AdminCredentials | AdminBearerToken): string {
  if ('bearerToken' in credentials) return `Bearer ${credentials.bearerToken}`;
  return `Basic ${Buffer.from(`${credentials.accessKey}:${credentials.secretKey}`).toString('base64')}`;
}

/**
 * ECONNREFUSED, ENOTFOUND, a timeout: the most specific reason fetch offers, on one line. Duck
 * typed, not `instanceof Error`: fetch's errors may come from another realm (Jest's VM context).
 */
function networkReason(error: unknown): string {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as { name?: string; message?: string; cause?: unknown };
  if (failure.name === 'TimeoutError' || failure.name === 'AbortError') return `no answer within ${ADMIN_REQUEST_TIMEOUT_MS} ms`;
  const cause = (typeof failure.cause === 'object' && failure.cause !== null ? failure.cause : {}) as { code?: unknown; message?: unknown };
  const reason = [cause.code, cause.message, failure.message].find((r): r is string => typeof r === 'string' && r !== '') ?? String(error);
  return reason.replace(/\s+/g, ' ');
}

function errorMessage(text: string, fallback: string): string {
  try {
    const body = JSON.parse(text) as AdminErrorBody;
    const message = Array.isArray(body.message) ? body.message.join('; ') : body.message;
    if (message) return String(message).replace(/\s+/g, ' ');
  } catch {
    // Not a JSON error body (a proxy's HTML page, say): fall back to the status text.
  }
  return fallback || 'no reason given';
}
