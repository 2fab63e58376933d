/**
 * @app/faults: the demo's fault points, where order-service and pay-service SIGKILL themselves for
 * apps/demo's crash scenarios (`FAULTS=name[:N],...`). This file is the package's public API:
 * import from `@app/faults` only.
 */

/** The fault point names, their type, and the fault point of each @TransactionalMessage step. */
export { FAULT_POINTS, type FaultPoint, FAULT_POINT_OF_STEP } from './fault-points';
/** Parses `FAULTS` (`name` or `name:N`, comma-separated) into fault point -> the occurrence that kills; throws on an unknown name or a bad N. */
export { parseFaults } from './parse-faults';
/** Counts the hits of each fault point and kills at the configured occurrence (`hit(point)`, `atStep(step)`). */
export { FaultInjector } from './fault-injector';
/** The default kill: writes `FAULT <name>` to stderr synchronously, then SIGKILLs the process. */
export { killProcess } from './fault-injector';
