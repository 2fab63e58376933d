/**
 * A seeded pseudo-random source (mulberry32), so a chaos run that found a violation can be run
 * again with the same choices: `npm run chaos -- --seed <the seed it printed>`. Four lines of
 * arithmetic; not for anything that needs unpredictability.
 */
export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** One of `choices`, by weight. */
  pick<T>(choices: ReadonlyArray<{ value: T; weight: number }>): T {
    const total = choices.reduce((sum, choice) => sum + choice.weight, 0);
    let roll = this.next() * total;
    for (const choice of choices) {
      roll -= choice.weight;
      if (roll < 0) return choice.value;
    }
    return choices[choices.length - 1].value;
  }
}
