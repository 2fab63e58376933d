import fc, { Arbitrary } from 'fast-check';
import { nastyStringArbitrary } from './value-arbitraries';

/**
 * Real names the fuzz broker was seeded with (topics, groups, message ids, receipt handles,
 * transaction ids, client ids). Generated requests draw from them most of the time, so they pass
 * the first checks and reach the deep paths of the handlers; the rest of the time they get a nasty
 * string. Filled once by FuzzBroker before any arbitrary is built.
 */
export class FuzzPools {
  readonly topics: string[] = [];
  readonly groups: string[] = [];
  readonly messageIds: string[] = [];
  readonly receiptHandles: string[] = [];
  readonly transactionIds: string[] = [];
  readonly clientIds: string[] = [];

  /** A value for a string field, chosen by the field's name. */
  stringFor(fieldName: string): Arbitrary<string> {
    switch (fieldName) {
      case 'name':
        return this.pick([...this.topics, ...this.groups]);
      case 'messageId':
        return this.pick(this.messageIds);
      case 'receiptHandle':
        return this.pick(this.receiptHandles, (handle) => [handle.slice(0, -1), `${handle}x`, handle.toUpperCase()]);
      case 'transactionId':
        return this.pick(this.transactionIds);
      case 'tag':
        return this.pick(['TagA', 'TagB', '*']);
      case 'keys':
        return this.pick(['k1', 'order-1']);
      case 'messageGroup':
        return this.pick(['g1', 'g2']);
      case 'expression':
        return this.pick(['*', 'TagA || TagB', 'TagA', 'a > 1', 'a IN (', "TAGS = 'x'"]);
      case 'resourceNamespace':
        return fc.oneof({ weight: 6, arbitrary: fc.constant('') }, { weight: 1, arbitrary: nastyStringArbitrary() });
      default:
        return nastyStringArbitrary();
    }
  }

  propertyKey(): Arbitrary<string> {
    return this.pick(['k', 'DELAY', 'CHECK_IMMUNITY_TIME_IN_SECONDS', '__CHECK_IMMUNITY', 'UNIQ_KEY', 'a b']);
  }

  propertyValue(): Arbitrary<string> {
    return this.pick(['1', '3', '18', '19', '-1', '9007199254740993', 'v']);
  }

  /** Message bodies: mostly small, sometimes empty or a few hundred KiB. */
  body(): Arbitrary<Uint8Array> {
    return fc.oneof(
      { weight: 8, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 32 }) },
      { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
      { weight: 1, arbitrary: fc.integer({ min: 64 * 1024, max: 600 * 1024 }).map((size) => new Uint8Array(size)) },
    );
  }

  /** Mostly one of `values` (or a variant of it), otherwise a nasty string. */
  private pick(values: readonly string[], variants: (value: string) => string[] = () => []): Arbitrary<string> {
    if (values.length === 0) return nastyStringArbitrary();
    const all = [...values, ...values.flatMap(variants)];
    return fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...all) }, { weight: 1, arbitrary: nastyStringArbitrary() });
  }
}
