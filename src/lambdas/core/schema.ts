/**
 * A small JSON Schema subset. One schema per route and action: it validates input at the edge, is the source of the
 * error message, and (being plain JSON Schema) of the generated API description.
 */
export type SchemaType = 'object' | 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'null';

export interface Schema {
  /** One type, or a list of allowed types (e.g. `['string', 'null']`). */
  readonly type?: SchemaType | readonly SchemaType[];
  readonly description?: string;
  /** Documentation only (e.g. `date-time`); not checked. */
  readonly format?: string;
  readonly properties?: Record<string, Schema>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly items?: Schema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly enum?: readonly (string | number)[];
  readonly const?: string | number | boolean;
  readonly minimum?: number;
  readonly maximum?: number;
  /** When the value is valid against `if`, it must also be valid against `then` (JSON Schema 2020-12). */
  readonly if?: Schema;
  readonly then?: Schema;
}

/** Returns the first problem found, as a sentence naming the field, or undefined when the value is valid. */
export function validate(schema: Schema, value: unknown, path = ''): string | undefined {
  const where = path || 'the message';
  if (schema.const !== undefined && value !== schema.const) return `${where} must be ${JSON.stringify(schema.const)}`;
  if (schema.enum && !schema.enum.includes(value as string | number)) {
    return `${where} must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`;
  }
  if (schema.if && schema.then && validate(schema.if, value, path) === undefined) {
    const problem = validate(schema.then, value, path);
    if (problem) return problem;
  }
  if (Array.isArray(schema.type)) {
    const types = schema.type as readonly SchemaType[];
    const fits = types.find((type) => isType(type, value));
    if (!fits) return `${where} must be ${types.map(typeName).join(' or ')}`;
    return validate({ ...schema, type: fits, if: undefined }, value, path);
  }
  switch (schema.type as SchemaType | undefined) {
    case 'null':
      return value === null ? undefined : `${where} must be null`;
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${where} must be an object`;
      const obj = value as Record<string, unknown>;
      for (const key of schema.required ?? []) {
        if (!Object.hasOwn(obj, key) || obj[key] === undefined) return `${join(path, key)} is required`;
      }
      for (const [key, v] of Object.entries(obj)) {
        // Own properties only: `constructor` or `toString` in a body must not find Object.prototype's members.
        const sub = schema.properties && Object.hasOwn(schema.properties, key) ? schema.properties[key] : undefined;
        if (!sub) {
          if (schema.additionalProperties === false) return `${join(path, key)} is not allowed`;
          continue;
        }
        if (v === undefined) continue;
        const problem = validate(sub, v, join(path, key));
        if (problem) return problem;
      }
      return undefined;
    }
    case 'array': {
      if (!Array.isArray(value)) return `${where} must be a list`;
      if (schema.minItems !== undefined && value.length < schema.minItems) return `${where} must have at least ${schema.minItems} item(s)`;
      if (schema.maxItems !== undefined && value.length > schema.maxItems) return `${where} must have at most ${schema.maxItems} items`;
      if (schema.items) {
        for (let i = 0; i < value.length; i++) {
          const problem = validate(schema.items, value[i], `${path}[${i}]`);
          if (problem) return problem;
        }
      }
      return undefined;
    }
    case 'string': {
      if (typeof value !== 'string') return `${where} must be a string`;
      if (schema.minLength !== undefined && value.length < schema.minLength) {
        return schema.minLength === 1 ? `${where} must not be empty` : `${where} must have at least ${schema.minLength} characters`;
      }
      if (schema.maxLength !== undefined && value.length > schema.maxLength) return `${where} must have at most ${schema.maxLength} characters`;
      if (schema.pattern && !new RegExp(schema.pattern).test(value)) return `${where} has an invalid format`;
      return undefined;
    }
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${where} must be a number`;
      if (schema.type === 'integer' && !Number.isInteger(value)) return `${where} must be a whole number`;
      if (schema.minimum !== undefined && value < schema.minimum) return `${where} must be at least ${schema.minimum}`;
      if (schema.maximum !== undefined && value > schema.maximum) return `${where} must be at most ${schema.maximum}`;
      return undefined;
    }
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${where} must be true or false`;
    default:
      return undefined;
  }
}

function isType(type: SchemaType, value: unknown): boolean {
  switch (type) {
    case 'null': return value === null;
    case 'object': return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array': return Array.isArray(value);
    case 'integer': return typeof value === 'number' && Number.isInteger(value);
    default: return typeof value === type;
  }
}

function typeName(type: SchemaType): string {
  return { null: 'null', object: 'an object', array: 'a list', integer: 'a whole number', number: 'a number', string: 'a string', boolean: 'true or false' }[type];
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
