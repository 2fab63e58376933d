import { loadSync, MessageTypeDefinition, PackageDefinition } from '@grpc/proto-loader';
import fc, { Arbitrary } from 'fast-check';
import { PROTO_LOADER_OPTIONS, rocketmqProtoDir } from '../../apps/broker/src/grpc/proto-loader';
import { FuzzPools } from './fuzz-pools';
import { int64Arbitrary, int32Arbitrary, nastyStringArbitrary } from './value-arbitraries';

/** The parts of a protobuf DescriptorProto that proto-loader hands out and the generator reads. */
interface FieldDescriptor {
  name: string;
  type: string;
  typeName: string;
  label: string;
}
interface DescriptorType {
  name: string;
  field: FieldDescriptor[];
  nestedType: DescriptorType[];
  enumType?: DescriptorType[];
  value?: { name: string; number: number }[];
  options?: { mapEntry?: boolean } | null;
}

const PACKAGE = 'apache.rocketmq.v2';
/** Below this depth message fields are left out, so generated requests stay small. */
const MAX_DEPTH = 5;

let definitions: PackageDefinition | undefined;

/** Every type of the v2 protos (requests, nested messages, enums), with the broker's loader options. */
export function protoDefinitions(): PackageDefinition {
  definitions ??= loadSync('apache/rocketmq/v2/service.proto', { ...PROTO_LOADER_OPTIONS, includeDirs: [rocketmqProtoDir()] });
  return definitions;
}

function lookup(typeName: string): DescriptorType {
  const all = protoDefinitions();
  const found = all[typeName] ?? all[`${PACKAGE}.${typeName}`];
  if (!found || !('type' in found)) throw new Error(`fuzz: no proto type ${typeName}`);
  return (found as MessageTypeDefinition<object, object>).type as unknown as DescriptorType;
}

/**
 * Structurally valid but random objects of a proto message type, built from its descriptor: every
 * field may be absent, scalars take extreme values (int64 as decimal strings past 2^53, so they
 * reach the wire exactly), strings come from the pools of real names most of the time, so random
 * requests still reach the handlers' deep paths, and repeated fields are occasionally huge.
 */
export function protoArbitrary(typeName: string, pools: FuzzPools, depth = 0): Arbitrary<Record<string, unknown>> {
  const type = lookup(typeName);
  const fields: Record<string, Arbitrary<unknown>> = {};
  for (const field of type.field) {
    if (field.type === 'TYPE_MESSAGE' && depth >= MAX_DEPTH) continue;
    fields[field.name] = fieldArbitrary(type, field, pools, depth);
  }
  return fc.record(fields, { requiredKeys: [] });
}

function fieldArbitrary(parent: DescriptorType, field: FieldDescriptor, pools: FuzzPools, depth: number): Arbitrary<unknown> {
  const mapEntry = parent.nestedType.find((nested) => nested.name === field.typeName && nested.options?.mapEntry);
  if (mapEntry) {
    return fc.oneof(
      { weight: 8, arbitrary: fc.dictionary(pools.propertyKey(), pools.propertyValue(), { maxKeys: 4 }) },
      { weight: 1, arbitrary: fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string(), { minKeys: 200, maxKeys: 400 }) },
    );
  }
  const single = scalarArbitrary(parent, field, pools, depth);
  if (field.label !== 'LABEL_REPEATED') return single;
  const small = fc.array(single, { maxLength: 3 });
  // Huge repeated fields near the top only: nested ones multiply into requests of hundreds of MiB.
  if (depth > 1) return small;
  return fc.oneof(
    { weight: 12, arbitrary: small },
    // The same value many times keeps generation cheap.
    { weight: 1, arbitrary: fc.tuple(single, fc.integer({ min: 500, max: 2000 })).map(([value, count]) => new Array<unknown>(count).fill(value)) },
  );
}

function scalarArbitrary(parent: DescriptorType, field: FieldDescriptor, pools: FuzzPools, depth: number): Arbitrary<unknown> {
  switch (field.type) {
    case 'TYPE_MESSAGE':
      return fc.constant(null).chain(() => protoArbitrary(field.typeName, pools, depth + 1));
    case 'TYPE_ENUM': {
      const nested = parent.enumType?.find((candidate) => candidate.name === field.typeName);
      const values = (nested ?? lookup(field.typeName)).value ?? [];
      return fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...values.map((value) => value.name)) },
        { weight: 1, arbitrary: fc.integer({ min: -3, max: 100_000 }) },
      );
    }
    case 'TYPE_INT64':
    case 'TYPE_SINT64':
    case 'TYPE_SFIXED64':
      return int64Arbitrary();
    case 'TYPE_UINT64':
    case 'TYPE_FIXED64':
      return int64Arbitrary().map((value) => (String(value).startsWith('-') ? '0' : value));
    case 'TYPE_INT32':
    case 'TYPE_SINT32':
    case 'TYPE_SFIXED32':
      return int32Arbitrary();
    case 'TYPE_UINT32':
    case 'TYPE_FIXED32':
      return int32Arbitrary().map((value) => Math.abs(value));
    case 'TYPE_BOOL':
      return fc.boolean();
    case 'TYPE_DOUBLE':
    case 'TYPE_FLOAT':
      return fc.double();
    case 'TYPE_BYTES':
      return pools.body();
    case 'TYPE_STRING':
      return pools.stringFor(field.name);
    default:
      return nastyStringArbitrary();
  }
}
