import { z } from 'zod';
import { jsonSchemaObjectSchema } from '../../messages/tool-definition';

/**
 * The body of Anthropic's `POST /v1/messages` as llmq reads it. Strict: a field not named
 * here is refused by the schema; fields named here but not carried by the neutral model are
 * refused by the converter with `unsupported_parameter`.
 */

const cacheControlSchema = z
  .object({ type: z.literal('ephemeral'), ttl: z.enum(['5m', '1h']).optional() })
  .strict()
  .nullish();

const textBlockSchema = z
  .object({
    type: z.literal('text'),
    text: z.string(),
    cache_control: cacheControlSchema,
    citations: z.array(z.unknown()).nullish(),
  })
  .strict();

const sourceSchema = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('base64'), media_type: z.string().min(1), data: z.string().min(1) })
    .strict(),
  z.object({ type: z.literal('url'), url: z.string().min(1) }).strict(),
]);

const imageBlockSchema = z
  .object({ type: z.literal('image'), source: sourceSchema, cache_control: cacheControlSchema })
  .strict();

/** A plain-text document's text, inline (documents only). */
const textSourceSchema = z
  .object({ type: z.literal('text'), media_type: z.literal('text/plain'), data: z.string().min(1) })
  .strict();

const documentBlockSchema = z
  .object({
    type: z.literal('document'),
    source: z.union([sourceSchema, textSourceSchema]),
    title: z.string().nullish(),
    context: z.string().nullish(),
    citations: z.unknown().optional(),
    cache_control: cacheControlSchema,
  })
  .strict();

const toolResultBlockSchema = z
  .object({
    type: z.literal('tool_result'),
    tool_use_id: z.string().min(1),
    content: z
      .union([z.string(), z.array(z.union([textBlockSchema, imageBlockSchema]))])
      .optional(),
    is_error: z.boolean().optional(),
    cache_control: cacheControlSchema,
  })
  .strict();

const thinkingBlockSchema = z
  .object({ type: z.literal('thinking'), thinking: z.string(), signature: z.string() })
  .strict();
const redactedThinkingBlockSchema = z
  .object({ type: z.literal('redacted_thinking'), data: z.string() })
  .strict();
const toolUseBlockSchema = z
  .object({
    type: z.literal('tool_use'),
    id: z.string().min(1),
    name: z.string().min(1),
    input: z.record(z.string(), z.unknown()),
    cache_control: cacheControlSchema,
    /** Who called the tool; the SDK sends back the `direct` it received (the only kind llmq answers). */
    caller: z
      .object({ type: z.literal('direct') })
      .strict()
      .optional(),
  })
  .strict();

export const anthropicContentBlockSchema = z.discriminatedUnion('type', [
  textBlockSchema,
  imageBlockSchema,
  documentBlockSchema,
  toolResultBlockSchema,
  thinkingBlockSchema,
  redactedThinkingBlockSchema,
  toolUseBlockSchema,
]);
export type AnthropicContentBlock = z.infer<typeof anthropicContentBlockSchema>;

export const anthropicMessagesRequestSchema = z
  .object({
    model: z.string().min(1).max(200),
    max_tokens: z.number().int().positive(),
    messages: z
      .array(
        z
          .object({
            role: z.enum(['user', 'assistant']),
            content: z.union([z.string(), z.array(anthropicContentBlockSchema)]),
          })
          .strict(),
      )
      .min(1),
    system: z.union([z.string(), z.array(textBlockSchema)]).optional(),
    stop_sequences: z.array(z.string()).optional(),
    stream: z.boolean().optional(),
    temperature: z.number().min(0).max(1).optional(),
    top_p: z.number().min(0).max(1).optional(),
    top_k: z.number().int().min(0).optional(),
    metadata: z.object({ user_id: z.string().nullish() }).strict().optional(),
    tools: z
      .array(
        z
          .object({
            name: z.string().min(1),
            description: z.string().optional(),
            input_schema: jsonSchemaObjectSchema,
            strict: z.boolean().optional(),
            cache_control: cacheControlSchema,
            type: z.literal('custom').optional(),
          })
          .strict(),
      )
      .optional(),
    tool_choice: z
      .discriminatedUnion('type', [
        z
          .object({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() })
          .strict(),
        z
          .object({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() })
          .strict(),
        z
          .object({
            type: z.literal('tool'),
            name: z.string().min(1),
            disable_parallel_tool_use: z.boolean().optional(),
          })
          .strict(),
        z.object({ type: z.literal('none') }).strict(),
      ])
      .optional(),
    thinking: z
      .discriminatedUnion('type', [
        z
          .object({ type: z.literal('enabled'), budget_tokens: z.number().int().min(1024) })
          .strict(),
        z.object({ type: z.literal('disabled') }).strict(),
      ])
      .optional(),
    output_config: z
      .object({
        format: z
          .object({ type: z.literal('json_schema'), schema: jsonSchemaObjectSchema })
          .strict()
          .nullish(),
        effort: z.enum(['low', 'medium', 'high', 'xhigh', 'max']).nullish(),
      })
      .strict()
      .optional(),
    service_tier: z.enum(['auto', 'standard_only']).optional(),
  })
  .strict();
export type AnthropicMessagesRequest = z.infer<typeof anthropicMessagesRequestSchema>;
