import { Sql92ComparisonOperator, Sql92Node, Sql92TextOperator } from './sql92-ast';
import { Sql92Keyword, Sql92Operator, Sql92Token, tokenizeSql92 } from './sql92-lexer';
import { Sql92SyntaxError } from './sql92-syntax-error';

/** Parentheses, NOT and unary signs nested deeper than this are refused (bounded recursion). */
export const SQL92_MAX_NESTING_DEPTH = 64;

const RELATIONAL_OPERATORS: ReadonlySet<string> = new Set(['<', '>', '<=', '>=']);
const TEXT_OPERATORS: ReadonlySet<string> = new Set(['CONTAINS', 'STARTSWITH', 'ENDSWITH']);

/**
 * Parses a SQL92 filter expression into a tree, or throws Sql92SyntaxError. The grammar is
 * RocketMQ's SelectorParser.jj (the ActiveMQ selector grammar minus LIKE and arithmetic), from
 * the loosest binding to the tightest:
 *
 *   or         := and ('OR' and)*
 *   and        := condition ('AND' condition)*
 *   condition  := 'NOT' condition | equality
 *   equality   := comparison ('=' comparison | '<>' comparison | 'IS' ['NOT'] 'NULL')*
 *   comparison := unary (('>' | '>=' | '<' | '<=') unary
 *                       | ['NOT'] 'BETWEEN' unary 'AND' unary
 *                       | ['NOT'] 'IN' '(' string (',' string)* ')'
 *                       | ['NOT'] ('CONTAINS' | 'STARTSWITH' | 'ENDSWITH') string)*
 *   unary      := '+' unary | '-' unary | 'NOT' unary | primary
 *   primary    := string | integer | decimal | 'TRUE' | 'FALSE' | 'NULL' | identifier | '(' or ')'
 *
 * One deliberate difference: RocketMQ has NOT only in `unary`, binding tighter than comparisons,
 * so `NOT a = 1` means `(NOT a) = 1` and `NOT a > 1` is an error. Here a NOT that starts a
 * condition negates the whole comparison, as in standard SQL. RocketMQ-legal expressions whose
 * meaning this changes compare a negated property with a value, which never matches a message
 * there (property values are strings, never booleans), so no working filter changes.
 *
 * The operand checks RocketMQ's ComparisonExpression makes while building the tree are made here
 * too, with the same outcome (an illegal expression): `<`, `>`, `<=`, `>=` and BETWEEN take only
 * numeric literals, properties and numeric sub-expressions; `=` and `<>` refuse NULL (use IS
 * NULL); BETWEEN with two literal bounds needs low <= high; IN needs a property on its left; AND,
 * OR, NOT and the whole expression need a condition (a property there is cast, RocketMQ's
 * BooleanCast).
 */
export function parseSql92(text: string): Sql92Node {
  return new Sql92Parser(tokenizeSql92(text)).parseExpression();
}

