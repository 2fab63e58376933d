// The admin API as the console calls it: same origin, JSON in and out, errors with the API's reason.

/** A refused or failed admin request: the HTTP status and the API's message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * Calls the admin API. Changing requests always carry a JSON body (`{}` when there is nothing to
 * say): the broker refuses a changing request another site's page sends (Origin check), and a
 * JSON body cannot be sent cross-site without the browser asking first.
 */
export async function api(path, { method = 'GET', body } = {}) {
  const changing = method !== 'GET';
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: changing ? { 'content-type': 'application/json', accept: 'application/json' } : { accept: 'application/json' },
    body: changing ? JSON.stringify(body ?? {}) : undefined,
  });
  const text = await response.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = { message: text };
  }
  if (!response.ok) {
    const message = Array.isArray(data?.message) ? data.message.join('; ') : (data?.message ?? response.statusText);
    throw new ApiError(response.status, `${response.status} ${message}`);
  }
  return data;
}

/** A path segment, encoded (topic and group names may hold `%`, as `%DLQ%group` does). */
export const seg = (value) => encodeURIComponent(value);

/** A query string from the defined, non-empty values. */
export function query(params) {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}`;
}
