/**
 * A value during SQL92 evaluation, mirroring the Java types RocketMQ's filter works with:
 * `string` (every property value, string literals), `bigint` (integer literals: Java Integer and
 * Long, kept exact), `number` (decimal literals: Java Double), `boolean`, and `null` for
 * "unknown" (a missing property, or a comparison that cannot be decided).
 */
export type Sql92Value = string | bigint | number | boolean | null;

export type Sql92ComparisonOperator = '=' | '<>' | '<' | '>' | '<=' | '>=';
export type Sql92TextOperator = 'CONTAINS' | 'STARTSWITH' | 'ENDSWITH';

/** The parsed expression tree. AND and OR are n-ary so long chains do not nest deeply. */
export type Sql92Node =
  | { kind: 'literal'; value: Sql92Value }
  | { kind: 'property'; name: string }
  /** A property used where a condition is expected (`WHERE flag`), RocketMQ's BooleanCast. */
  | { kind: 'boolean-cast'; operand: Sql92Node }
  | { kind: 'negate'; operand: Sql92Node }
  | { kind: 'not'; operand: Sql92Node }
  | { kind: 'and' | 'or'; operands: Sql92Node[] }
  | { kind: 'comparison'; operator: Sql92ComparisonOperator; left: Sql92Node; right: Sql92Node }
  | { kind: 'is-null'; operand: Sql92Node; negated: boolean }
  | { kind: 'between'; operand: Sql92Node; low: Sql92Node; high: Sql92Node; negated: boolean }
  | { kind: 'in'; property: string; values: ReadonlySet<string>; negated: boolean }
  | { kind: 'text'; operator: Sql92TextOperator; operand: Sql92Node; search: string; negated: boolean };
