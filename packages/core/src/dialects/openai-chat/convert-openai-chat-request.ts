import { ClientError } from '../../errors/client-error';
import type { ChatRequest } from '../../messages/chat-request';
import type { ResponseFormat, ToolChoice, ToolDefinition } from '../../messages/tool-definition';
import { UnsupportedParameterError } from '../../messages/unsupported-parameter-error';
import { restrictToAllowedTools } from '../allowed-tools';
import { convertOpenAIChatMessages } from './convert-openai-chat-messages';
import { openaiChatMaxTokens } from './openai-chat-max-tokens';
import type { OpenAIChatRequest } from './openai-chat-request-schema';

/** A chat completion request, read: the model asked for, how to answer, and the neutral request. */
export interface OpenAIChatCall {
  model: string;
  stream: boolean;
  /** `stream_options.include_usage`: send a last chunk with the usage. */
  includeUsage: boolean;
  /**
   * The request used the legacy `functions`: answer a call as OpenAI answers one there, as
   * `function_call` (not `tool_calls`) with `finish_reason: "function_call"`.
   */
  legacyFunctions: boolean;
  request: ChatRequest;
}

/**
 * Whether a field OpenAI knows, but the neutral model does not carry, asks for something. Its
 * neutral values (0, `{}`, `[]`, `auto`/`default` tier) change nothing at OpenAI either, and
 * SDKs such as LangChain send them by default, so they pass; anything else is refused.
 */
