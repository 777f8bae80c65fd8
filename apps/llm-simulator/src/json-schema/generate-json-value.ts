import { type RandomSource, randomInteger } from '../generation/seeded-random';
import { generatePatternString } from './generate-pattern-string';

/** A JSON value. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** A JSON Schema: an object, or `true`/`false`. */
export type JsonSchema = boolean | { readonly [keyword: string]: unknown };

/** Past this depth of objects and arrays the generator only fills what the schema requires. */
const FULL_DEPTH = 6;
/** Past this depth a recursive schema gets its smallest value (null branch, empty array). */
const MAX_DEPTH = 12;
/**
 * Most values one generation makes. A small schema can ask for an exponential value (objects
 * whose required properties refer back to the root); past this the schema is refused instead
 * of stalling the server.
 */
export const MAX_GENERATED_VALUES = 10_000;
/** Deepest nesting (objects, arrays, `$ref` hops) a value may need; deeper schemas are refused. */
const MAX_NESTING = 100;
/** Longest string a `minLength` may ask for; a longer one would stall the server while it grows. */
export const MAX_STRING_LENGTH = 100_000;

/** Thrown when a schema cannot be filled: too large a value, or not a JSON Schema at all. */
export class UnusableSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnusableSchemaError';
  }
}

/** Thrown when a schema needs more than `MAX_GENERATED_VALUES` values (or too deep, too long a string). */
export class SchemaTooComplexError extends UnusableSchemaError {
  constructor() {
    super(
      `The schema needs more than ${MAX_GENERATED_VALUES} values, ${MAX_NESTING} levels or strings of ${MAX_STRING_LENGTH} characters to fill.`,
    );
    this.name = 'SchemaTooComplexError';
  }
}

/** Thrown when a (sub)schema is neither an object nor a boolean. */
export class InvalidSchemaError extends UnusableSchemaError {
  constructor(found: unknown) {
    super(
      `A JSON Schema must be an object or a boolean, found ${JSON.stringify(found) ?? String(found)}.`,
    );
    this.name = 'InvalidSchemaError';
  }
}

/** The widest range a generated number is drawn from (numbers as readable as a model's). */
const readableSpan = 100;
const WORDS = ['alpha', 'bravo', 'delta', 'river', 'stone', 'maple', 'harbor', 'signal', 'orbit'];

/**
 * A value valid against `schema`, drawn from `random`: the same schema and random source give
 * the same value. Follows the keywords zod-to-json-schema and OpenAI's structured outputs use:
 * `type` (or a list of types), `properties`/`required`, `items`/`prefixItems`, `minItems`/
 * `maxItems`, `enum`, `const`, `anyOf`/`oneOf` (first branch), `allOf` (merged), `$ref` into
 * `$defs`/`definitions`, string `minLength`/`maxLength`/`format`, number bounds and
 * `multipleOf`, and `pattern` in the simple subset `generatePatternString` reads.
 * @throws SchemaTooComplexError when the value would need more than `MAX_GENERATED_VALUES`.
 * @throws InvalidSchemaError when a subschema is neither an object nor a boolean.
 */
export function generateJsonValue(schema: JsonSchema, random: RandomSource): JsonValue {
  return new JsonValueGenerator(schema, random).generate(schema, 0);
}

type SchemaObject = { readonly [keyword: string]: unknown };

class JsonValueGenerator {
  #generated = 0;

  constructor(
    private readonly root: JsonSchema,
    private readonly random: RandomSource,
  ) {}

