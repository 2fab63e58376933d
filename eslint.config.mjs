// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * ESLint as a Nest project sets it up (typescript-eslint's type-checked recommendations), with
 * Prettier owning the layout (eslint-config-prettier turns the layout rules off; `npm run
 * format:check` runs Prettier). Part of `npm test` (`npm run lint`).
 */
export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', '**/*.js', '**/*.mjs', '!apps/broker/src/console/web/**/*.js'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: {
      globals: { ...globals.node, ...globals.jest },
      sourceType: 'commonjs',
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    rules: {
      // An async method without await still turns a throw into a rejection; callers rely on that.
      '@typescript-eslint/require-await': 'off',
      // The broker parses binary formats: record separators (\x01, \x02) and control-character checks are the point.
      'no-control-regex': 'off',
      // `_name` marks a parameter an interface requires, or a property destructured away.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true, caughtErrors: 'none' }],
    },
  },
  {
    // Tests read HTTP bodies (supertest's `any`) and JSON fixtures, and pass methods to expect().
    files: ['test/**/*.ts', '**/*.spec.ts', '**/*.e2e-spec.ts', '**/*.test-support.ts', '**/*.contract.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // Fuzzers and fixtures build values of any shape on purpose; gRPC status numbers meet enums.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
    },
  },
  {
    // The console's browser modules (plain ES modules, no build step): ESLint's recommended rules, browser globals, no type information.
    files: ['apps/broker/src/console/web/**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { ...globals.browser }, sourceType: 'module', parserOptions: { projectService: false } },
    rules: { '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }] },
  },
);
