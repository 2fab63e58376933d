import fc, { Arbitrary } from 'fast-check';
import { FuzzPools } from './fuzz-pools';
import { protoArbitrary } from './proto-arbitrary';
import { int32Arbitrary, int64Arbitrary } from './value-arbitraries';
import { WireMutation, wireMutationsArbitrary } from './wire-mutation';

/** One command a fuzzed client writes: an object to encode, or an encoded one mutated on the wire. */
export type TelemetryWrite =
  { kind: 'object'; command: Record<string, unknown> } | { kind: 'bytes'; command: Record<string, unknown>; mutations: WireMutation[] };

/** How the client leaves the stream. */
export type TelemetryEnding = 'half-close' | 'cancel' | 'cancel-at-once';

export interface TelemetrySession {
  clientId: string;
  writes: TelemetryWrite[];
  ending: TelemetryEnding;
}

export function telemetrySessionArbitrary(pools: FuzzPools): Arbitrary<TelemetrySession> {
  const command = fc.oneof({ weight: 4, arbitrary: settingsCommand(pools) }, { weight: 2, arbitrary: protoArbitrary('TelemetryCommand', pools) });
  const write = fc.oneof(
    { weight: 4, arbitrary: command.map((value): TelemetryWrite => ({ kind: 'object', command: value })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(settingsCommand(pools), wireMutationsArbitrary())
        .map(([value, mutations]): TelemetryWrite => ({ kind: 'bytes', command: value, mutations })),
    },
  );
  return fc.record({
    // Fresh ids mostly, so the seeded clients keep their streams; sometimes a seeded one takes over.
    clientId: fc.oneof({ weight: 4, arbitrary: fc.uuid().map((id) => `fuzz-telemetry-${id}`) }, { weight: 1, arbitrary: fc.constantFrom(...pools.clientIds) }),
    writes: fc.array(write, { maxLength: 4 }),
    ending: fc.constantFrom<TelemetryEnding>('half-close', 'cancel', 'cancel-at-once'),
  });
}

function settingsCommand(pools: FuzzPools): Arbitrary<Record<string, unknown>> {
  const resource = (names: readonly string[]) =>
    fc.record({ name: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: pools.stringFor('other') }) });
  const duration = fc.record({ seconds: fc.oneof(fc.integer({ min: 0, max: 30 }), int64Arbitrary()), nanos: int32Arbitrary() }, { requiredKeys: [] });
  const publishing = fc.record(
    { topics: fc.array(resource(pools.topics), { maxLength: 3 }), maxBodySize: int32Arbitrary(), validateMessageType: fc.boolean() },
    { requiredKeys: ['topics'] },
  );
  const subscription = fc.record(
    {
      group: resource(pools.groups),
      subscriptions: fc.array(
        fc.record({ topic: resource(pools.topics), expression: fc.record({ type: fc.constantFrom('TAG', 'SQL'), expression: pools.stringFor('expression') }) }),
        { maxLength: 3 },
      ),
      fifo: fc.boolean(),
      receiveBatchSize: int32Arbitrary(),
      longPollingTimeout: duration,
    },
    { requiredKeys: ['group'] },
  );
  const clientType = fc.constantFrom('PRODUCER', 'PUSH_CONSUMER', 'SIMPLE_CONSUMER', 'PULL_CONSUMER', 'CLIENT_TYPE_UNSPECIFIED');
  const settings = fc.oneof(
    fc.record({ clientType, requestTimeout: duration, publishing }, { requiredKeys: ['publishing'] }),
    fc.record({ clientType, requestTimeout: duration, subscription }, { requiredKeys: ['subscription'] }),
    fc.record({ clientType, requestTimeout: duration }, { requiredKeys: [] }),
  );
  return settings.map((value) => ({ settings: value }));
}
