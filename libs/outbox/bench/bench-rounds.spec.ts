import { judgeTargets, median, RoundFlowFigures, roundOrder } from './bench-rounds';

function flow(endToEndRate: number, appCpuMs = 1, brokerCpuMs = 0.5, postgresCpuMs = 0.5): RoundFlowFigures {
  return { endToEndRate, tiers: { appCpuMs, brokerCpuMs, postgresCpuMs } };
}

describe('bench:outbox rounds', () => {
  it('alternates the order of the flows from round to round', () => {
    const flows = ['half-message', 'outbox', 'pg-boss'];
    expect(roundOrder(flows, 0)).toEqual(['half-message', 'outbox', 'pg-boss']);
    expect(roundOrder(flows, 1)).toEqual(['pg-boss', 'outbox', 'half-message']);
    expect(roundOrder(flows, 2)).toEqual(flows);
    expect(flows).toEqual(['half-message', 'outbox', 'pg-boss']);
  });

  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('judges each ratio within its round, then on the median of the rounds', () => {
    // The hour halves every rate in round 2: the ratios do not move, the rates would mislead.
    const rounds = [
      new Map([
        ['half-message', flow(1000, 0.7, 0.25, 0.4)],
        ['pg-boss', flow(900, 0.5, 0.01, 1.2)],
        ['outbox', flow(1400)],
      ]),
      new Map([
        ['half-message', flow(500, 0.75, 0.35, 0.5)],
        ['pg-boss', flow(450, 0.5, 0.01, 1.3)],
        ['outbox', flow(700)],
      ]),
      new Map([
        ['half-message', flow(600, 0.9, 0.28, 0.6)],
        ['pg-boss', flow(800, 0.5, 0.01, 0.5)],
        ['outbox', flow(1300)],
      ]),
    ];
    const verdicts = new Map(judgeTargets(rounds).map((verdict) => [verdict.figure, verdict]));

    const half = verdicts.get('half message tx/s / pg-boss tx/s')!;
    expect(half.perRound.map((value) => value.toFixed(3))).toEqual(['1.111', '1.111', '0.750']);
    expect(half.median).toBeCloseTo(1.111, 3);
    expect(half.met).toBe(true);

    const outbox = verdicts.get('outbox mode tx/s / pg-boss tx/s')!;
    expect(outbox.median).toBeCloseTo(1.5556, 3);
    expect(outbox.met).toBe(true);

    expect(verdicts.get('half message: application CPU ms per tx')).toMatchObject({ median: 0.75, met: true });
    expect(verdicts.get('half message: broker CPU ms per tx')).toMatchObject({ median: 0.28, met: true });
    const postgres = verdicts.get("half message: PostgreSQL CPU / pg-boss's")!;
    expect(postgres.perRound[2]).toBeCloseTo(1.2, 5);
    expect(postgres.met).toBe(true);
  });

  it('misses a target whose median misses, whatever its best round', () => {
    const rounds = [1.6, 1.2, 1.3].map(
      (ratio) =>
        new Map([
          ['outbox', flow(ratio * 1000)],
          ['pg-boss', flow(1000)],
        ]),
    );
    const [outbox] = judgeTargets(rounds);
    expect(outbox).toMatchObject({ figure: 'outbox mode tx/s / pg-boss tx/s', met: false });
    expect(outbox.median).toBeCloseTo(1.3, 5);
  });

  it("leaves out PostgreSQL's target when its CPU was not measured (a remote server)", () => {
    const rounds = [
      new Map([
        ['half-message', flow(1000, 0.7, 0.25, Number.NaN)],
        ['pg-boss', flow(900, 0.5, 0.01, Number.NaN)],
      ]),
    ];
    expect(judgeTargets(rounds).map((verdict) => verdict.figure)).toEqual([
      'half message tx/s / pg-boss tx/s',
      'half message: application CPU ms per tx',
      'half message: broker CPU ms per tx',
    ]);
  });

  it('leaves out the targets whose flows did not run in every round', () => {
    const rounds = [new Map([['pg-boss', flow(900)]]), new Map([['pg-boss', flow(900)]])];
    expect(judgeTargets(rounds)).toEqual([]);
    expect(judgeTargets([])).toEqual([]);
  });
});
