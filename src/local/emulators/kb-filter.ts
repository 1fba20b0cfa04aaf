// src/local runs only in development (playground, tests): its imports are devDependencies.
// Metadata filters: Bedrock's RetrievalFilter (Retrieve) and S3 Vectors' filter documents (QueryVectors).

/** A metadata value as stored with a chunk or a vector. */
export type MetadataValue = string | number | boolean | string[];
export type Metadata = Record<string, MetadataValue>;

/** A RetrievalFilter: exactly one member is set (a union; https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent-runtime_RetrievalFilter.html). */
export interface RetrievalFilter {
  equals?: FilterAttribute;
  notEquals?: FilterAttribute;
  greaterThan?: FilterAttribute;
  greaterThanOrEquals?: FilterAttribute;
  lessThan?: FilterAttribute;
  lessThanOrEquals?: FilterAttribute;
  in?: FilterAttribute;
  notIn?: FilterAttribute;
  startsWith?: FilterAttribute;
  listContains?: FilterAttribute;
  stringContains?: FilterAttribute;
  andAll?: RetrievalFilter[];
  orAll?: RetrievalFilter[];
}

/** FilterAttribute: key 1-100 characters, value any JSON (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent-runtime_FilterAttribute.html). */
export interface FilterAttribute { key: string; value: unknown }

const MEMBERS = ['equals', 'notEquals', 'greaterThan', 'greaterThanOrEquals', 'lessThan', 'lessThanOrEquals', 'in', 'notIn',
  'startsWith', 'listContains', 'stringContains', 'andAll', 'orAll'] as const;

/**
 * Checks a RetrievalFilter's shape; returns the ValidationException message, or undefined. andAll and orAll take
 * 2-5 filters (Array Members: Minimum number of 2 items, Maximum number of 5 items, on the RetrievalFilter page);
 * `in`/`notIn` take a list; the S3 Vectors store has no substring operators: `stringContains` and `listContains` are
 * refused for it (its operators are $eq $ne $gt $gte $lt $lte $in $nin $exists $and $or, and $startsWith on ENHANCED
 * indexes: https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-vectors-metadata-filtering.html ;
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-vectors-index-mode.html).
 */
export function retrievalFilterError(f: unknown, store: 'S3_VECTORS' | 'OTHER', depth = 0): string | undefined {
  if (!f || typeof f !== 'object' || Array.isArray(f)) return 'filter must be an object with exactly one operator.';
  const set = MEMBERS.filter((m) => (f as Record<string, unknown>)[m] !== undefined);
  const unknown = Object.keys(f).filter((k) => !(MEMBERS as readonly string[]).includes(k));
  if (unknown.length) return `Unknown filter operator: ${unknown[0]}.`;
  if (set.length !== 1) return 'A RetrievalFilter must set exactly one operator.';
  if (depth > 5) return 'The filter is nested too deeply.';
  const op = set[0];
  const v = (f as Record<string, unknown>)[op];
  if (op === 'andAll' || op === 'orAll') {
    if (!Array.isArray(v) || v.length < 2 || v.length > 5) return `${op} takes between 2 and 5 filters.`;
    for (const sub of v) {
      const e = retrievalFilterError(sub, store, depth + 1);
      if (e) return e;
    }
    return undefined;
  }
  const attr = v as FilterAttribute;
  if (!attr || typeof attr.key !== 'string' || attr.key.length < 1 || attr.key.length > 100) return `${op}.key must be a string of 1 to 100 characters.`;
  if (attr.value === undefined) return `${op}.value is required.`;
  if ((op === 'in' || op === 'notIn') && !Array.isArray(attr.value)) return `${op}.value must be a list.`;
  if (store === 'S3_VECTORS' && (op === 'stringContains' || op === 'listContains')) return `The ${op} operator is not supported by the S3 Vectors vector store.`;
  return undefined;
}

const cmp = (a: unknown, b: unknown): number | undefined => (typeof a === 'number' && typeof b === 'number'
  ? a - b
  : typeof a === 'string' && typeof b === 'string' ? (a < b ? -1 : a > b ? 1 : 0) : undefined);

const order = (a: unknown, b: unknown, test: (c: number) => boolean) => {
  const c = cmp(a, b);
  return c !== undefined && test(c);
};

const same = (a: unknown, b: unknown) => (Array.isArray(a) ? false : a === b);

