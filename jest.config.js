/**
 * One Jest run covers unit specs next to the code (`*.spec.ts`) and end-to-end specs in test/
 * (`*.e2e-spec.ts`). Type checking is done once by `npm run typecheck` (the first half of
 * `npm test`), so ts-jest only transpiles here: faster, and type errors still fail the run.
 */
/** @type {import('jest').Config} */
module.exports = {
  rootDir: '.',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', diagnostics: false }],
  },
  moduleNameMapper: {
    '^@app/mq(|/.*)$': '<rootDir>/libs/mq/src$1',
    '^@app/outbox(|/.*)$': '<rootDir>/libs/outbox/src$1',
    '^@app/faults(|/.*)$': '<rootDir>/libs/faults/src$1',
    '^@app/admin-client(|/.*)$': '<rootDir>/libs/admin-client/src$1',
    '^@app/testkit(|/.*)$': '<rootDir>/libs/testkit/src$1',
  },
  testEnvironment: 'node',
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  maxWorkers: 2,
  testTimeout: 60000,
};
