import { z } from 'zod';
import { jsonSchemaObjectSchema } from '../../messages/tool-definition';

/**
 * The body of OpenAI's `POST /v1/chat/completions` as llmq reads it. Strict: a field not named
 * here is refused by the schema. Fields named here but not carried by the neutral model are
 * refused by the converter with `unsupported_parameter`.
 */

const textPartSchema = z.object({ type: z.literal('text'), text: z.string() }).strict();
const imageUrlPartSchema = z
  .object({
    type: z.literal('image_url'),
    image_url: z
      .object({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).optional() })
      .strict(),
  })
  .strict();
const filePartSchema = z
  .object({
    type: z.literal('file'),
    file: z
      .object({
        file_data: z.string().min(1).optional(),
        file_id: z.string().min(1).optional(),
        filename: z.string().min(1).optional(),
      })
      .strict(),
  })
  .strict();
const inputAudioPartSchema = z
  .object({ type: z.literal('input_audio'), input_audio: z.record(z.string(), z.unknown()) })
  .strict();
const refusalPartSchema = z.object({ type: z.literal('refusal'), refusal: z.string() }).strict();

const nameSchema = z.string().min(1).max(64).optional();

const toolCallSchema = z
  .object({
    id: z.string().min(1),
    type: z.literal('function'),
    function: z.object({ name: z.string().min(1), arguments: z.string() }).strict(),
  })
  .strict();

/** A legacy function call (`function_call` on an assistant message): a tool call without an id. */
const functionCallSchema = z.object({ name: z.string().min(1), arguments: z.string() }).strict();

/**
 * One Anthropic thinking block in the OpenAI format, in the shape LiteLLM gives it on an
 * assistant message (`thinking_blocks`): thinking text with its signature, or redacted thinking.
 */
export const openAIThinkingBlockSchema = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('thinking'), thinking: z.string(), signature: z.string().min(1) })
    .strict(),
  z.object({ type: z.literal('redacted_thinking'), data: z.string().min(1) }).strict(),
]);
export type OpenAIThinkingBlock = z.infer<typeof openAIThinkingBlockSchema>;

export const openAIChatMessageSchema = z.discriminatedUnion('role', [
  z
    .object({
      role: z.enum(['system', 'developer']),
      content: z.union([z.string(), z.array(textPartSchema).min(1)]),
      name: nameSchema,
    })
    .strict(),
  z
    .object({
      role: z.literal('user'),
      content: z.union([
        z.string(),
        z
          .array(
            z.discriminatedUnion('type', [
              textPartSchema,
              imageUrlPartSchema,
              filePartSchema,
              inputAudioPartSchema,
            ]),
          )
          .min(1),
      ]),
      name: nameSchema,
    })
    .strict(),
  z
    .object({
      role: z.literal('assistant'),
      content: z
        .union([
          z.string(),
          z.array(z.discriminatedUnion('type', [textPartSchema, refusalPartSchema])),
        ])
        .nullish(),
      name: nameSchema,
      tool_calls: z.array(toolCallSchema).optional(),
      /** Deprecated by OpenAI for `tool_calls`, still sent by older apps (see `functions`). */
      function_call: functionCallSchema.nullish(),
      refusal: z.string().nullish(),
      /** The reasoning llmq returned with an earlier answer (see docs/messages.md). */
      reasoning_content: z.string().nullish(),
      /** Anthropic thinking with its signatures, as llmq (and LiteLLM) return it. */
      thinking_blocks: z.array(openAIThinkingBlockSchema).nullish(),
    })
    .strict(),
  z
    .object({
      role: z.literal('tool'),
      tool_call_id: z.string().min(1),
      content: z.union([z.string(), z.array(textPartSchema).min(1)]),
      /**
       * The name of the tool answered. Not in OpenAI's reference, but OpenAI takes it and
       * LangChain sends it with every `ToolMessage` (`tool.invoke(toolCall)`, LangGraph's
       * `ToolNode`); it must name the tool of the call it answers (see
       * {@link checkToolMessageNames}), so it says nothing the call does not.
       */
      name: nameSchema,
    })
    .strict(),
  /** A legacy function's result: it answers the latest `function_call` of that `name`. */
  z
    .object({
      role: z.literal('function'),
      name: z.string().min(1).max(64),
      content: z.string().nullable(),
    })
    .strict(),
]);
export type OpenAIChatMessage = z.infer<typeof openAIChatMessageSchema>;

