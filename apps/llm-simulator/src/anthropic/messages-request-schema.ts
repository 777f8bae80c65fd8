import { z } from 'zod';

const cacheControlSchema = z
  .object({ type: z.literal('ephemeral'), ttl: z.enum(['5m', '1h']).optional() })
  .nullish();

const textBlockSchema = z.object({
  type: z.literal('text'),
  text: z.string(),
  cache_control: cacheControlSchema,
  citations: z.array(z.unknown()).nullish(),
});

const imageSourceSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('base64'),
    media_type: z.enum(['image/jpeg', 'image/png', 'image/gif', 'image/webp']),
    data: z.string().min(1),
  }),
  z.object({ type: z.literal('url'), url: z.string().url() }),
  z.object({ type: z.literal('file'), file_id: z.string() }),
]);
const imageBlockSchema = z.object({
  type: z.literal('image'),
  source: imageSourceSchema,
  cache_control: cacheControlSchema,
});

const documentSourceSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('base64'),
    media_type: z.literal('application/pdf'),
    data: z.string().min(1),
  }),
  z.object({ type: z.literal('text'), media_type: z.literal('text/plain'), data: z.string() }),
  z.object({ type: z.literal('url'), url: z.string().url() }),
  z.object({
    type: z.literal('content'),
    content: z.union([z.string(), z.array(textBlockSchema)]),
  }),
  z.object({ type: z.literal('file'), file_id: z.string() }),
]);
const documentBlockSchema = z.object({
  type: z.literal('document'),
  source: documentSourceSchema,
  title: z.string().nullish(),
  context: z.string().nullish(),
  citations: z.object({ enabled: z.boolean().optional() }).nullish(),
  cache_control: cacheControlSchema,
});

/** Anthropic's rule for tool use ids, worded as its API refuses a breach. */
const toolUseIdSchema = z
  .string()
  .regex(/^[a-zA-Z0-9_-]+$/, "String should match pattern '^[a-zA-Z0-9_-]+$'");

const toolUseBlockSchema = z.object({
  type: z.literal('tool_use'),
  id: toolUseIdSchema,
  name: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
  cache_control: cacheControlSchema,
});
const toolResultBlockSchema = z.object({
  type: z.literal('tool_result'),
  tool_use_id: toolUseIdSchema,
  content: z
    .union([z.string(), z.array(z.discriminatedUnion('type', [textBlockSchema, imageBlockSchema]))])
    .optional(),
  is_error: z.boolean().optional(),
  cache_control: cacheControlSchema,
});
const thinkingBlockSchema = z.object({
  type: z.literal('thinking'),
  thinking: z.string(),
  signature: z.string(),
});
const redactedThinkingBlockSchema = z.object({
  type: z.literal('redacted_thinking'),
  data: z.string(),
});

const contentBlockSchema = z.discriminatedUnion('type', [
  textBlockSchema,
  imageBlockSchema,
  documentBlockSchema,
  toolUseBlockSchema,
  toolResultBlockSchema,
  thinkingBlockSchema,
  redactedThinkingBlockSchema,
]);

const toolSchema = z.object({
  type: z.literal('custom').optional(),
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,128}$/),
  description: z.string().optional(),
  input_schema: z.looseObject({ type: z.literal('object') }),
  cache_control: cacheControlSchema,
  strict: z.boolean().optional(),
});

const toolChoiceSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({
    type: z.literal('tool'),
    name: z.string().min(1),
    disable_parallel_tool_use: z.boolean().optional(),
  }),
  z.object({ type: z.literal('none') }),
]);

/** `summarized`: thinking shows its text (`omitted`, an empty text, is not simulated). */
const thinkingDisplaySchema = z.literal('summarized').nullish();

/** Manual thinking with a budget, adaptive thinking (the model decides how much), or none. */
const thinkingSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('enabled'),
    budget_tokens: z.number().int().min(1024),
    display: thinkingDisplaySchema,
  }),
  z.object({ type: z.literal('adaptive'), display: thinkingDisplaySchema }),
  z.object({ type: z.literal('disabled') }),
]);

/** Structured outputs (`output_config.format`) and how hard the model works (`effort`). */
const outputConfigSchema = z.strictObject({
  format: z
    .strictObject({
      type: z.literal('json_schema'),
      schema: z.record(z.string(), z.unknown()),
    })
    .nullish(),
  effort: z.enum(['low', 'medium', 'high', 'xhigh', 'max']).nullish(),
});

/**
 * The body of `POST /v1/messages`: Anthropic's fields, an unknown one refused as Anthropic
 * does ("Extra inputs are not permitted"). Server tools, MCP servers and containers are not
 * simulated and so are unknown fields here.
 */
export const messagesRequestSchema = z.strictObject({
  model: z.string().min(1),
  max_tokens: z.number().int().min(1),
  messages: z
    .array(
      z.object({
        role: z.enum(['user', 'assistant']),
        content: z.union([z.string(), z.array(contentBlockSchema)]),
      }),
    )
    .min(1),
  system: z.union([z.string(), z.array(textBlockSchema)]).optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  stop_sequences: z.array(z.string()).optional(),
  stream: z.boolean().optional(),
  tools: z.array(toolSchema).optional(),
  tool_choice: toolChoiceSchema.optional(),
  thinking: thinkingSchema.optional(),
  output_config: outputConfigSchema.optional(),
  metadata: z.object({ user_id: z.string().max(256).nullish() }).optional(),
  service_tier: z.enum(['auto', 'standard_only']).optional(),
});

export type MessagesRequest = z.infer<typeof messagesRequestSchema>;
export type AnthropicMessage = MessagesRequest['messages'][number];
export type AnthropicContentBlock = z.infer<typeof contentBlockSchema>;
export type AnthropicTextBlock = z.infer<typeof textBlockSchema>;
