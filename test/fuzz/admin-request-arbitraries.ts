import fc, { Arbitrary } from 'fast-check';
import { FuzzPools } from './fuzz-pools';
import { jsonValueArbitrary, nastyStringArbitrary } from './value-arbitraries';

/** One admin HTTP request; `path` is already encoded (it may hold broken percent escapes on purpose). */
export interface AdminCall {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH';
  path: string;
  body?: { contentType: string; text: string };
}

/** The admin routes (apps/broker/src/admin/*.controller.ts), with `:param` placeholders. */
export const ADMIN_ROUTES: readonly { method: AdminCall['method']; route: string; query?: readonly string[]; body?: readonly string[] }[] = [
  { method: 'GET', route: '/health' },
  { method: 'GET', route: '/cluster' },
  { method: 'GET', route: '/metrics' },
  { method: 'GET', route: '/topics' },
  { method: 'GET', route: '/topics/:topic' },
  { method: 'PUT', route: '/topics/:topic', body: ['readQueueNums', 'writeQueueNums', 'perm', 'messageType'] },
  { method: 'DELETE', route: '/topics/:topic' },
  { method: 'GET', route: '/topics/:topic/messages', query: ['key', 'max'] },
  { method: 'GET', route: '/groups' },
  { method: 'GET', route: '/groups/:group' },
  { method: 'PUT', route: '/groups/:group', body: ['maxDeliveryAttempts', 'fifo'] },
  { method: 'DELETE', route: '/groups/:group' },
  { method: 'POST', route: '/groups/:group/reset-offset', body: ['topic', 'timestamp'] },
  { method: 'GET', route: '/messages/:messageId' },
  { method: 'GET', route: '/groups/:group/dlq', query: ['max'] },
  { method: 'POST', route: '/groups/:group/dlq/:messageId/resend', body: ['topic'] },
  { method: 'GET', route: '/transactions', query: ['topic', 'state', 'max'] },
  { method: 'POST', route: '/transactions/:transactionId/commit', body: ['topic', 'messageId'] },
  { method: 'POST', route: '/transactions/:transactionId/rollback', body: ['topic', 'messageId'] },
];

/** A request to a known route (path params, query and body fuzzed) or, sometimes, to no route at all. */
export function adminCallArbitrary(pools: FuzzPools): Arbitrary<AdminCall> {
  const routed = fc.constantFrom(...ADMIN_ROUTES).chain((route) =>
    fc.record({
      method: fc.oneof(
        { weight: 9, arbitrary: fc.constant(route.method) },
        { weight: 1, arbitrary: fc.constantFrom<AdminCall['method']>('GET', 'PUT', 'POST', 'DELETE', 'PATCH') },
      ),
      path: fc.tuple(pathArbitrary(route.route, pools), queryArbitrary(route.query ?? [], pools)).map(([path, query]) => (query ? `${path}?${query}` : path)),
      body: bodyArbitrary(route.body ?? [], pools),
    }),
  );
  const unrouted = fc.record({
    method: fc.constantFrom<AdminCall['method']>('GET', 'POST'),
    path: fc.constantFrom('/', '/topics/a/b/c', '/%', '/groups/x/dlq/y', '/..%2f..%2fetc%2fpasswd', `/${'a'.repeat(9000)}`),
    body: fc.constant(undefined),
  });
  return fc.oneof({ weight: 12, arbitrary: routed }, { weight: 1, arbitrary: unrouted });
}

function pathArbitrary(route: string, pools: FuzzPools): Arbitrary<string> {
  const segments = route.split('/').map((segment) => (segment.startsWith(':') ? paramArbitrary(segment.slice(1), pools) : fc.constant(segment)));
  return fc.tuple(...segments).map((parts) => parts.join('/'));
}

function paramArbitrary(name: string, pools: FuzzPools): Arbitrary<string> {
  const known = name === 'topic' ? pools.topics : name === 'group' ? pools.groups : name === 'messageId' ? pools.messageIds : pools.transactionIds;
  return fc.oneof(
    { weight: 6, arbitrary: known.length > 0 ? fc.constantFrom(...known).map(encodeURIComponent) : fc.constant('x') },
    {
      weight: 3,
      arbitrary: nastyStringArbitrary()
        .filter((value) => value.length > 0)
        .map(safeEncode),
    },
    // Escapes Express cannot decode.
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%80', '%00', '%ED%A0%80', '%2F') },
  );
}

function queryArbitrary(fields: readonly string[], pools: FuzzPools): Arbitrary<string> {
  if (fields.length === 0) return fc.oneof(fc.constant(''), fc.constant('x=1'));
  const value = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('1', '32', '1024', '1025', '0', '-1', '9007199254740993', '1e3', 'pending', 'check-max', 'k1', ...pools.topics) },
    { weight: 2, arbitrary: nastyStringArbitrary().map(safeEncode) },
  );
  const pair = fc
    .tuple(fc.constantFrom(...fields), value, fc.boolean())
    .map(([field, v, asArray]) => (asArray ? `${field}[]=${v}&${field}[x]=${v}` : `${field}=${v}`));
  return fc.array(pair, { maxLength: 3 }).map((pairs) => pairs.join('&'));
}

function bodyArbitrary(fields: readonly string[], pools: FuzzPools): Arbitrary<AdminCall['body']> {
  const fieldValue = fc.oneof(
    {
      weight: 2,
      arbitrary: fc.constantFrom<unknown>(...pools.topics, ...pools.messageIds, 'now', 'NORMAL', 'fifo', 'TRANSACTION', 1, 2, 4, 6, 8, 0, Date.now()),
    },
    { weight: 3, arbitrary: jsonValueArbitrary() },
  );
  const fieldsObject =
    fields.length > 0
      ? fc.dictionary(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...fields) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }), fieldValue, {
          maxKeys: 4,
        })
      : fc.constant({});
  const json = (value: unknown) => ({ contentType: 'application/json', text: JSON.stringify(value) ?? 'null' });
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 6, arbitrary: fieldsObject.map(json) },
    { weight: 1, arbitrary: jsonValueArbitrary().map(json) },
    {
      weight: 2,
      arbitrary: fc.record({
        contentType: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1'),
        text: fc.oneof(
          fc.constantFrom(
            '{',
            '{"topic":',
            '[]',
            '"x"',
            '{"__proto__":{"x":1}}',
            '{"readQueueNums":1e999}',
            '{"perm":99999999999999999999}',
            'topic=x&timestamp=now',
            '\u0000',
          ),
          fc.integer({ min: 100_001, max: 300_000 }).map((size) => JSON.stringify({ topic: 'x'.repeat(size) })),
          fc.integer({ min: 200, max: 3000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
        ),
      }),
    },
  );
}

/** encodeURIComponent, except for lone surrogates (which it throws on): those go as a broken escape. */
function safeEncode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80';
  }
}