/**
 * A tool message's `name` must be the name of the tool call it answers (found by
 * `tool_call_id` in an earlier assistant message): a result named for another tool is a
 * client's mix-up, refused at its `name` rather than sent to the model as the other call's
 * answer. A result whose call is not in the conversation is left to the provider.
 */
export function checkToolMessageNames(
  messages: readonly OpenAIChatMessage[],
  context: z.RefinementCtx,
): void {
  const toolNames = new Map<string, string>();
  messages.forEach((message, index) => {
    if (message.role === 'assistant') {
      for (const call of message.tool_calls ?? []) toolNames.set(call.id, call.function.name);
      return;
    }
    if (message.role !== 'tool' || message.name === undefined) return;
    const called = toolNames.get(message.tool_call_id);
    if (called === undefined || called === message.name) return;
    context.addIssue({
      code: 'custom',
      message: `names the tool "${message.name}", but "${message.tool_call_id}" is a call of "${called}"`,
      path: [index, 'name'],
    });
  });
}

/** A function tool's definition (`tools[].function`, and a legacy `functions[]` entry). */
const functionSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: jsonSchemaObjectSchema.optional(),
    strict: z.boolean().nullish(),
  })
  .strict();

const toolNameSchema = z.object({ name: z.string().min(1) }).strict();

export const openAIChatRequestSchema = z
  .object({
    model: z.string().min(1).max(200),
    messages: z.array(openAIChatMessageSchema).min(1).superRefine(checkToolMessageNames),
    max_tokens: z.number().int().positive().nullish(),
    max_completion_tokens: z.number().int().positive().nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
    seed: z.number().int().nullish(),
    n: z.number().int().min(1).max(128).nullish(),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).strict().nullish(),
    tools: z
      .array(z.object({ type: z.literal('function'), function: functionSchema }).strict())
      .optional(),
    tool_choice: z
      .union([
        z.enum(['auto', 'none', 'required']),
        z.discriminatedUnion('type', [
          z.object({ type: z.literal('function'), function: toolNameSchema }).strict(),
          z
            .object({
              type: z.literal('allowed_tools'),
              allowed_tools: z
                .object({
                  mode: z.enum(['auto', 'required']),
                  tools: z
                    .array(
                      z.object({ type: z.literal('function'), function: toolNameSchema }).strict(),
                    )
                    .min(1),
                })
                .strict(),
            })
            .strict(),
        ]),
      ])
      .optional(),
    /** Deprecated by OpenAI for `tools`; read as tools, answered as OpenAI answers it. */
    functions: z.array(functionSchema).min(1).max(128).optional(),
    /** Deprecated by OpenAI for `tool_choice`: `none`, `auto` or `{name}`. */
    function_call: z.union([z.enum(['none', 'auto']), toolNameSchema]).optional(),
    parallel_tool_calls: z.boolean().optional(),
    response_format: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('text') }).strict(),
        z.object({ type: z.literal('json_object') }).strict(),
        z
          .object({
            type: z.literal('json_schema'),
            json_schema: z
              .object({
                name: z.string().min(1).max(64),
                description: z.string().optional(),
                schema: jsonSchemaObjectSchema.optional(),
                strict: z.boolean().nullish(),
              })
              .strict(),
          })
          .strict(),
      ])
      .optional(),
    reasoning_effort: z.enum(['minimal', 'low', 'medium', 'high']).nullish(),
    verbosity: z.enum(['low', 'medium', 'high']).nullish(),
    prompt_cache_key: z.string().min(1).optional(),
    logprobs: z.boolean().nullish(),
    top_logprobs: z.number().int().min(0).max(20).nullish(),
    safety_identifier: z.string().min(1).optional(),
    user: z.string().min(1).optional(),
    store: z.boolean().nullish(),
    frequency_penalty: z.number().min(-2).max(2).nullish(),
    presence_penalty: z.number().min(-2).max(2).nullish(),
    // Known OpenAI fields the neutral model does not carry: refused by name when given.
    logit_bias: z.record(z.string(), z.number()).nullish(),
    audio: z.unknown().optional(),
    modalities: z.array(z.string()).nullish(),
    prediction: z.unknown().optional(),
    service_tier: z.string().nullish(),
    metadata: z.record(z.string(), z.string()).nullish(),
    web_search_options: z.unknown().optional(),
  })
  .strict();
export type OpenAIChatRequest = z.infer<typeof openAIChatRequestSchema>;
