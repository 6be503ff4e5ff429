// Label selectors: the `?labelSelector=` string syntax and the structured
// matchLabels/matchExpressions form, with upstream's grammar, validation,
// matching and string rendering.
//
// String grammar (comma = AND, whitespace between tokens ignored):
//   requirement := [!] KEY [ ("="|"=="|"!=") VALUE | ("in"|"notin") "(" VALUES ")" | (">"|"<") INTEGER ]
// A bare KEY means "exists", `!KEY` "does not exist".

import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { ApiError } from '../../base/errors.ts';
import { aggregate, invalidValue, isQualifiedName, isValidLabelValue } from './validation.ts';

export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** Sorted for in/notin; one value for =, ==, !=, gt, lt; empty for exists and !. */
  readonly values: readonly string[];
}

export type Labels = Record<string, string> | undefined | null;

export interface LabelMatcher {
  matches(labels: Labels): boolean;
  /** True when the selector places no restriction (matches everything). */
  empty: boolean;
  /** Canonical form: requirements sorted by key, in/notin values sorted. `''` for empty and nothing selectors. */
  toString(): string;
  /** The parsed requirements (AND-ed); empty for both "everything" and "nothing". */
  readonly requirements: readonly LabelRequirement[];
  /** The value a selector pins `key` to (`k=v`, `k==v`, `k in (v)`), if it does. */
  requiresExactMatch(key: string): string | undefined;
}

const BINARY_OPERATORS = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];

// ---------------------------------------------------------------------------
// Requirements

/**
 * Builds a requirement, validating key, operator and values as upstream's
 * NewRequirement does. `path` prefixes field paths in messages (null = none).
 * Returns the error messages instead of throwing, so callers pick the wrapping.
 */
