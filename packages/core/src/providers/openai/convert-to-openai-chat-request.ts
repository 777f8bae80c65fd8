import type OpenAI from 'openai';
import { reasoningEffortFor } from '../../messages/reasoning-translation';
import type { ResponseFormat, ToolChoice } from '../../messages/tool-definition';
import { UnsupportedParameterError } from '../../messages/unsupported-parameter-error';
import type { GenerateRequest } from '../language-model';
import { parallelToolCallsToSend } from '../parallel-tool-calls';
import { fitToolCallIds, openAIToolCallIds, type ToolCallIdRule } from '../tool-call-id-rules';
import { convertToOpenAIChatMessages } from './convert-to-openai-chat-messages';

/** The body of `POST /chat/completions` as both OpenAI adapters send it, minus `stream`. */
export type OpenAIChatRequestBody = Omit<
  OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
  'stream'
>;

export interface OpenAIChatRequestOptions {
  /**
   * Which field carries `maxTokens`. OpenAI deprecated `max_tokens` (reasoning models reject
   * it) in favour of `max_completion_tokens`; local servers (vLLM, Ollama, LM Studio) know
   * `max_tokens` best.
   */
  maxTokensField: 'max_completion_tokens' | 'max_tokens';
  /** The ids the server takes in a conversation (default OpenAI's: at most 40 characters). */
  toolCallIds?: ToolCallIdRule;
  /**
   * false: the server refuses `parallel_tool_calls` (a preset's refused field), so a request's
   * preference for one tool call is not sent (see `parallelToolCallsToSend`). Default true.
   */
  takesParallelToolCalls?: boolean;
}

function convertToolChoice(choice: ToolChoice): OpenAI.Chat.ChatCompletionToolChoiceOption {
  if (typeof choice === 'string') return choice;
  return { type: 'function', function: { name: choice.toolName } };
}

function convertResponseFormat(
  format: ResponseFormat,
): NonNullable<OpenAIChatRequestBody['response_format']> {
  if (format.type !== 'json_schema') return { type: format.type };
  const jsonSchema: OpenAI.ResponseFormatJSONSchema['json_schema'] = {
    name: format.name,
    schema: format.schema,
  };
  if (format.description !== undefined) jsonSchema.description = format.description;
  if (format.strict !== undefined) jsonSchema.strict = format.strict;
  return { type: 'json_schema', json_schema: jsonSchema };
}

function convertTools(request: GenerateRequest): OpenAI.Chat.ChatCompletionTool[] | undefined {
  return request.tools?.map((tool) => {
    const definition: OpenAI.FunctionDefinition = { name: tool.name, parameters: tool.parameters };
    if (tool.description !== undefined) definition.description = tool.description;
    if (tool.strict !== undefined) definition.strict = tool.strict;
    return { type: 'function', function: definition };
  });
}

/**
 * Builds the chat completion request body from the neutral request: every field but `topK` has
 * an OpenAI spelling, so nothing else is refused here except parts Chat Completions cannot take
 * (see the messages converter).
 */
export function convertToOpenAIChatRequest(
  modelId: string,
  request: GenerateRequest,
  options: OpenAIChatRequestOptions,
): OpenAIChatRequestBody {
  // Chat Completions samples by temperature and top_p only.
  if (request.topK !== undefined) throw new UnsupportedParameterError('top_k', modelId);
  const body: OpenAIChatRequestBody = {
    model: modelId,
    messages: convertToOpenAIChatMessages(
      fitToolCallIds(request.messages, options.toolCallIds ?? openAIToolCallIds),
      modelId,
    ),
  };
  if (request.maxTokens !== undefined) body[options.maxTokensField] = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty;
  if (request.stop !== undefined && request.stop.length > 0) body.stop = request.stop;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.n !== undefined) body.n = request.n;
  const tools = convertTools(request);
  if (tools !== undefined) body.tools = tools;
  if (request.toolChoice !== undefined) body.tool_choice = convertToolChoice(request.toolChoice);
  const parallelToolCalls = parallelToolCallsToSend(
    request,
    options.takesParallelToolCalls !== false,
  );
  if (parallelToolCalls !== undefined) body.parallel_tool_calls = parallelToolCalls;
  if (request.responseFormat !== undefined) {
    body.response_format = convertResponseFormat(request.responseFormat);
  }
  const effort = request.reasoning && reasoningEffortFor(request.reasoning);
  if (effort !== undefined) body.reasoning_effort = effort;
  if (request.verbosity !== undefined) body.verbosity = request.verbosity;
  if (request.promptCacheKey !== undefined) body.prompt_cache_key = request.promptCacheKey;
  if (request.logprobs !== undefined) body.logprobs = request.logprobs;
  if (request.topLogprobs !== undefined) body.top_logprobs = request.topLogprobs;
  if (request.safetyIdentifier !== undefined) body.safety_identifier = request.safetyIdentifier;
  return body;
}
