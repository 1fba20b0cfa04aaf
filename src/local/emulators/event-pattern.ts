/**
 * EventBridge event patterns, as the local pipe applies its `FilterCriteria` (Pipes filter the way event buses and
 * Lambda event source mappings do: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-event-filtering.html).
 * No maintained implementation of the syntax is served by the npm registry here (the one found, eb-patterns, is not),
 * so this one follows the documented rules and is checked against the documented examples
 * (test/local/event-pattern.test.ts), from https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * and https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html:
 * - a pattern is an object; a key whose value is an object descends into the event's field of that name, a key whose
 *   value is an array lists the values the field may take (any one matches); every key must match;
 * - matching is exact and case sensitive; a number matches numerically; `null` matches a null value;
 * - where the event's field is an array, the pattern matches when any of its elements does;
 * - operators: `prefix`, `suffix`, `equals-ignore-case`, `anything-but` (a value, a list, or a `prefix` / `suffix` /
 *   `equals-ignore-case`), `numeric` (`=`, `<`, `<=`, `>`, `>=`, one or two comparisons), `exists` (true / false),
 *   `wildcard` (`*` for any run of characters, `\*` for a star), and `$or` (a list of patterns, any one matches);
 * - only `exists: false` matches a field the event lacks; `anything-but` needs the field.
 */
export type EventPattern = { readonly [key: string]: unknown };

export class EventPatternError extends Error {}

export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  if (!isObject(pattern)) throw new EventPatternError('an event pattern is a JSON object');
  return matchObject(pattern, event);
}

/** Parses a filter's `Pattern` string (at most 4096 characters: https://docs.aws.amazon.com/eventbridge/latest/pipes-reference/API_Filter.html). */
export function parsePattern(text: string): EventPattern {
  if (text.length > 4096) throw new EventPatternError('a filter pattern has at most 4096 characters');
  const parsed = JSON.parse(text) as unknown;
  if (!isObject(parsed)) throw new EventPatternError('an event pattern is a JSON object');
  return parsed;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function matchObject(pattern: Record<string, unknown>, event: unknown): boolean {
  for (const [key, rule] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(rule) || rule.length === 0) throw new EventPatternError('$or takes a list of patterns');
      if (!rule.some((p) => isObject(p) && matchObject(p, event))) return false;
      continue;
    }
    const values = fieldValues(event, key);
    if (Array.isArray(rule)) {
      if (!matchLeaf(rule, values)) return false;
    } else if (isObject(rule)) {
      const nested = values.filter((v) => isObject(v));
      if (nested.length === 0) {
        // Only a nested `exists: false` can match a missing object.
        if (!matchObject(rule, undefined)) return false;
      } else if (!nested.some((v) => matchObject(rule, v))) {
        return false;
      }
    } else {
      throw new EventPatternError(`the value of ${key} must be an array of values or an object`);
    }
  }
  return true;
}

/** The field's values: none when missing, the elements of an array (arrays match when any element does). */
function fieldValues(event: unknown, key: string): unknown[] {
  if (!isObject(event) || !(key in event)) return [];
  const v = event[key];
  return Array.isArray(v) ? v.flat(Infinity) : [v];
}

function matchLeaf(rules: unknown[], values: unknown[]): boolean {
  if (rules.length === 0) throw new EventPatternError('an empty array matches nothing; give at least one value');
  return rules.some((rule) => {
    if (isObject(rule)) {
      if ('exists' in rule) {
        if (typeof rule.exists !== 'boolean') throw new EventPatternError('exists takes true or false');
        return rule.exists ? values.length > 0 : values.length === 0;
      }
      return values.some((v) => matchOperator(rule, v));
    }
    return values.some((v) => equalsLiteral(rule, v));
  });
}

function equalsLiteral(rule: unknown, value: unknown): boolean {
  if (typeof rule === 'number' && typeof value === 'number') return rule === value;
  return rule === value;
}

function matchOperator(rule: Record<string, unknown>, value: unknown): boolean {
  const keys = Object.keys(rule);
  if (keys.length !== 1) throw new EventPatternError(`an operator object has one key: ${JSON.stringify(rule)}`);
  const [op] = keys;
  const arg = rule[op];
  switch (op) {
    case 'prefix':
      if (isObject(arg) && typeof arg['equals-ignore-case'] === 'string') {
        return typeof value === 'string' && value.toLowerCase().startsWith(arg['equals-ignore-case'].toLowerCase());
      }
      return typeof value === 'string' && typeof arg === 'string' && value.startsWith(arg);
    case 'suffix':
      if (isObject(arg) && typeof arg['equals-ignore-case'] === 'string') {
        return typeof value === 'string' && value.toLowerCase().endsWith(arg['equals-ignore-case'].toLowerCase());
      }
      return typeof value === 'string' && typeof arg === 'string' && value.endsWith(arg);
    case 'equals-ignore-case':
      return typeof value === 'string' && typeof arg === 'string' && value.toLowerCase() === arg.toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && typeof arg === 'string' && wildcard(arg).test(value);
    case 'numeric':
      return typeof value === 'number' && numeric(arg, value);
    case 'anything-but': {
      if (value === undefined) return false;
      if (Array.isArray(arg)) return !arg.some((a) => equalsLiteral(a, value));
      if (isObject(arg)) return !matchOperator(arg, value);
      return !equalsLiteral(arg, value);
    }
    default:
      throw new EventPatternError(`operator ${op} is not supported by the local pipe`);
  }
}

function wildcard(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && pattern[i + 1] === '*') {
      source += '\\*';
      i++;
    } else if (c === '*') {
      source += '.*';
    } else {
      source += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 's');
}

function numeric(arg: unknown, value: number): boolean {
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) throw new EventPatternError('numeric takes one or two comparisons');
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const n = arg[i + 1];
    if (typeof n !== 'number') throw new EventPatternError('numeric compares with a number');
    const ok = op === '=' ? value === n : op === '<' ? value < n : op === '<=' ? value <= n : op === '>' ? value > n : op === '>=' ? value >= n : undefined;
    if (ok === undefined) throw new EventPatternError(`numeric operator ${String(op)} is not one of =, <, <=, >, >=`);
    if (!ok) return false;
  }
  return true;
}
