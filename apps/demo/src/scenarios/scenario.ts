import { CallbackProxy } from '../callback-proxy';
import { DemoStack, DemoStackOptions } from '../demo-stack';
import { ShopClient } from '../shop-client';
import { Timeline } from '../timeline';

/** What a scenario's script gets: the running system, a client, the timeline, its checks. */
export interface ScenarioContext {
  stack: DemoStack;
  shop: ShopClient;
  timeline: Timeline;
  /** Present when the scenario asked for a receiver proxy (`proxyFailFirst`). */
  proxy?: CallbackProxy;
  /** Records a scenario-specific check; a false one makes the scenario FAIL. */
  expect(name: string, ok: boolean, detail?: string): void;
}

/** One crash scenario of issue 8. */
export interface Scenario {
  name: string;
  /** One line: what is done and what must happen. */
  title: string;
  /** Part of the fast subset `npm test` runs (test/demo-scenarios.e2e-spec.ts). */
  fast: boolean;
  /** Stack options over the scenario defaults (env per service, broker settings, order timeout). */
  stack?: Partial<Pick<DemoStackOptions, 'env' | 'brokerSettings' | 'orderTimeoutMs' | 'reconcileAfterMs' | 'notifyRetryLadderMs' | 'acl'>>;
  /** Pay-service notifies through a CallbackProxy refusing the first N attempts of each notification. */
  proxyFailFirst?: number;
  /** How long the invariants may take to settle after the script (default DEMO_DEFAULTS.settleTimeoutMs). */
  settleTimeoutMs?: number;
  run(context: ScenarioContext): Promise<void>;
}
