import { z } from 'zod';
import { jsonSchemaObjectSchema } from '../../messages/tool-definition';

/**
 * The body of OpenAI's `POST /v1/responses` as llmq reads it. Strict: a field not named here is
 * refused by the schema. Fields named here that the neutral model does not carry are refused by
 * the converter with `unsupported_parameter` (see `convert-openai-responses-request.ts`).
 */

const inputTextSchema = z.object({ type: z.literal('input_text'), text: z.string() }).strict();
const inputImageSchema = z
  .object({
    type: z.literal('input_image'),
    image_url: z.string().min(1).nullish(),
    file_id: z.string().min(1).nullish(),
    detail: z.enum(['auto', 'low', 'high', 'original']).default('auto'),
  })
  .strict();
const inputFileSchema = z
  .object({
    type: z.literal('input_file'),
    file_data: z.string().min(1).optional(),
    file_id: z.string().min(1).nullish(),
    file_url: z.string().min(1).optional(),
    filename: z.string().min(1).optional(),
  })
  .strict();
export const responsesInputContentSchema = z.discriminatedUnion('type', [
  inputTextSchema,
  inputImageSchema,
  inputFileSchema,
]);
export type ResponsesInputContent = z.infer<typeof responsesInputContentSchema>;

const outputTextSchema = z
  .object({
    type: z.literal('output_text'),
    text: z.string(),
    annotations: z.array(z.unknown()).optional(),
    logprobs: z.array(z.unknown()).optional(),
  })
  .strict();
const refusalSchema = z.object({ type: z.literal('refusal'), refusal: z.string() }).strict();

const itemStatusSchema = z.enum(['in_progress', 'completed', 'incomplete']).optional();

const messageItemSchema = z.discriminatedUnion('role', [
  z
    .object({
      type: z.literal('message'),
      role: z.enum(['user', 'system', 'developer']),
      content: z.union([z.string(), z.array(responsesInputContentSchema)]),
      id: z.string().optional(),
      status: itemStatusSchema,
    })
    .strict(),
  z
    .object({
      type: z.literal('message'),
      role: z.literal('assistant'),
      content: z.union([
        z.string(),
        z.array(z.discriminatedUnion('type', [outputTextSchema, refusalSchema])),
      ]),
      id: z.string().optional(),
      status: itemStatusSchema,
      phase: z.string().nullish(),
    })
    .strict(),
]);

const functionCallItemSchema = z
  .object({
    type: z.literal('function_call'),
    call_id: z.string().min(1),
    name: z.string().min(1),
    arguments: z.string(),
    id: z.string().optional(),
    status: itemStatusSchema,
  })
  .strict();

const functionCallOutputItemSchema = z
  .object({
    type: z.literal('function_call_output'),
    call_id: z.string().min(1),
    output: z.union([z.string(), z.array(responsesInputContentSchema).min(1)]),
    id: z.string().nullish(),
    status: itemStatusSchema.nullable(),
  })
  .strict();

const reasoningItemSchema = z
  .object({
    type: z.literal('reasoning'),
    id: z.string().optional(),
    summary: z.array(z.object({ type: z.literal('summary_text'), text: z.string() }).strict()),
    content: z
      .array(z.object({ type: z.literal('reasoning_text'), text: z.string() }).strict())
      .optional(),
    encrypted_content: z.string().nullish(),
    status: itemStatusSchema,
  })
  .strict();

/**
 * An earlier output item by its id (`fc_…`, `msg_…`, `rs_…`), as the Vercel AI SDK sends the
 * items of a stored response; the API replaces it with the item before conversion.
 */
const itemReferenceSchema = z
  .object({ type: z.literal('item_reference'), id: z.string().min(1) })
  .strict();

