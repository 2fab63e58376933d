import { spawnSync } from 'node:child_process';
import { FAULT_POINT_OF_STEP, FAULT_POINTS, FaultInjector, FaultPoint, parseFaults } from '.';
import { buildForChildren, ChildBuild } from '@app/testkit';

/** A FaultInjector whose kill only records, and the points it would have killed at. */
function recordingInjector(faults: string): { faults: FaultInjector; killed: FaultPoint[] } {
  const killed: FaultPoint[] = [];
  return { faults: new FaultInjector(parseFaults(faults), (point) => killed.push(point)), killed };
}

describe('fault points', () => {
  it('are the names the services and the demo scenarios use', () => {
    expect(FAULT_POINTS).toEqual(['after-half-send', 'inside-local-transaction', 'after-local-commit', 'consumer-before-ack', 'in-notification-receiver']);
    expect(FAULT_POINT_OF_STEP).toEqual({
      'half-sent': 'after-half-send',
      'row-inserted': 'inside-local-transaction',
      'local-committed': 'after-local-commit',
    });
  });
});

describe('parseFaults', () => {
  it('parses names and name:N occurrences, comma-separated, spaces ignored', () => {
    expect(parseFaults('consumer-before-ack, in-notification-receiver:3')).toEqual(
      new Map([
        ['consumer-before-ack', 1],
        ['in-notification-receiver', 3],
      ]),
    );
    expect(parseFaults('after-local-commit:12,')).toEqual(new Map([['after-local-commit', 12]]));
    expect(parseFaults('')).toEqual(new Map());
    expect(parseFaults(' , ')).toEqual(new Map());
  });

  it('refuses an unknown fault point, naming the known ones', () => {
    expect(() => parseFaults('consumer-before-akc')).toThrow(
      'unknown fault point "consumer-before-akc" (known: after-half-send, inside-local-transaction, after-local-commit, consumer-before-ack, in-notification-receiver)',
    );
    expect(() => parseFaults('after-half-send,after-half-sned')).toThrow(/unknown fault point "after-half-sned"/);
    expect(() => parseFaults(':2')).toThrow(/unknown fault point ""/);
  });

  it('refuses an occurrence that is not a positive integer', () => {
    for (const bad of ['0', '-1', '1.5', 'x', '', '01', '1:2']) {
      expect(() => parseFaults(`after-half-send:${bad}`)).toThrow(`"after-half-send:${bad}": the occurrence N of name:N must be a positive integer`);
    }
  });
});

describe('FaultInjector', () => {
  it('kills at a fault point the first time by default', () => {
    const { faults, killed } = recordingInjector('after-half-send');
    faults.hit('inside-local-transaction');
    faults.hit('after-half-send');
    faults.hit('after-half-send');
    expect(killed).toEqual(['after-half-send']);
  });

  it('kills on the configured occurrence only, counting each point apart', () => {
    const { faults, killed } = recordingInjector('consumer-before-ack:2,after-local-commit');
    faults.hit('in-notification-receiver');
    faults.hit('consumer-before-ack');
    expect(killed).toEqual([]);
    faults.hit('consumer-before-ack');
    faults.hit('consumer-before-ack');
    faults.hit('after-local-commit');
    expect(killed).toEqual(['consumer-before-ack', 'after-local-commit']);
  });

  it('maps the @TransactionalMessage steps onto their fault points', () => {
    const { faults, killed } = recordingInjector('after-local-commit:3, inside-local-transaction, after-half-send:2');
    for (let i = 0; i < 4; i += 1) faults.atStep('local-committed');
    expect(killed).toEqual(['after-local-commit']);
    faults.atStep('row-inserted');
    faults.atStep('half-sent');
    expect(killed).toEqual(['after-local-commit', 'inside-local-transaction']);
    faults.atStep('half-sent');
    expect(killed).toEqual(['after-local-commit', 'inside-local-transaction', 'after-half-send']);
  });

  it('keeps the claim a statement of its own only when inside-local-transaction is armed, so that its step exists', () => {
    expect(recordingInjector('inside-local-transaction:2').faults.claimWithCommit()).toBe(false);
    expect(recordingInjector('after-half-send, after-local-commit').faults.claimWithCommit()).toBe(true);
    expect(recordingInjector('').faults.claimWithCommit()).toBe(true);
  });

  it('does nothing without FAULTS', () => {
    const { faults, killed } = recordingInjector('');
    for (const point of FAULT_POINTS) faults.hit(point);
    faults.atStep('half-sent');
    faults.atStep('local-committed');
    expect(killed).toEqual([]);
  });
});

describe('the default kill', () => {
  let build: ChildBuild;

  beforeAll(async () => {
    build = await buildForChildren(['libs/faults/src']);
  });

  afterAll(async () => {
    await build?.remove();
  });

  it('prints FAULT <name> on stderr, then the process dies of SIGKILL at once', () => {
    const script = `
      const { FaultInjector } = require(${JSON.stringify(build.script('libs/faults/src/index.ts'))});
      const faults = new FaultInjector(new Map([['after-local-commit', 2]]));
      faults.hit('after-local-commit');
      process.stdout.write('first occurrence passed\\n');
      faults.hit('after-local-commit');
      process.stdout.write('still alive\\n');
    `;
    const child = spawnSync(process.execPath, ['-e', script], { env: build.env, encoding: 'utf8', timeout: 10_000 });
    expect({ signal: child.signal, stdout: child.stdout, stderr: child.stderr }).toEqual({
      signal: 'SIGKILL',
      stdout: 'first occurrence passed\n',
      stderr: 'FAULT after-local-commit\n',
    });
  });
});
