/**
 * The package walls of DESIGN.md section 2, checked by `npm test` (`npm run deps`); a violation
 * fails CI. docs/architecture.md ("Dependency rules") says what each rule protects; a rule
 * changes only with DESIGN's counterpart there.
 */
/** Unit specs may cross layers to set up what they test (state-files specs cover every layer's files), and use libs/testkit. */
const SPEC = '\\.spec\\.ts$';
const SERVICES = '^(apps/(broker|order-service|pay-service)/src|libs/(mq|outbox|faults)/src)/';
/** A library's test entry, `testing.ts`, and the `testing/` folder of doubles it exports. */
const TESTING = '^libs/[^/]+/src/testing(\\.ts$|/)';
/** The ORM, the driver and the transaction propagation libs/outbox runs on. */
const OUTBOX_ORM = '^node_modules/(@types/)?(typeorm|pg|nestjs-cls|@nestjs-cls/[^/]+|@nestjs/typeorm)/';
/** Broker layers, lowest first: a layer imports only its own and lower ones. */
const BROKER = 'apps/broker/src';

module.exports = {
  forbidden: [
    {
      name: 'nothing-imports-test',
      comment: 'test/ is for Jest; what tests share with benchmarks and the demo lives in libs/testkit',
      severity: 'error',
      from: { pathNot: '^test/' },
      to: { path: '^test/' },
    },
    {
      name: 'libs-never-import-apps',
      comment: 'dependencies point apps -> libs, never back',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'services-never-import-testkit',
      comment: 'libs/testkit is for tests, benchmarks and the demo runner; a service must run with production dependencies only',
      severity: 'error',
      from: { path: SERVICES, pathNot: SPEC },
      to: { path: '^libs/testkit/' },
    },
    {
      name: 'testing-entries-only-from-tests',
      comment: "a library's testing.ts (and the testing/ folder behind it: in-memory doubles) exposes internals for tests, not API",
      severity: 'error',
      from: { pathNot: ['^test/', SPEC, TESTING] },
      to: { path: TESTING },
    },
    {
      name: 'apps-never-import-other-apps',
      comment: 'each app stands alone; the demo runner reaches the broker through its protocols and libs/admin-client',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'no-deep-imports-into-libs',
      comment:
        'a library is used from outside through its index.ts (@app/<name>), tests also through its testing.ts (@app/<name>/testing); the alias resolver is loaded by path on purpose',
      severity: 'error',
      from: { path: '^(libs/[^/]+|apps/[^/]+|test)/' },
      to: { path: '^libs/[^/]+/src/.+', pathNot: ['^$1/', '^libs/[^/]+/src/(index|testing)\\.ts$', '^libs/testkit/src/app-alias-register\\.ts$'] },
    },
    {
      name: 'outbox-orm-only-in-typeorm-folder',
      comment:
        'libs/outbox keeps all TypeORM, pg and nestjs-cls code in src/typeorm/; its capabilities depend on OutboxDatabase and TransactionRunner, so they run on the in-memory doubles too',
      severity: 'error',
      from: { path: '^libs/outbox/src/', pathNot: '^libs/outbox/src/typeorm/' },
      to: { path: OUTBOX_ORM },
    },
    {
      name: 'broker-common-is-below-every-layer',
      comment: 'common/ holds data structures every layer uses (MinHeap); it imports no layer',
      severity: 'error',
      from: { path: `^${BROKER}/common/` },
      to: { path: `^${BROKER}/(?!common/)[^/]+/` },
    },
    {
      name: 'broker-store-and-topics-are-the-bottom',
      severity: 'error',
      from: { path: `^${BROKER}/(store|topics)/`, pathNot: SPEC },
      to: { path: `^${BROKER}/(publishing|delivery|schedule|transaction|auth|trace|grpc|admin|cli)/` },
    },
    {
      name: 'broker-publishing-sits-on-store-and-topics',
      comment:
        'publishing/ is the one write path into topics: grpc/ and admin/ send through it, and delivery/, schedule/ and transaction/ copy messages with it, so it imports none of them; it reaches the delay scheduler and the transaction service through interfaces it owns',
      severity: 'error',
      from: { path: `^${BROKER}/publishing/`, pathNot: SPEC },
      to: { path: `^${BROKER}/(delivery|schedule|transaction|auth|trace|grpc|admin|cli)/` },
    },
    {
      name: 'broker-domain-layers-below-grpc-and-admin',
      severity: 'error',
      from: { path: `^${BROKER}/(delivery|schedule|transaction|auth|trace)/`, pathNot: SPEC },
      to: { path: `^${BROKER}/(grpc|admin|cli)/` },
    },
    {
      name: 'broker-grpc-and-admin-do-not-import-each-other-or-the-cli',
      comment: 'the two protocol layers on top (gRPC, admin HTTP) stand side by side; the CLI is a client of the admin API',
      severity: 'error',
      from: { path: `^${BROKER}/(grpc|admin)/`, pathNot: SPEC },
      to: { path: `^${BROKER}/(grpc|admin|cli)/`, pathNot: `^${BROKER}/$1/` },
    },
    {
      name: 'broker-console-stands-alone',
      comment: 'the console serves files; its pages reach the broker only through the admin API over HTTP',
      severity: 'error',
      from: { path: `^${BROKER}/console/` },
      to: { path: `^${BROKER}/(?!console/)[^/]+/` },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^(apps|libs)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // node_modules stays in the graph (not followed), so a rule can name the packages a folder may import.
    exclude: { path: '(^dist|\\.d\\.ts$)' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
  },
};
