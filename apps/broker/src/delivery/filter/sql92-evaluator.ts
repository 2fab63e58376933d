import { SystemProperty } from '../../store/message-properties';
import { StoredMessage } from '../../store/message-record';
import { Sql92ComparisonOperator, Sql92Node, Sql92TextOperator, Sql92Value } from './sql92-ast';
import { compareJavaDoubles, compareSql92Values, parseJavaDouble } from './sql92-values';

/**
 * Evaluates a parsed SQL92 expression against a message with RocketMQ's three-valued logic
 * (filter/expression/*.java): `null` is unknown, AND is false if any operand is false, OR is true
 * if any is true, NOT of unknown is unknown, and a message matches only when the whole expression
 * is TRUE. Properties are the message's user properties plus `TAGS` (the tag), all strings; a
 * missing property is unknown. Evaluation never throws.
 */
export function evaluateSql92(node: Sql92Node, message: StoredMessage): Sql92Value {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'property':
      return propertyOf(message, node.name);
    case 'boolean-cast': {
      // RocketMQ's BooleanCast: only a Boolean is true; a property value is a string, so false.
      const value = evaluateSql92(node.operand, message);
      return value === null ? null : value === true;
    }
    case 'negate':
      return negate(evaluateSql92(node.operand, message));
    case 'not': {
      const value = evaluateSql92(node.operand, message);
      return value === null ? null : value !== true;
    }
    case 'and':
      return evaluateAnd(node.operands, message);
    case 'or':
      return evaluateOr(node.operands, message);
    case 'comparison':
      return compare(node.operator, evaluateSql92(node.left, message), evaluateSql92(node.right, message));
    case 'is-null':
      return (evaluateSql92(node.operand, message) === null) !== node.negated;
    case 'between':
      return evaluateBetween(node, message);
    case 'in': {
      const value = propertyOf(message, node.property);
      return value === null ? null : node.values.has(value) !== node.negated;
    }
    case 'text':
      return matchText(node.operator, evaluateSql92(node.operand, message), node.search, node.negated);
  }
}

/** Reads a property by own name only, so `constructor` or `__proto__` are ordinary names. */
function propertyOf(message: StoredMessage, name: string): string | null {
  if (name === SystemProperty.Tag) return message.tag ?? null;
  return Object.prototype.hasOwnProperty.call(message.properties, name) ? message.properties[name] : null;
}

function negate(value: Sql92Value): Sql92Value {
  // RocketMQ negates numbers only; `-prop` (a string) is unknown.
  if (typeof value === 'bigint' || typeof value === 'number') return -value;
  return null;
}

function evaluateAnd(operands: readonly Sql92Node[], message: StoredMessage): Sql92Value {
  let unknown = false;
  for (const operand of operands) {
    const value = evaluateSql92(operand, message);
    if (value === false) return false;
    if (value === null) unknown = true;
  }
  return unknown ? null : true;
}

function evaluateOr(operands: readonly Sql92Node[], message: StoredMessage): Sql92Value {
  let unknown = false;
  for (const operand of operands) {
    const value = evaluateSql92(operand, message);
    if (value === true) return true;
    if (value === null) unknown = true;
  }
  return unknown ? null : false;
}

function evaluateBetween(node: Extract<Sql92Node, { kind: 'between' }>, message: StoredMessage): Sql92Value {
  // As RocketMQ builds it: `v >= low AND v <= high`, or `v < low OR v > high` when negated.
  const value = evaluateSql92(node.operand, message);
  const low = evaluateSql92(node.low, message);
  const high = evaluateSql92(node.high, message);
  const first = compare(node.negated ? '<' : '>=', value, low);
  const second = compare(node.negated ? '>' : '<=', value, high);
  if (node.negated) return first === true || second === true ? true : first === null || second === null ? null : false;
  return first === false || second === false ? false : first === null || second === null ? null : true;
}

/**
 * One comparison. Unknown when either side is unknown (RocketMQ answers FALSE for `'a' = prop`
 * with prop missing but unknown for `prop = 'a'`, so `'a' <> prop` matches there; we treat both
 * orders as unknown). `<`, `>`, `<=`, `>=` between two strings (two properties) compare them as
 * doubles, unknown if either is not a number (RocketMQ throws: "It's illegal to compare string").
 */
function compare(operator: Sql92ComparisonOperator, left: Sql92Value, right: Sql92Value): Sql92Value {
  if (left === null || right === null) return null;
  if (operator === '=' || operator === '<>') {
    const comparison = compareSql92Values(left, right);
    if (comparison === 'unknown') return null;
    return (comparison === 0) === (operator === '=');
  }
  let comparison;
  if (typeof left === 'string' && typeof right === 'string') {
    const leftNumber = parseJavaDouble(left);
    const rightNumber = parseJavaDouble(right);
    if (leftNumber === undefined || rightNumber === undefined) return null;
    comparison = compareJavaDoubles(leftNumber, rightNumber);
  } else {
    comparison = compareSql92Values(left, right);
    if (typeof comparison !== 'number') return null;
  }
  switch (operator) {
    case '<':
      return comparison < 0;
    case '>':
      return comparison > 0;
    case '<=':
      return comparison <= 0;
    case '>=':
      return comparison >= 0;
  }
}

/**
 * RocketMQ 5's CONTAINS, STARTSWITH, ENDSWITH and their NOT forms: FALSE (not unknown) for an
 * empty search string, a missing property or a non-string, in both the plain and the NOT form.
 */
function matchText(operator: Sql92TextOperator, value: Sql92Value, search: string, negated: boolean): boolean {
  if (search === '' || typeof value !== 'string') return false;
  const found = operator === 'CONTAINS' ? value.includes(search) : operator === 'STARTSWITH' ? value.startsWith(search) : value.endsWith(search);
  return found !== negated;
}
