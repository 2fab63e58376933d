import type { FaultPoint } from '@app/faults';
import { Scenario, ScenarioContext } from './scenario';
import { createKnownOrder, orderStatus, paymentCount, pendingHalfMessages, waitUntil } from './scenario-steps';

/**
 * Scenarios 1-3: pay-service dies at one step of the half-message flow of `POST /payments`,
 * is restarted without the fault, and the broker's check-back asks the new instance how the
 * transaction ended: rolled back when the local transaction never committed, committed when
 * it did. Either way the order and the payment agree.
 */
function producerCrash(name: string, fault: FaultPoint, expected: 'rolled back' | 'committed', fast: boolean): Scenario {
  return {
    name,
    title: `pay-service dies ${fault.replace(/-/g, ' ')} -> ${expected} on check-back, order ${expected === 'committed' ? 'PAID once' : 'stays unpaid'}`,
    fast,
    stack: { env: { 'pay-service': { FAULTS: fault } } },
    run: async (context: ScenarioContext) => {
      const { stack, shop, timeline } = context;
      const order = await createKnownOrder(context, 'alice', 3_000);
      const answer = await shop.pay(order.id);
      timeline.add('client', `POST /payments -> ${answer.status === 0 ? 'no answer (the connection died with pay-service)' : answer.status}`);
      await stack.waitForDeath('pay-service', 20_000);
      context.expect(
        `pay-service died at ${fault}`,
        stack.processes['pay-service'].lines.some((line) => line.includes(`FAULT ${fault}`)),
      );
      await stack.startApp('pay-service', { FAULTS: '' });
      timeline.add('runner', 'waiting for the broker to check the half message back with the new pay-service instance');
      await waitUntil('the half message is resolved', async () => (await pendingHalfMessages(stack)) === 0);
      timeline.add('broker', 'half message resolved by check-back');
      if (expected === 'committed') {
        await waitUntil('the order is PAID', async () => (await orderStatus(context, order.id)) === 'PAID');
        timeline.add('order-service', `order ${order.id.slice(0, 8)} PAID`);
        context.expect('exactly one payment', (await paymentCount(stack, order.id)) === 1);
      } else {
        context.expect('no payment', (await paymentCount(stack, order.id)) === 0);
        const status = await orderStatus(context, order.id);
        context.expect('the order stays unpaid', status === 'CREATED', `status ${status}`);
        const retry = await shop.payWhenKnown(order.id, 20_000);
        timeline.add('client', `POST /payments again (the buyer retries) -> ${retry.status}`);
        context.expect('a retry after the rollback pays the order', retry.status === 201, `status ${retry.status}`);
        await waitUntil('the order is PAID', async () => (await orderStatus(context, order.id)) === 'PAID');
      }
    },
  };
}

export const PRODUCER_CRASH_SCENARIOS: Scenario[] = [
  producerCrash('after-half-send', 'after-half-send', 'rolled back', true),
  producerCrash('after-local-commit', 'after-local-commit', 'committed', true),
  producerCrash('inside-local-transaction', 'inside-local-transaction', 'rolled back', false),
];
