/**
 * The broker's admin REST contract (DESIGN.md section 2): the request and response types, the
 * HTTP client, and mqadmin's table printing. Used by mqadmin, the demo runner, the tests and the
 * benchmarks; the broker's admin API implements the types.
 */
export * from './admin.types';
export * from './admin-client';
export * from './table';