/** Whether a chunk's metadata matches a (valid) RetrievalFilter. A missing key matches no comparison but notEquals/notIn. */
export function matchesRetrievalFilter(meta: Metadata, f: RetrievalFilter): boolean {
  if (f.andAll) return f.andAll.every((g) => matchesRetrievalFilter(meta, g));
  if (f.orAll) return f.orAll.some((g) => matchesRetrievalFilter(meta, g));
  const [op, attr] = Object.entries(f).find(([, v]) => v !== undefined) as [keyof RetrievalFilter, FilterAttribute];
  const actual = meta[attr.key];
  const has = actual !== undefined;
  switch (op) {
    case 'equals': return has && same(actual, attr.value);
    case 'notEquals': return !has || !same(actual, attr.value);
    case 'greaterThan': return order(actual, attr.value, (c) => c > 0);
    case 'greaterThanOrEquals': return order(actual, attr.value, (c) => c >= 0);
    case 'lessThan': return order(actual, attr.value, (c) => c < 0);
    case 'lessThanOrEquals': return order(actual, attr.value, (c) => c <= 0);
    case 'in': return has && (attr.value as unknown[]).some((x) => same(actual, x));
    case 'notIn': return !has || !(attr.value as unknown[]).some((x) => same(actual, x));
    case 'startsWith': return typeof actual === 'string' && typeof attr.value === 'string' && actual.startsWith(attr.value);
    case 'listContains': return Array.isArray(actual) && actual.includes(attr.value as string);
    case 'stringContains': return typeof attr.value === 'string' && (typeof actual === 'string'
      ? actual.includes(attr.value)
      : Array.isArray(actual) && actual.some((x) => x.includes(attr.value as string)));
    default: return false;
  }
}

/** Translates a RetrievalFilter into the S3 Vectors filter document Bedrock sends to QueryVectors. */
export function toS3VectorsFilter(f: RetrievalFilter): Record<string, unknown> {
  if (f.andAll) return { $and: f.andAll.map(toS3VectorsFilter) };
  if (f.orAll) return { $or: f.orAll.map(toS3VectorsFilter) };
  const [op, attr] = Object.entries(f).find(([, v]) => v !== undefined) as [keyof RetrievalFilter, FilterAttribute];
  const ops: Record<string, string> = {
    equals: '$eq',
    notEquals: '$ne',
    greaterThan: '$gt',
    greaterThanOrEquals: '$gte',
    lessThan: '$lt',
    lessThanOrEquals: '$lte',
    in: '$in',
    notIn: '$nin',
    startsWith: '$startsWith',
  };
  return { [attr.key]: { [ops[op]]: attr.value } };
}

/**
 * Whether metadata matches an S3 Vectors filter document: `{key: value}` (implicit $eq), `{key: {$op: value}}`,
 * `$and`/`$or` lists (https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-vectors-metadata-filtering.html).
 * An array value matches $eq when it contains the operand (the page's "array" semantics). Throws on an unknown
 * operator, which the emulator answers with a ValidationException.
 */
export function matchesS3VectorsFilter(meta: Metadata, f: Record<string, unknown>, enhanced: boolean): boolean {
  return Object.entries(f).every(([k, cond]) => {
    if (k === '$and') return (cond as Array<Record<string, unknown>>).every((g) => matchesS3VectorsFilter(meta, g, enhanced));
    if (k === '$or') return (cond as Array<Record<string, unknown>>).some((g) => matchesS3VectorsFilter(meta, g, enhanced));
    if (k.startsWith('$')) throw new FilterError(`Unknown filter operator: ${k}`);
    const actual = meta[k];
    const conds = cond !== null && typeof cond === 'object' && !Array.isArray(cond) ? Object.entries(cond) : [['$eq', cond] as [string, unknown]];
    return conds.every(([op, v]) => {
      const eq = (x: unknown) => (Array.isArray(actual) ? actual.includes(x as string) : actual === x);
      switch (op) {
        case '$eq': return actual !== undefined && eq(v);
        case '$ne': return actual === undefined || !eq(v);
        case '$gt': return order(actual, v, (c) => c > 0);
        case '$gte': return order(actual, v, (c) => c >= 0);
        case '$lt': return order(actual, v, (c) => c < 0);
        case '$lte': return order(actual, v, (c) => c <= 0);
        case '$in': if (!Array.isArray(v)) throw new FilterError('$in takes an array'); return actual !== undefined && v.some(eq);
        case '$nin': if (!Array.isArray(v)) throw new FilterError('$nin takes an array'); return actual === undefined || !v.some(eq);
        case '$exists': return (actual !== undefined) === Boolean(v);
        case '$startsWith':
          if (!enhanced) throw new FilterError('$startsWith is supported only on indexes in ENHANCED mode');
          return typeof actual === 'string' && typeof v === 'string' && actual.startsWith(v);
        default: throw new FilterError(`Unknown filter operator: ${op}`);
      }
    });
  });
}

/** An invalid filter document. */
export class FilterError extends Error {}
