/**
 * Resolves the `@app/*` path aliases (tsconfig `paths`: `@app/<name>` is libs/<name>/src) in
 * child processes run from the plain-JavaScript tree child-build.ts transpiles, where neither
 * Jest's moduleNameMapper nor tsconfig-paths is present. Children get it preloaded (childEnv).
 * Resolution is relative to this file, so it works on the transpiled tree and on the sources alike.
 */
import Module from 'node:module';
import * as path from 'node:path';

const ALIAS = /^@app\/([a-z-]+)(\/.*)?$/;
const moduleWithResolver = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const resolve = moduleWithResolver._resolveFilename;

moduleWithResolver._resolveFilename = function (request: string, ...rest: unknown[]): string {
  const match = ALIAS.exec(request);
  const target = match ? path.join(__dirname, '..', '..', match[1], 'src', match[2] ?? '') : request;
  return resolve.call(this, target, ...rest);
};
