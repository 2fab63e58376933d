/**
 * The broker's admin contract as its users print it (DESIGN.md section 2): mqadmin, the demo
 * runner and the benchmarks. Today the table printing; the contract types and the HTTP client
 * still live in apps/broker (cli/admin-client.ts, admin/admin.types.ts) and move here next.
 */
export * from './table';
