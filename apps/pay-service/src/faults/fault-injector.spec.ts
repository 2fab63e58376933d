import { parseFaults, PayServiceConfigError } from '../pay-service.config';
import { FaultInjector } from './fault-injector';

describe('FaultInjector', () => {
  it('fires a fault point at its step, the first time by default', () => {
    const fired: string[] = [];
    const faults = new FaultInjector(parseFaults('after-half-send'), (name) => fired.push(name));
    faults.atStep('row-inserted');
    faults.atStep('half-sent');
    faults.atStep('half-sent');
    expect(fired).toEqual(['after-half-send']);
  });

  it('fires `name:N` on the N-th occurrence only', () => {
    const fired: string[] = [];
    const faults = new FaultInjector(parseFaults('after-local-commit:3, inside-local-transaction'), (name) => fired.push(name));
    for (let i = 0; i < 4; i += 1) faults.atStep('local-committed');
    expect(fired).toEqual(['after-local-commit']);
    faults.atStep('row-inserted');
    expect(fired).toEqual(['after-local-commit', 'inside-local-transaction']);
  });

  it('does nothing without FAULTS', () => {
    const fired: string[] = [];
    const faults = new FaultInjector(parseFaults(''), (name) => fired.push(name));
    faults.atStep('half-sent');
    faults.atStep('local-committed');
    expect(fired).toEqual([]);
  });

  it('refuses an unknown fault point or a bad occurrence', () => {
    expect(() => parseFaults('after-half-sned')).toThrow(PayServiceConfigError);
    expect(() => parseFaults('after-half-send:0')).toThrow(/FAULTS/);
  });
});
