import { z } from 'zod';
import { createSeededRandom } from '../generation/seeded-random';
import { generateJsonValue, type JsonSchema, SchemaTooComplexError } from './generate-json-value';

const generate = (schema: JsonSchema, seed = 'seed') =>
  generateJsonValue(schema, createSeededRandom(seed));

describe('generateJsonValue', () => {
  const Address = z.object({ street: z.string().min(5).max(12), zip: z.string().length(5) });
  const Person = z.object({
    name: z.string(),
    age: z.number().int().min(18).max(99),
    score: z.number().gt(0).lt(1),
    tags: z.array(z.enum(['a', 'b', 'c'])).min(3),
    role: z.literal('admin'),
    active: z.boolean(),
    nickname: z.string().nullable(),
    home: Address,
    work: Address.optional(),
    contact: z.union([z.object({ email: z.string().email() }), z.object({ phone: z.string() })]),
    when: z.string().datetime(),
  });

  it('generates values that validate against schemas zod emits, $defs and $ref included', () => {
    const schema = z.toJSONSchema(z.object({ owner: Person, members: z.array(Person) }), {
      reused: 'ref',
    }) as JsonSchema;
    expect(JSON.stringify(schema)).toContain('$ref');
    for (let index = 0; index < 50; index += 1) {
      const value = generate(schema, `seed ${index}`);
      expect(z.object({ owner: Person, members: z.array(Person) }).safeParse(value).success).toBe(
        true,
      );
    }
  });

  it("draws numbers of a wide range from near 1, as a model writes them (zod's int bounds are ±2^53)", () => {
    const schema = z.toJSONSchema(
      z.object({
        population: z.number().int(),
        below: z.number().int().max(-5),
        big: z.number().min(1000),
      }),
    ) as JsonSchema;
    for (let index = 0; index < 50; index += 1) {
      const value = generate(schema, `seed ${index}`) as {
        population: number;
        below: number;
        big: number;
      };
      expect(value.population).toBeGreaterThanOrEqual(1);
      expect(value.population).toBeLessThanOrEqual(101);
      expect(value.below).toBeGreaterThanOrEqual(-105);
      expect(value.below).toBeLessThanOrEqual(-5);
      expect(value.big).toBeGreaterThanOrEqual(1000);
      expect(value.big).toBeLessThanOrEqual(1100);
    }
  });

  it('is deterministic for a seed, and varies with it', () => {
    const schema = z.toJSONSchema(Person) as JsonSchema;
    expect(generate(schema)).toEqual(generate(schema));
    const values = new Set(
      Array.from({ length: 10 }, (_, index) => JSON.stringify(generate(schema, `${index}`))),
    );
    expect(values.size).toBeGreaterThan(1);
  });

  it('ends recursive schemas, honours multipleOf, tuples and allOf', () => {
    type Node = { value: number; children: Node[] };
    const NodeSchema: z.ZodType<Node> = z.lazy(() =>
      z.object({ value: z.number().int().multipleOf(5), children: z.array(NodeSchema) }),
    );
    const tree = generate(z.toJSONSchema(NodeSchema) as JsonSchema);
    expect(NodeSchema.safeParse(tree).success).toBe(true);
    expect(
      generate({ type: 'array', prefixItems: [{ type: 'integer' }, { const: 'x' }], items: false }),
    ).toEqual([expect.any(Number), 'x']);
    const merged = generate({
      allOf: [
        { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
        { properties: { b: { type: 'boolean' } }, required: ['b'] },
      ],
    });
    expect(merged).toEqual({ a: expect.any(String), b: expect.any(Boolean) });
  });

  it('refuses a small schema whose value would be exponential instead of stalling', () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const explosive: JsonSchema = {
      type: 'object',
      properties: Object.fromEntries(names.map((name) => [name, { $ref: '#' }])),
      required: names,
    };
    expect(() => generate(explosive)).toThrow(SchemaTooComplexError);
  });

  it('follows the refs zod-to-json-schema emits: definitions and pointers into properties', () => {
    // What zod-to-json-schema (zod 3, the openai SDK's vendored copy) emits for a reused
    // object: the second use points at the first by JSON pointer; named ones at definitions.
    const schema: JsonSchema = {
      type: 'object',
      properties: {
        home: {
          type: 'object',
          properties: { city: { type: 'string' }, zip: { type: 'string' } },
          required: ['city'],
          additionalProperties: false,
        },
        work: { $ref: '#/properties/home' },
        owner: { $ref: '#/definitions/Person' },
      },
      required: ['home', 'work', 'owner'],
      additionalProperties: false,
      definitions: {
        Person: {
          type: 'object',
          properties: { name: { type: 'string' }, age: { type: ['integer', 'null'] } },
          required: ['name', 'age'],
        },
      },
      $schema: 'http://json-schema.org/draft-07/schema#',
    };
    const Address = z.strictObject({ city: z.string(), zip: z.string().optional() });
    const expected = z.strictObject({
      home: Address,
      work: Address,
      owner: z.object({ name: z.string(), age: z.number().int().nullable() }),
    });
    expect(expected.safeParse(generate(schema)).success).toBe(true);
  });
});