  generate(schema: JsonSchema, depth: number): JsonValue {
    this.#generated += 1;
    if (this.#generated > MAX_GENERATED_VALUES || depth > MAX_NESTING)
      throw new SchemaTooComplexError();
    if (schema === true) return this.word();
    if (schema === false) return null;
    if (!isSchemaObject(schema)) throw new InvalidSchemaError(schema);
    if (typeof schema.$ref === 'string') return this.generate(this.resolve(schema.$ref), depth + 1);
    if ('const' in schema) return schema.const as JsonValue;
    if (Array.isArray(schema.enum) && schema.enum.length > 0)
      return schema.enum[Math.floor(this.random() * schema.enum.length)] as JsonValue;
    const branches = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
    if (Array.isArray(branches) && branches.length > 0) return this.generateBranch(branches, depth);
    if (Array.isArray(schema.allOf)) return this.generate(mergeAllOf(schema), depth);
    switch (this.typeOf(schema, depth)) {
      case 'object':
        return this.generateObject(schema, depth);
      case 'array':
        return this.generateArray(schema, depth);
      case 'string':
        return this.generateString(schema);
      case 'integer':
        return this.generateNumber(schema, true);
      case 'number':
        return this.generateNumber(schema, false);
      case 'boolean':
        return this.random() < 0.5;
      default:
        return null;
    }
  }

  private generateBranch(branches: JsonSchema[], depth: number): JsonValue {
    // Deep in a recursive schema, a null branch ends the recursion.
    if (depth >= MAX_DEPTH) {
      if (branches.some(isNullSchema)) return null;
    }
    const nonNull = branches.find((branch) => !isNullSchema(branch));
    return this.generate(nonNull ?? branches[0]!, depth);
  }

  private typeOf(schema: SchemaObject, depth: number): string {
    const { type } = schema;
    if (typeof type === 'string') return type;
    if (Array.isArray(type)) {
      if (depth >= MAX_DEPTH && type.includes('null')) return 'null';
      return String(type.find((candidate) => candidate !== 'null') ?? type[0] ?? 'null');
    }
    if (schema.properties !== undefined) return 'object';
    if (schema.items !== undefined || schema.prefixItems !== undefined) return 'array';
    return 'string';
  }

  private generateObject(schema: SchemaObject, depth: number): JsonValue {
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    const value: Record<string, JsonValue> = {};
    for (const [name, propertySchema] of Object.entries(properties)) {
      if (!required.has(name) && depth >= FULL_DEPTH) continue;
      value[name] = this.generate(propertySchema, depth + 1);
    }
    // A required name without a schema of its own (allowed by JSON Schema) still needs a value.
    for (const name of required) if (!(name in value)) value[name] = this.word();
    return value;
  }

  private generateArray(schema: SchemaObject, depth: number): JsonValue {
    const prefix = (
      Array.isArray(schema.prefixItems)
        ? schema.prefixItems
        : Array.isArray(schema.items)
          ? schema.items
          : []
    ) as JsonSchema[];
    const items = (Array.isArray(schema.items) ? schema.additionalItems : schema.items) as
      | JsonSchema
      | undefined;
    const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
    const maxItems =
      typeof schema.maxItems === 'number' ? schema.maxItems : Number.POSITIVE_INFINITY;
    let count = depth >= FULL_DEPTH ? minItems : Math.max(minItems, Math.min(2, maxItems));
    if (prefix.length > 0) count = Math.max(count, Math.min(prefix.length, maxItems));
    if (items === undefined || items === false) count = Math.min(count, prefix.length);
    const value: JsonValue[] = [];
    for (let index = 0; index < count; index += 1)
      value.push(this.generate(prefix[index] ?? items ?? true, depth + 1));
    return value;
  }

  private generateString(schema: SchemaObject): string {
    if (typeof schema.pattern === 'string') {
      const matching = generatePatternString(schema.pattern, this.random);
      if (matching !== undefined) return matching;
    }
    let text = formattedString(schema.format) ?? this.word();
    const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
    if (minLength > MAX_STRING_LENGTH) throw new SchemaTooComplexError();
    const maxLength =
      typeof schema.maxLength === 'number' ? schema.maxLength : Number.POSITIVE_INFINITY;
    while (text.length < minLength) text += ` ${this.word()}`;
    return text.slice(0, Math.max(minLength, Math.min(text.length, maxLength)));
  }

  private generateNumber(schema: SchemaObject, integer: boolean): number {
    const bound = (name: string) =>
      typeof schema[name] === 'number' ? (schema[name] as number) : undefined;
    const exclusiveMinimum = bound('exclusiveMinimum');
    const exclusiveMaximum = bound('exclusiveMaximum');
    let low =
      bound('minimum') ??
      (exclusiveMinimum === undefined ? undefined : exclusiveMinimum + (integer ? 1 : 0.5));
    let high =
      bound('maximum') ??
      (exclusiveMaximum === undefined ? undefined : exclusiveMaximum - (integer ? 1 : 0.5));
    low ??= high === undefined ? 1 : Math.min(1, high - 100);
    high ??= low + 100;
    if (integer) {
      low = Math.ceil(low);
      high = Math.floor(high);
    }
    // A model writes small numbers when the schema allows any: zod's `.int()` bounds an integer
    // only by ±(2^53 − 1), and a random 16-digit number there can pass the Luhn check, so the
    // default output filter would take it for a card number and block the answer.
    // So a wide range gives a number from 1 (or as near 1 as the bounds allow) up to 100 more.
    if (high - low > readableSpan) {
      low = Math.min(Math.max(low, 1), high - readableSpan);
      high = low + readableSpan;
    }
    const multipleOf = bound('multipleOf');
    if (multipleOf !== undefined && multipleOf > 0) {
      const first = Math.ceil(low / multipleOf);
      const last = Math.floor(high / multipleOf);
      return last < first
        ? first * multipleOf
        : randomInteger(this.random, first, last) * multipleOf;
    }
    if (integer || high - low < 1)
      return integer ? randomInteger(this.random, low, Math.max(low, high)) : low;
    // Two decimals keep numbers readable and exact in JSON.
    return Math.round((low + this.random() * (high - low)) * 100) / 100;
  }

  private word(): string {
    return WORDS[Math.floor(this.random() * WORDS.length)]!;
  }

  /** A local `$ref` (`#`, `#/$defs/Name`, `#/definitions/Name`, any JSON pointer into the root). */
  private resolve(reference: string): JsonSchema {
    if (!reference.startsWith('#')) return true;
    let target: unknown = this.root;
    for (const segment of reference
      .slice(1)
      .split('/')
      .filter((part) => part.length > 0)) {
      const key = decodeURIComponent(segment).replaceAll('~1', '/').replaceAll('~0', '~');
      target =
        typeof target === 'object' && target !== null ? (target as SchemaObject)[key] : undefined;
    }
    return typeof target === 'object' || typeof target === 'boolean'
      ? (target as JsonSchema)
      : true;
  }
}

function isSchemaObject(schema: unknown): schema is SchemaObject {
  return typeof schema === 'object' && schema !== null && !Array.isArray(schema);
}

function isNullSchema(schema: unknown): boolean {
  return isSchemaObject(schema) && schema.type === 'null';
}

function mergeAllOf(schema: SchemaObject): SchemaObject {
  const { allOf, ...rest } = schema;
  const merged: Record<string, unknown> = { ...rest };
  for (const part of allOf as unknown[]) {
    if (!isSchemaObject(part)) continue;
    const { properties, required, ...partRest } = part;
    Object.assign(merged, partRest);
    merged.properties = { ...(merged.properties as object), ...(properties as object) };
    merged.required = [
      ...((merged.required as string[] | undefined) ?? []),
      ...((required as string[] | undefined) ?? []),
    ];
  }
  return merged;
}

function formattedString(format: unknown): string | undefined {
  switch (format) {
    case 'date-time':
      return '2025-01-01T12:00:00Z';
    case 'date':
      return '2025-01-01';
    case 'time':
      return '12:00:00';
    case 'email':
      return 'someone@example.com';
    case 'uri':
    case 'url':
      return 'https://example.com/';
    case 'uuid':
      return '00000000-0000-4000-8000-000000000000';
    case 'ipv4':
      return '192.0.2.1';
    default:
      return undefined;
  }
}