function asksForSomething(value: unknown): boolean {
  if (value === undefined || value === null || value === 0) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

const uncarriedFields = [
  'logit_bias',
  'audio',
  'prediction',
  'metadata',
  'web_search_options',
] as const satisfies ReadonlyArray<keyof OpenAIChatRequest>;

function refuseUncarried(body: OpenAIChatRequest): void {
  for (const field of uncarriedFields) {
    if (asksForSomething(body[field])) throw new UnsupportedParameterError(field, 'llmq');
  }
  // `text` is the only output modality llmq has; asking for it asks for nothing new.
  if (body.modalities?.some((modality) => modality !== 'text')) {
    throw new UnsupportedParameterError('modalities', 'llmq');
  }
  if (
    body.service_tier != null &&
    body.service_tier !== 'auto' &&
    body.service_tier !== 'default'
  ) {
    throw new UnsupportedParameterError('service_tier', 'llmq');
  }
  // Stored completions are not kept by llmq; `store: false` is what it does anyway.
  if (body.store === true) {
    throw new UnsupportedParameterError(
      'store',
      'llmq',
      '(stored completions) is not supported by',
    );
  }
}

function convertToolDefinition(
  fn: NonNullable<OpenAIChatRequest['functions']>[number],
): ToolDefinition {
  const tool: ToolDefinition = {
    name: fn.name,
    parameters: fn.parameters ?? { type: 'object', properties: {} },
  };
  if (fn.description !== undefined) tool.description = fn.description;
  if (typeof fn.strict === 'boolean') tool.strict = fn.strict;
  return tool;
}

/**
 * `tool_choice` into the neutral choice, and the tools the model may call (`allowed_tools`
 * restricts them: see {@link restrictToAllowedTools}).
 */
function convertToolChoice(
  choice: NonNullable<OpenAIChatRequest['tool_choice']>,
  tools: ToolDefinition[] | undefined,
): { toolChoice: ToolChoice; tools?: ToolDefinition[] } {
  if (typeof choice === 'string') return { toolChoice: choice };
  if (choice.type === 'function')
    return { toolChoice: { type: 'tool', toolName: choice.function.name } };
  return restrictToAllowedTools(
    tools,
    {
      mode: choice.allowed_tools.mode,
      names: choice.allowed_tools.tools.map((tool) => tool.function.name),
    },
    (index) => `tool_choice.allowed_tools.tools[${index}].function.name`,
  );
}

/**
 * The legacy `functions` and `function_call` as tools and a tool choice. They cannot be mixed
 * with `tools` and `tool_choice` (OpenAI refuses that too), and `function_call` needs `functions`.
 */
function convertLegacyFunctions(body: OpenAIChatRequest, request: ChatRequest): void {
  const refuse = (parameter: string, message: string): never => {
    throw new ClientError('invalid_request', `"${parameter}" ${message}`, { parameter });
  };
  if (body.functions !== undefined && body.tools !== undefined)
    refuse('functions', 'cannot be given with "tools"; use one or the other');
  if (body.function_call !== undefined && body.tool_choice !== undefined)
    refuse('function_call', 'cannot be given with "tool_choice"; use one or the other');
  if (body.function_call !== undefined && body.functions === undefined)
    refuse('function_call', 'needs "functions"');
  if (body.functions !== undefined) {
    request.tools = body.functions.map(convertToolDefinition);
    // OpenAI's legacy functions never make parallel calls: their answer has room for one.
    request.preferOneToolCall = true;
  }
  const choice = body.function_call;
  if (choice !== undefined)
    request.toolChoice =
      typeof choice === 'string' ? choice : { type: 'tool', toolName: choice.name };
}

function convertResponseFormat(
  format: NonNullable<OpenAIChatRequest['response_format']>,
): ResponseFormat {
  if (format.type !== 'json_schema') return { type: format.type };
  const converted: ResponseFormat = {
    type: 'json_schema',
    name: format.json_schema.name,
    schema: format.json_schema.schema ?? {},
  };
  if (format.json_schema.description !== undefined)
    converted.description = format.json_schema.description;
  if (typeof format.json_schema.strict === 'boolean') converted.strict = format.json_schema.strict;
  return converted;
}

/** Copies the optional fields that map one to one, skipping null (OpenAI's "not set"). */
function copyOptions(body: OpenAIChatRequest, request: ChatRequest): void {
  const limit = openaiChatMaxTokens(body);
  if (limit !== undefined) request.maxTokens = limit.maxTokens;
  if (body.temperature != null) request.temperature = body.temperature;
  if (body.top_p != null) request.topP = body.top_p;
  // 0 is OpenAI's default (LangChain sends it unasked): carried only when it asks for something,
  // so a model without penalties (Claude) still takes a request that sets none.
  if (body.presence_penalty) request.presencePenalty = body.presence_penalty;
  if (body.frequency_penalty) request.frequencyPenalty = body.frequency_penalty;
  if (body.stop != null) request.stop = typeof body.stop === 'string' ? [body.stop] : body.stop;
  if (body.seed != null) request.seed = body.seed;
  if (body.n != null) request.n = body.n;
  if (body.parallel_tool_calls !== undefined) request.parallelToolCalls = body.parallel_tool_calls;
  if (body.reasoning_effort != null) request.reasoning = { effort: body.reasoning_effort };
  if (body.verbosity != null) request.verbosity = body.verbosity;
  if (body.prompt_cache_key !== undefined) request.promptCacheKey = body.prompt_cache_key;
  if (body.logprobs != null) request.logprobs = body.logprobs;
  if (body.top_logprobs != null) request.topLogprobs = body.top_logprobs;
  // `user` is the older name of `safety_identifier`.
  const identifier = body.safety_identifier ?? body.user;
  if (identifier !== undefined) request.safetyIdentifier = identifier;
}

/** Reads a validated OpenAI chat completion request into the neutral model. */
export function convertOpenAIChatRequest(body: OpenAIChatRequest): OpenAIChatCall {
  refuseUncarried(body);
  const request: ChatRequest = { messages: convertOpenAIChatMessages(body.messages) };
  copyOptions(body, request);
  if (body.tools !== undefined)
    request.tools = body.tools.map((tool) => convertToolDefinition(tool.function));
  if (body.tool_choice !== undefined) {
    const { toolChoice, tools } = convertToolChoice(body.tool_choice, request.tools);
    request.toolChoice = toolChoice;
    if (tools !== undefined) request.tools = tools;
  }
  convertLegacyFunctions(body, request);
  if (body.response_format !== undefined)
    request.responseFormat = convertResponseFormat(body.response_format);
  return {
    model: body.model,
    stream: body.stream === true,
    includeUsage: body.stream_options?.include_usage === true,
    legacyFunctions: body.functions !== undefined,
    request,
  };
}