/** An input item; a message may leave out `type` (OpenAI's "easy input message"). */
export const responsesInputItemSchema = z.preprocess(
  (value) =>
    value !== null && typeof value === 'object' && !('type' in value) && 'role' in value
      ? { ...value, type: 'message' }
      : value,
  z.union([
    messageItemSchema,
    z.discriminatedUnion('type', [
      functionCallItemSchema,
      functionCallOutputItemSchema,
      reasoningItemSchema,
      itemReferenceSchema,
    ]),
  ]),
);
export type ResponsesInputItem = z.infer<typeof responsesInputItemSchema>;

export const responsesFunctionToolSchema = z
  .object({
    type: z.literal('function'),
    name: z.string().min(1),
    description: z.string().nullish(),
    parameters: jsonSchemaObjectSchema.nullish(),
    strict: z.boolean().nullish(),
  })
  .strict();
export type ResponsesFunctionTool = z.infer<typeof responsesFunctionToolSchema>;

export const responsesTextFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }).strict(),
  z.object({ type: z.literal('json_object') }).strict(),
  z
    .object({
      type: z.literal('json_schema'),
      name: z.string().min(1).max(64),
      schema: jsonSchemaObjectSchema,
      description: z.string().optional(),
      strict: z.boolean().nullish(),
    })
    .strict(),
]);
export type ResponsesTextFormat = z.infer<typeof responsesTextFormatSchema>;

export const responsesToolChoiceSchema = z.union([
  z.enum(['auto', 'none', 'required']),
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('function'), name: z.string().min(1) }).strict(),
    /** Only these tools may be called (see `restrictToAllowedTools`). */
    z
      .object({
        type: z.literal('allowed_tools'),
        mode: z.enum(['auto', 'required']),
        tools: z
          .array(z.object({ type: z.literal('function'), name: z.string().min(1) }).strict())
          .min(1),
      })
      .strict(),
  ]),
]);
export type ResponsesToolChoice = z.infer<typeof responsesToolChoiceSchema>;

export const openAIResponsesRequestSchema = z
  .object({
    model: z.string().min(1).max(200),
    input: z.union([z.string(), z.array(responsesInputItemSchema)]).optional(),
    instructions: z.string().nullish(),
    tools: z.array(responsesFunctionToolSchema).optional(),
    tool_choice: responsesToolChoiceSchema.optional(),
    parallel_tool_calls: z.boolean().nullish(),
    text: z
      .object({
        format: responsesTextFormatSchema.optional(),
        verbosity: z.enum(['low', 'medium', 'high']).nullish(),
      })
      .strict()
      .optional(),
    reasoning: z
      .object({
        effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullish(),
        summary: z.enum(['auto', 'concise', 'detailed']).nullish(),
        generate_summary: z.enum(['auto', 'concise', 'detailed']).nullish(),
      })
      .strict()
      .nullish(),
    max_output_tokens: z.number().int().positive().nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    metadata: z
      .record(z.string().min(1).max(64), z.string().max(512))
      .refine((value) => Object.keys(value).length <= 16, { message: 'at most 16 metadata keys' })
      .nullish(),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_obfuscation: z.boolean().optional() }).strict().nullish(),
    store: z.boolean().nullish(),
    background: z.boolean().nullish(),
    previous_response_id: z.string().min(1).nullish(),
    truncation: z.enum(['auto', 'disabled']).nullish(),
    user: z.string().min(1).optional(),
    safety_identifier: z.string().min(1).nullish(),
    prompt_cache_key: z.string().min(1).nullish(),
    service_tier: z.enum(['auto', 'default', 'flex', 'scale', 'priority']).nullish(),
    include: z.array(z.string()).nullish(),
    // Known OpenAI fields the neutral model does not carry: refused by name when given.
    top_logprobs: z.number().int().nullish(),
    conversation: z.unknown().optional(),
    prompt: z.unknown().optional(),
    context_management: z.unknown().optional(),
    moderation: z.unknown().optional(),
    prompt_cache_retention: z.unknown().optional(),
    prompt_cache_options: z.unknown().optional(),
  })
  .strict();
export type OpenAIResponsesRequest = z.infer<typeof openAIResponsesRequestSchema>;
