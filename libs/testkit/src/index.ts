/**
 * What the tests, the benchmarks and the demo runner share (DESIGN.md section 2): PostgreSQL for
 * a run, transpiled builds for child processes and the children themselves, the official clients
 * as tests use them, and the benchmarks' measuring and printing. Nothing here is part of a
 * service: no app's runtime code imports it (the demo runner is a tool, not a service).
 */
export * from './child-build';
export * from './json-line-child';
export * from './broker-child';
export * from './embedded-postgres.errors';
export * from './embedded-postgres-cluster';
export * from './postgres-server';
export * from './official-client';
export * from './bench/bench-children';
export * from './bench/bench-figures';
export * from './browser';