function newRequirement(key: string, operator: LabelOperator, values: string[], path: string | null): { req: LabelRequirement; errs: string[] } {
  const errs: string[] = [];
  const child = (name: string): string => (path ? `${path}.${name}` : name);
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length) errs.push(invalidValue(child('key'), key, keyErrs.join('; ')));
  const valuesPath = child('values');
  switch (operator) {
    case 'in': case 'notin':
      if (values.length === 0) errs.push(invalidValue(valuesPath, values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=': case '==': case '!=':
      if (values.length !== 1) errs.push(invalidValue(valuesPath, values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists': case '!':
      if (values.length !== 0) errs.push(invalidValue(valuesPath, values, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt': case 'lt':
      if (values.length !== 1) errs.push(invalidValue(valuesPath, values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) errs.push(invalidValue(`${valuesPath}[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  values.forEach((v, i) => {
    const vErrs = isValidLabelValue(v);
    if (vErrs.length) errs.push(invalidValue(`${valuesPath}[${i}][${key}]`, v, vErrs.join('; ')));
  });
  return { req: { key, operator, values }, errs };
}

/** Go's strconv.ParseInt(v, 10, 64), as a bigint. */
function parseInt64(v: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(v)) return undefined;
  const n = BigInt(v);
  return n > 9223372036854775807n || n < -9223372036854775808n ? undefined : n;
}

function requirementMatches(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  switch (r.operator) {
    case 'in': case '=': case '==':
      return has && r.values.includes(labels[r.key]);
    case 'notin': case '!=':
      return !has || !r.values.includes(labels[r.key]);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt': case 'lt': {
      if (!has || r.values.length !== 1) return false;
      const have = parseInt64(labels[r.key]);
      const want = parseInt64(r.values[0]);
      if (have === undefined || want === undefined) return false;
      return r.operator === 'gt' ? have > want : have < want;
    }
  }
}

function requirementString(r: LabelRequirement): string {
  const vals = r.values.length === 1 ? r.values[0] : [...r.values].sort().join(',');
  switch (r.operator) {
    case 'exists': return r.key;
    case '!': return `!${r.key}`;
    case 'in': return `${r.key} in (${vals})`;
    case 'notin': return `${r.key} notin (${vals})`;
    case 'gt': return `${r.key}>${vals}`;
    case 'lt': return `${r.key}<${vals}`;
    default: return `${r.key}${r.operator}${vals}`;
  }
}

function sortByKey(reqs: LabelRequirement[]): LabelRequirement[] {
  // Stable, so requirements on the same key keep their written order.
  return reqs.map((r, i) => ({ r, i })).sort((a, b) => (a.r.key < b.r.key ? -1 : a.r.key > b.r.key ? 1 : a.i - b.i)).map((x) => x.r);
}

function selectorOf(reqs: LabelRequirement[]): LabelMatcher {
  const sorted = sortByKey(reqs);
  return {
    requirements: sorted,
    empty: sorted.length === 0,
    matches: (labels) => {
      const ls = labels ?? {};
      return sorted.every((r) => requirementMatches(r, ls));
    },
    toString: () => sorted.map(requirementString).join(','),
    requiresExactMatch: (key) => {
      const r = sorted.find((x) => x.key === key);
      if (!r || !['=', '==', 'in'].includes(r.operator) || r.values.length !== 1) return undefined;
      return r.values[0];
    },
  };
}

/** Matches every set of labels. */
export const EVERYTHING: LabelMatcher = selectorOf([]);

/** Matches nothing: what a missing (null) structured selector means. */
export const NOTHING: LabelMatcher = {
  requirements: [], empty: false, matches: () => false, toString: () => '', requiresExactMatch: () => undefined,
};

// ---------------------------------------------------------------------------
// The string syntax

const enum Tok { Error, End, ClosePar, Comma, DoesNotExist, DoubleEquals, Equals, Gt, Identifier, In, Lt, NotEquals, NotIn, OpenPar }

const LITERALS: Record<string, Tok> = {
  ')': Tok.ClosePar, ',': Tok.Comma, '!': Tok.DoesNotExist, '==': Tok.DoubleEquals, '=': Tok.Equals,
  '>': Tok.Gt, 'in': Tok.In, '<': Tok.Lt, '!=': Tok.NotEquals, 'notin': Tok.NotIn, '(': Tok.OpenPar,
};

interface Item { tok: Tok; lit: string }

const isWhitespace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const isSpecial = (ch: string): boolean => '=!(),><'.includes(ch) && ch !== '';

function lex(s: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  // A NUL ends the input, as in upstream's byte lexer.
  const read = (): string => (pos < s.length ? s[pos++] : (pos++, '\0'));
  const unread = (): void => { pos--; };
  for (;;) {
    let ch = read();
    while (isWhitespace(ch)) ch = read();
    if (ch === '\0') { items.push({ tok: Tok.End, lit: '' }); return items; }
    unread();
    if (isSpecial(ch)) {
      // Longest run of special characters that still forms an operator.
      let buf = '';
      let last: Item | undefined;
      for (;;) {
        const c = read();
        if (c === '\0') { unread(); break; }
        if (!isSpecial(c)) { unread(); break; }
        buf += c;
        const t = LITERALS[buf];
        if (t !== undefined) last = { tok: t, lit: buf };
        else if (last) { unread(); break; }
      }
      items.push(last ?? { tok: Tok.Error, lit: `error expected: keyword found '${buf}'` });
    } else {
      let buf = '';
      for (;;) {
        const c = read();
        if (c === '\0') { unread(); break; }
        if (isSpecial(c) || isWhitespace(c)) { unread(); break; }
        buf += c;
      }
      const t = LITERALS[buf];
      items.push({ tok: t ?? Tok.Identifier, lit: buf });
    }
  }
}

class ParseError extends Error {}

class Parser {
  private pos = 0;
  constructor(private readonly items: Item[]) {}

  /** In a values context the keywords `in`/`notin` are ordinary identifiers. */
  private peek(values: boolean): Item {
    const it = this.items[Math.min(this.pos, this.items.length - 1)];
    return values && (it.tok === Tok.In || it.tok === Tok.NotIn) ? { tok: Tok.Identifier, lit: it.lit } : it;
  }
  private next(values: boolean): Item {
    const it = this.peek(values);
    this.pos++;
    return it;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.peek(true);
      if (tok === Tok.Identifier || tok === Tok.DoesNotExist) {
        try {
          reqs.push(this.requirement());
        } catch (e) {
          if (e instanceof ParseError) throw new ParseError(`unable to parse requirement: ${e.message}`);
          throw e;
        }
        const t = this.next(true);
        if (t.tok === Tok.End) return reqs;
        if (t.tok !== Tok.Comma) throw new ParseError(`found '${t.lit}', expected: ',' or 'end of string'`);
        const t2 = this.peek(true);
        if (t2.tok !== Tok.Identifier && t2.tok !== Tok.DoesNotExist) throw new ParseError(`found '${t2.lit}', expected: identifier after ','`);
      } else if (tok === Tok.End) {
        return reqs;
      } else {
        throw new ParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private requirement(): LabelRequirement {
    let operator: LabelOperator | undefined;
    let t = this.next(true);
    if (t.tok === Tok.DoesNotExist) { operator = '!'; t = this.next(true); }
    if (t.tok !== Tok.Identifier) throw new ParseError(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) throw new ParseError(invalidValue(null, key, keyErrs.join('; ')));
    const after = this.peek(true).tok;
    if (after === Tok.End || after === Tok.Comma) operator ??= 'exists';
    if (operator === 'exists' || operator === '!') return this.build(key, operator, []);

    const opTok = this.next(false);
    const op = ({ [Tok.In]: 'in', [Tok.Equals]: '=', [Tok.DoubleEquals]: '==', [Tok.Gt]: 'gt', [Tok.Lt]: 'lt',
      [Tok.NotIn]: 'notin', [Tok.NotEquals]: '!=' } as Partial<Record<Tok, LabelOperator>>)[opTok.tok];
    if (!op) throw new ParseError(`found '${opTok.lit}', expected: ${BINARY_OPERATORS.join(', ')}`);
    const values = op === 'in' || op === 'notin' ? this.valueSet() : this.exactValue();
    return this.build(key, op, [...new Set(values)].sort());
  }

  private build(key: string, op: LabelOperator, values: string[]): LabelRequirement {
    const { req, errs } = newRequirement(key, op, values, null);
    if (errs.length) throw new ParseError(aggregate(errs));
    return req;
  }

  private valueSet(): string[] {
    const open = this.next(true);
    if (open.tok !== Tok.OpenPar) throw new ParseError(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.peek(true);
    if (tok === Tok.ClosePar) { this.next(true); return ['']; }
    if (tok !== Tok.Identifier && tok !== Tok.Comma) throw new ParseError(`found '${lit}', expected: ',', ')' or identifier`);
    const vals = this.identifierList();
    if (this.next(true).tok !== Tok.ClosePar) throw new ParseError(`found '${lit}', expected: ')'`);
    return vals;
  }

  /** `a,b`, with empty entries allowed: `(,a)`, `(a,)`, `(a,,b)` all contain "". */
  private identifierList(): string[] {
    const s = new Set<string>();
    for (;;) {
      const t = this.next(true);
      if (t.tok === Tok.Identifier) {
        s.add(t.lit);
        const t2 = this.peek(true);
        if (t2.tok === Tok.Comma) continue;
        if (t2.tok === Tok.ClosePar) return [...s];
        throw new ParseError(`found '${t2.lit}', expected: ',' or ')'`);
      } else if (t.tok === Tok.Comma) {
        if (s.size === 0) s.add('');
        const t2 = this.peek(true).tok;
        if (t2 === Tok.ClosePar) { s.add(''); return [...s]; }
        if (t2 === Tok.Comma) s.add('');
      } else {
        throw new ParseError(`found '${t.lit}', expected: ',', or identifier`);
      }
    }
  }

  private exactValue(): string[] {
    const la = this.peek(true).tok;
    if (la === Tok.End || la === Tok.Comma) return [''];
    const t = this.next(true);
    if (t.tok === Tok.Identifier) return [t.lit];
    throw new ParseError(`found '${t.lit}', expected: identifier`);
  }
}

/**
 * Parses a `?labelSelector=` string. The empty string selects everything.
 * Throws ApiError 400 (BadRequest) whose message is upstream's parser error,
 * e.g. `unable to parse requirement: <nil>: Invalid value: "a:b": name part must …`.
 */
export function parseLabelSelector(s: string): LabelMatcher {
  try {
    return selectorOf(new Parser(lex(s)).parse());
  } catch (e) {
    if (e instanceof ParseError) throw ApiError.badRequest(e.message);
    throw e;
  }
}

// ---------------------------------------------------------------------------
// The structured form

const EXPRESSION_OPERATORS: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * A matcher for a structured selector (e.g. a Deployment's spec.selector).
 * `{}` (no matchLabels, no matchExpressions) matches everything; `null` or
 * `undefined` matches nothing — as upstream treats a missing selector.
 * Throws ApiError 400 for an unknown operator or invalid keys/values (objects
 * that passed validation never do).
 */
export function labelSelectorMatcher(sel: LabelSelector | null | undefined): LabelMatcher {
  if (sel == null) return NOTHING;
  const matchLabels = sel.matchLabels ?? {};
  const exprs = sel.matchExpressions ?? [];
  if (Object.keys(matchLabels).length + exprs.length === 0) return EVERYTHING;
  const reqs: LabelRequirement[] = [];
  const fail = (errs: string[]): never => { throw ApiError.badRequest(aggregate(errs)); };
  for (const key of Object.keys(matchLabels).sort()) {
    const { req, errs } = newRequirement(key, '=', [matchLabels[key]], null);
    if (errs.length) fail(errs);
    reqs.push(req);
  }
  for (const expr of exprs) {
    const op = EXPRESSION_OPERATORS[expr.operator];
    if (!op) throw ApiError.badRequest(`${JSON.stringify(expr.operator)} is not a valid label selector operator`);
    const { req, errs } = newRequirement(expr.key, op, [...(expr.values ?? [])], null);
    if (errs.length) fail(errs);
    reqs.push({ ...req, values: [...req.values].sort() });
  }
  return selectorOf(reqs);
}

/**
 * A structured selector as a selector string, the way kubectl and the scale
 * subresource's status.selector show it: `app=web,tier in (a,b)`. Empty or
 * null selectors give `''`. Throws like labelSelectorMatcher on invalid input.
 */
export function selectorToString(sel: LabelSelector | null | undefined): string {
  return labelSelectorMatcher(sel).toString();
}

/** A plain label map as `k1=v1,k2=v2` (keys sorted), `<none>` when empty. */
export function formatLabels(labels: Record<string, string> | null | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${labels![k]}`).join(',');
}

/** A plain label map (Service/ReplicationController selector) as an equality selector. */
export function selectorFromSet(labels: Record<string, string> | null | undefined): LabelMatcher {
  const keys = Object.keys(labels ?? {});
  return selectorOf(keys.map((k) => ({ key: k, operator: '=' as const, values: [labels![k]] })));
}
