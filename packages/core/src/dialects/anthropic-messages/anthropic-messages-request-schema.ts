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

/** A custom-content document: its own text and image blocks (documents only). */
const contentSourceSchema = z
  .object({
    type: z.literal('content'),
    content: z.union([
      z.string(),
      z.array(z.discriminatedUnion('type', [textBlockSchema, imageBlockSchema])),
    ]),
  })
  .strict();

const documentBlockSchema = z
  .object({
    type: z.literal('document'),
    source: z.discriminatedUnion('type', [
      ...sourceSchema.options,
      textSourceSchema,
      contentSourceSchema,
    ]),
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

/**
 * The server tools of Anthropic's API (its SDK's `ToolUnion`, beside custom tools): tools
 * Anthropic runs itself, whose calls and results come back as `server_tool_use` and
 * `*_tool_result` blocks. Read so the converter can refuse them by their type, rather than
 * the schema refusing them as a custom tool without `input_schema`.
 */
export const anthropicServerToolTypes = [
  'bash_20241022',
  'bash_20250124',
  'code_execution_20250522',
  'code_execution_20250825',
  'code_execution_20260120',
  'code_execution_20260521',
  'computer_20241022',
  'computer_20250124',
  'computer_20251124',
  'computer_toolset_20260801',
  'browser_toolset_20260801',
  'advisor_20260301',
  'memory_20250818',
  'text_editor_20241022',
  'text_editor_20250124',
  'text_editor_20250429',
  'text_editor_20250728',
  'web_search_20250305',
  'web_search_20260209',
  'web_search_20260318',
  'web_fetch_20250910',
  'web_fetch_20260209',
  'web_fetch_20260309',
  'web_fetch_20260318',
  'tool_search_tool_bm25_20251119',
  'tool_search_tool_regex_20251119',
] as const;

const serverToolSchema = z.looseObject({ type: z.enum(anthropicServerToolTypes) });

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

/**
 * How thinking shows in the answer: `summarized` (the text, as llmq always answers) or `omitted`
 * (an empty text with the signature), which the converter refuses by name.
 */
const thinkingDisplaySchema = z.enum(['summarized', 'omitted']).nullish();

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
        z.discriminatedUnion('type', [
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
          serverToolSchema,
        ]),
      )
      .optional(),
    /** MCP connectors Claude would call itself; refused by the converter when any is given. */
    mcp_servers: z.array(z.unknown()).optional(),
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
          .object({
            type: z.literal('enabled'),
            budget_tokens: z.number().int().min(1024),
            display: thinkingDisplaySchema,
          })
          .strict(),
        /** The model decides when and how much to think (`output_config.effort` steers it). */
        z.object({ type: z.literal('adaptive'), display: thinkingDisplaySchema }).strict(),
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
