import { BROKER_CRASH_SCENARIO } from './broker-crash-scenario';
import { ACL_SCENARIO, CONSUMER_CRASH_SCENARIO, DOUBLE_PAY_SCENARIO, RECEIVER_DOWN_SCENARIO } from './delivery-scenarios';
import { LOAD_SCENARIO } from './load-scenario';
import { PRODUCER_CRASH_SCENARIOS } from './producer-crash-scenarios';
import { Scenario } from './scenario';

/** The scenarios of issue 8, in its order, then issue 15's; `npm run scenario -- all` runs them all. */
export const SCENARIOS: readonly Scenario[] = [
  ...PRODUCER_CRASH_SCENARIOS,
  BROKER_CRASH_SCENARIO,
  CONSUMER_CRASH_SCENARIO,
  RECEIVER_DOWN_SCENARIO,
  DOUBLE_PAY_SCENARIO,
  LOAD_SCENARIO,
  ACL_SCENARIO,
];
