import { z } from 'zod';
import { cacheControlSchema } from './content-part';

/** A JSON Schema object (draft 2020-12 as the providers accept it); checked only for shape. */
export const jsonSchemaObjectSchema = z.record(z.string(), z.unknown());
export type JsonSchemaObject = z.infer<typeof jsonSchemaObjectSchema>;

/** A function the model may call. */
export const toolDefinitionSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,128}$/, 'tool name: 1–128 letters, digits, "_" or "-"'),
    description: z.string().max(10_000).optional(),
    /** JSON Schema of the arguments object. */
    parameters: jsonSchemaObjectSchema,
    /** Ask the provider to enforce the schema exactly (OpenAI `strict`, Anthropic `strict`). */
    strict: z.boolean().optional(),
    cacheControl: cacheControlSchema.optional(),
  })
  .strict();
export type ToolDefinition = z.infer<typeof toolDefinitionSchema>;

/** Whether and which tool the model must call. */
export const toolChoiceSchema = z.union([
  z.literal('auto'),
  z.literal('none'),
  z.literal('required'),
  z.object({ type: z.literal('tool'), toolName: z.string().min(1) }).strict(),
]);
export type ToolChoice = z.infer<typeof toolChoiceSchema>;

/** The shape the answer must take. */
export const responseFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }).strict(),
  z.object({ type: z.literal('json_object') }).strict(),
  z
    .object({
      type: z.literal('json_schema'),
      name: z
        .string()
        .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'schema name: 1–64 letters, digits, "_" or "-"'),
      description: z.string().optional(),
      schema: jsonSchemaObjectSchema,
      strict: z.boolean().optional(),
    })
    .strict(),
]);
export type ResponseFormat = z.infer<typeof responseFormatSchema>;

/**
 * How hard the model thinks. OpenAI takes an effort, Anthropic a token budget; each adapter
 * translates whichever is given (see `reasoningBudgetFor` / `reasoningEffortFor`).
 */
export const reasoningOptionsSchema = z
  .object({
    effort: z.enum(['minimal', 'low', 'medium', 'high']).optional(),
    /** Anthropic `thinking.budget_tokens` (at least 1024, below `maxTokens`). */
    budgetTokens: z.number().int().min(1024).max(1_000_000).optional(),
    /**
     * Anthropic adaptive thinking (`thinking: {type: 'adaptive'}`): the model decides when and
     * how much to think, within `effort` when given. Not with `budgetTokens`.
     */
    adaptive: z.literal(true).optional(),
    /**
     * Anthropic `thinking.display: "summarized"`: the thinking's text comes back, where a
     * model's default may omit it. Sent to Claude with its thinking; other providers return the
     * reasoning text they have (OpenAI-format models none). Only with thinking asked for.
     */
    summarized: z.literal(true).optional(),
  })
  .strict()
  .refine((options) => !(options.adaptive && options.budgetTokens !== undefined), {
    message: 'adaptive thinking takes no budgetTokens (the model decides; use effort)',
    path: ['budgetTokens'],
  })
  .refine(
    (options) =>
      !options.summarized ||
      options.adaptive ||
      options.budgetTokens !== undefined ||
      options.effort !== undefined,
    {
      message: 'summarized thinking needs thinking: adaptive, budgetTokens or effort',
      path: ['summarized'],
    },
  );
export type ReasoningOptions = z.infer<typeof reasoningOptionsSchema>;
export type ReasoningEffort = NonNullable<ReasoningOptions['effort']>;
