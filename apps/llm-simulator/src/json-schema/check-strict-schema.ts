import type { JsonSchema } from './generate-json-value';

/**
 * Keywords OpenAI's strict mode refuses ("'<keyword>' is not permitted"). The others zod and
 * OpenAI's own helpers emit (`type`, `properties`, `required`, `additionalProperties`, `items`,
 * `enum`, `const`, `anyOf`, `$ref`, `$defs`, `definitions`, `description`, `title`, string
 * `pattern` / `format`, number bounds and `multipleOf`, `minItems` / `maxItems`) pass.
 */
const UNSUPPORTED_KEYWORDS = new Set([
  'allOf',
  'oneOf',
  'not',
  'if',
  'then',
  'else',
  'dependentRequired',
  'dependentSchemas',
  'minLength',
  'maxLength',
  'patternProperties',
  'unevaluatedProperties',
  'propertyNames',
  'minProperties',
  'maxProperties',
  'unevaluatedItems',
  'contains',
  'minContains',
  'maxContains',
  'uniqueItems',
]);

type SchemaObject = { readonly [keyword: string]: unknown };
type Context = ReadonlyArray<string | number>;

/**
 * Checks a schema against OpenAI's strict structured-output rules: the root is an object,
 * every object has `additionalProperties: false` and lists every property in `required`, and
 * no unsupported keyword is used. Returns OpenAI's description of the first violation (after
 * "Invalid schema for …: "), or `undefined` when the schema is fine. Walks each subschema
 * once (`$ref` is not followed; its target is walked under `$defs` / `definitions`).
 */
export function strictSchemaViolation(schema: JsonSchema): string | undefined {
  if (!isSchemaObject(schema) || schema.type !== 'object') {
    const type = isSchemaObject(schema) ? JSON.stringify(schema.type ?? null) : 'null';
    return `schema must be a JSON Schema of 'type: "object"', got 'type: ${type}'.`;
  }
  return violationIn(schema, []);
}

function violationIn(schema: unknown, context: Context): string | undefined {
  if (!isSchemaObject(schema)) return undefined;
  const at = (problem: string) => `In context=${pythonTuple(context)}, ${problem}`;
  for (const keyword of Object.keys(schema))
    if (UNSUPPORTED_KEYWORDS.has(keyword)) return at(`'${keyword}' is not permitted.`);
  if (isObjectSchema(schema)) {
    if (schema.additionalProperties !== false)
      return at("'additionalProperties' is required to be supplied and to be false.");
    const required = new Set(Array.isArray(schema.required) ? schema.required : []);
    const missing = Object.keys(propertiesOf(schema)).find((name) => !required.has(name));
    if (!Array.isArray(schema.required) || missing !== undefined)
      return at(
        `'required' is required to be supplied and to be an array including every key in properties.${missing === undefined ? '' : ` Missing '${missing}'.`}`,
      );
  }
  for (const [child, childContext] of subschemas(schema, context)) {
    const violation = violationIn(child, childContext);
    if (violation !== undefined) return violation;
  }
  return undefined;
}

function* subschemas(schema: SchemaObject, context: Context): Generator<[unknown, Context]> {
  for (const [name, child] of Object.entries(propertiesOf(schema)))
    yield [child, [...context, 'properties', name]];
  if (isSchemaObject(schema.items)) yield [schema.items, [...context, 'items']];
  if (Array.isArray(schema.anyOf))
    for (const [index, child] of schema.anyOf.entries())
      yield [child, [...context, 'anyOf', index]];
  for (const keyword of ['$defs', 'definitions'])
    for (const [name, child] of Object.entries(recordOf(schema[keyword])))
      yield [child, [...context, keyword, name]];
}

function isObjectSchema(schema: SchemaObject): boolean {
  const { type } = schema;
  return type === 'object' || (Array.isArray(type) && type.includes('object'));
}

function propertiesOf(schema: SchemaObject): Record<string, unknown> {
  return recordOf(schema.properties);
}

function recordOf(value: unknown): Record<string, unknown> {
  return isSchemaObject(value) ? (value as Record<string, unknown>) : {};
}

function isSchemaObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The context as OpenAI prints it: a Python tuple, e.g. `()`, `('items',)`, `('anyOf', 0)`. */
function pythonTuple(context: Context): string {
  const items = context.map((item) => (typeof item === 'number' ? String(item) : `'${item}'`));
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}