class Sql92Parser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: Sql92Token[]) {}

  parseExpression(): Sql92Node {
    const root = this.parseOr();
    const next = this.peek();
    if (next.kind !== 'end') throw this.unexpected(next, 'an operator or the end of the expression');
    return this.asCondition(root, this.tokens[0]);
  }

  private parseOr(): Sql92Node {
    return this.parseChain('or', 'OR', () => this.parseAnd());
  }

  private parseAnd(): Sql92Node {
    return this.parseChain('and', 'AND', () => this.parseCondition());
  }

  /** `operand (keyword operand)*` as one n-ary node; every operand must be a condition. */
  private parseChain(kind: 'and' | 'or', keyword: Sql92Keyword, parseOperand: () => Sql92Node): Sql92Node {
    const starts = [this.peek()];
    const operands = [parseOperand()];
    while (this.acceptKeyword(keyword)) {
      starts.push(this.peek());
      operands.push(parseOperand());
    }
    if (operands.length === 1) return operands[0];
    return { kind, operands: operands.map((node, i) => this.asCondition(node, starts[i])) };
  }

  private parseCondition(): Sql92Node {
    const token = this.peek();
    if (!this.acceptKeyword('NOT')) return this.parseEquality();
    return this.nested(token, () => ({ kind: 'not', operand: this.asCondition(this.parseCondition(), token) }));
  }

  private parseEquality(): Sql92Node {
    let left = this.parseComparison();
    for (;;) {
      const token = this.peek();
      if (this.acceptOperator('=') || this.acceptOperator('<>')) {
        const operator = (token as { operator: Sql92ComparisonOperator }).operator;
        const right = this.parseComparison();
        this.checkEqualityOperands(left, right, token);
        left = { kind: 'comparison', operator, left, right };
      } else if (this.acceptKeyword('IS')) {
        const negated = this.acceptKeyword('NOT');
        this.expectKeyword('NULL');
        left = { kind: 'is-null', operand: left, negated };
      } else {
        return left;
      }
    }
  }

  private parseComparison(): Sql92Node {
    let left = this.parseUnary();
    for (;;) {
      const token = this.peek();
      if (token.kind === 'operator' && RELATIONAL_OPERATORS.has(token.operator)) {
        this.index++;
        const right = this.parseUnary();
        this.checkRelationalOperand(left, token);
        this.checkRelationalOperand(right, token);
        left = { kind: 'comparison', operator: token.operator as Sql92ComparisonOperator, left, right };
        continue;
      }
      const negated = this.isNotFollowedBy('BETWEEN', 'IN', ...TEXT_OPERATORS);
      if (negated) this.index++;
      const operator = this.peek();
      if (this.acceptKeyword('BETWEEN')) left = this.finishBetween(left, negated, operator);
      else if (this.acceptKeyword('IN')) left = this.finishIn(left, negated, operator);
      else if (operator.kind === 'keyword' && TEXT_OPERATORS.has(operator.keyword)) {
        this.index++;
        const search = this.expectString();
        left = { kind: 'text', operator: operator.keyword as Sql92TextOperator, operand: left, search, negated };
      } else return left;
    }
  }

  private finishBetween(operand: Sql92Node, negated: boolean, token: Sql92Token): Sql92Node {
    const low = this.parseUnary();
    this.expectKeyword('AND');
    const high = this.parseUnary();
    for (const node of [operand, low, high]) this.checkRelationalOperand(node, token);
    if (!negated && low.kind === 'literal' && high.kind === 'literal' && Number(low.value) > Number(high.value)) {
      throw new Sql92SyntaxError(`BETWEEN needs low <= high, got ${String(low.value)} AND ${String(high.value)}`, token.start);
    }
    return { kind: 'between', operand, low, high, negated };
  }

  private finishIn(operand: Sql92Node, negated: boolean, token: Sql92Token): Sql92Node {
    if (operand.kind !== 'property') throw new Sql92SyntaxError('IN needs a property on its left', token.start);
    this.expectOperator('(');
    const values = new Set([this.expectString()]);
    while (this.acceptOperator(',')) values.add(this.expectString());
    this.expectOperator(')');
    return { kind: 'in', property: operand.name, values, negated };
  }

  private parseUnary(): Sql92Node {
    const token = this.peek();
    if (this.acceptOperator('+')) return this.nested(token, () => this.parseUnary());
    if (this.acceptOperator('-')) return this.nested(token, () => ({ kind: 'negate', operand: this.parseUnary() }));
    if (this.acceptKeyword('NOT')) return this.nested(token, () => ({ kind: 'not', operand: this.asCondition(this.parseUnary(), token) }));
    return this.parsePrimary();
  }

  private parsePrimary(): Sql92Node {
    const token = this.peek();
    this.index++;
    switch (token.kind) {
      case 'string':
      case 'integer':
      case 'decimal':
        return { kind: 'literal', value: token.value };
      case 'identifier':
        return { kind: 'property', name: token.name };
      case 'keyword':
        if (token.keyword === 'TRUE') return { kind: 'literal', value: true };
        if (token.keyword === 'FALSE') return { kind: 'literal', value: false };
        if (token.keyword === 'NULL') return { kind: 'literal', value: null };
        break;
      case 'operator':
        if (token.operator === '(') {
          const inner = this.nested(token, () => this.parseOr());
          this.expectOperator(')');
          return inner;
        }
        break;
    }
    this.index--;
    throw this.unexpected(token, 'a value, a property or (');
  }

  /** Runs one level of nesting, refusing expressions nested deeper than the bound. */
  private nested<T>(token: Sql92Token, parse: () => T): T {
    if (++this.depth > SQL92_MAX_NESTING_DEPTH) {
      throw new Sql92SyntaxError(`expression nested deeper than ${SQL92_MAX_NESTING_DEPTH} levels`, token.start);
    }
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  /** RocketMQ's asBooleanExpression: conditions pass, a property is cast, anything else is refused. */
  private asCondition(node: Sql92Node, token: Sql92Token): Sql92Node {
    if (node.kind === 'property') return { kind: 'boolean-cast', operand: node };
    if (isCondition(node)) return node;
    throw new Sql92SyntaxError('expression does not result in a boolean value', token.start);
  }

  /** RocketMQ's checkLessThanOperand: numbers, properties and numeric expressions only. */
  private checkRelationalOperand(node: Sql92Node, token: Sql92Token): void {
    const numericLiteral = node.kind === 'literal' && (typeof node.value === 'bigint' || typeof node.value === 'number');
    if (numericLiteral) return;
    if (node.kind === 'literal' || isCondition(node)) {
      throw new Sql92SyntaxError(`${describeOperand(node)} cannot be compared with ${describeToken(token)}`, token.start);
    }
  }

  /** RocketMQ's checkEqualOperand and checkEqualOperandCompatability. */
  private checkEqualityOperands(left: Sql92Node, right: Sql92Node, token: Sql92Token): void {
    for (const node of [left, right]) {
      if (node.kind === 'literal' && node.value === null) {
        throw new Sql92SyntaxError(`NULL cannot be compared with ${describeToken(token)}; use IS NULL`, token.start);
      }
    }
    if (left.kind === 'literal' && right.kind === 'literal' && typeof left.value === 'boolean' && typeof right.value !== 'boolean') {
      throw new Sql92SyntaxError(`${describeOperand(left)} cannot be compared with ${describeOperand(right)}`, token.start);
    }
  }

  private peek(): Sql92Token {
    return this.tokens[this.index];
  }

  private isNotFollowedBy(...keywords: string[]): boolean {
    const next = this.tokens[this.index + 1];
    return (
      this.peek().kind === 'keyword' && (this.peek() as { keyword: string }).keyword === 'NOT' && next?.kind === 'keyword' && keywords.includes(next.keyword)
    );
  }

  private acceptKeyword(keyword: Sql92Keyword): boolean {
    const token = this.peek();
    if (token.kind !== 'keyword' || token.keyword !== keyword) return false;
    this.index++;
    return true;
  }

  private acceptOperator(operator: Sql92Operator): boolean {
    const token = this.peek();
    if (token.kind !== 'operator' || token.operator !== operator) return false;
    this.index++;
    return true;
  }

  private expectKeyword(keyword: Sql92Keyword): void {
    if (!this.acceptKeyword(keyword)) throw this.unexpected(this.peek(), keyword);
  }

  private expectOperator(operator: Sql92Operator): void {
    if (!this.acceptOperator(operator)) throw this.unexpected(this.peek(), `'${operator}'`);
  }

  private expectString(): string {
    const token = this.peek();
    if (token.kind !== 'string') throw this.unexpected(token, 'a string literal');
    this.index++;
    return token.value;
  }

  private unexpected(token: Sql92Token, expected: string): Sql92SyntaxError {
    return new Sql92SyntaxError(`expected ${expected} but found ${describeToken(token)}`, token.start);
  }
}

function isCondition(node: Sql92Node): boolean {
  if (node.kind === 'literal') return node.value === null || typeof node.value === 'boolean';
  return node.kind !== 'property' && node.kind !== 'negate';
}

function describeToken(token: Sql92Token): string {
  switch (token.kind) {
    case 'keyword':
      return token.keyword;
    case 'identifier':
      return `property ${token.name}`;
    case 'string':
      return `string '${token.value.replace(/'/g, "''")}'`;
    case 'integer':
    case 'decimal':
      return `number ${String(token.value)}`;
    case 'operator':
      return `'${token.operator}'`;
    case 'end':
      return 'the end of the expression';
  }
}

function describeOperand(node: Sql92Node): string {
  if (node.kind !== 'literal') return 'a condition';
  if (node.value === null) return 'NULL';
  if (typeof node.value === 'string') return `string '${node.value.replace(/'/g, "''")}'`;
  if (typeof node.value === 'boolean') return node.value ? 'TRUE' : 'FALSE';
  return `number ${String(node.value)}`;
}
