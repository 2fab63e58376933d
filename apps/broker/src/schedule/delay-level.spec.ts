import { DELAY_LEVEL_PROPERTY, delayLevelOf, deliveryTimestampFor } from './delay-level';
import { DELAY_LEVELS_MS } from './delay-scheduler.types';

const NOW = 1_700_000_000_000;

describe('deliveryTimestampFor', () => {
  it.each<[string | undefined, number | undefined, number | undefined]>([
    // [DELAY property, deliveryTimestampMs, expected]
    [undefined, undefined, undefined],
    [undefined, NOW + 42, NOW + 42],
    ['1', undefined, NOW + 1_000],
    ['3', undefined, NOW + 10_000],
    ['18', undefined, NOW + 7_200_000],
    ['19', undefined, NOW + 7_200_000], // clamped to the highest level, as RocketMQ does
    ['2147483647', undefined, NOW + 7_200_000],
    ['99999999999', undefined, NOW + 7_200_000],
    ['+2', undefined, NOW + 5_000],
    ['0', undefined, undefined], // level 0 or below: no delay level
    ['-1', undefined, undefined],
    ['0', NOW + 42, NOW + 42],
    ['2', NOW + 999_999, NOW + 5_000], // a delay level wins over a delivery timestamp
    ['abc', NOW + 42, NOW + 42], // not an integer: ignored
    ['1.5', undefined, undefined],
    [' 1', undefined, undefined],
    ['', undefined, undefined],
  ])('DELAY=%j, deliveryTimestampMs=%j -> %j', (level, deliveryTimestampMs, expected) => {
    const properties: Record<string, string> = level === undefined ? {} : { [DELAY_LEVEL_PROPERTY]: level };
    expect(deliveryTimestampFor({ properties, deliveryTimestampMs }, NOW)).toBe(expected);
  });

  it('covers every level of the table', () => {
    DELAY_LEVELS_MS.forEach((delayMs, index) => {
      expect(deliveryTimestampFor({ properties: { DELAY: String(index + 1) } }, NOW)).toBe(NOW + delayMs);
    });
  });

  it('ignores an inherited property name', () => {
    expect(delayLevelOf({ properties: Object.create({ DELAY: '3' }) as Record<string, string> })).toBeUndefined();
    expect(delayLevelOf({})).toBeUndefined();
  });
});
