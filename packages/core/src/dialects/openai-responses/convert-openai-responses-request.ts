import { ClientError } from '../../errors/client-error';
import type { ChatMessage } from '../../messages/chat-message';
import type { ChatRequest } from '../../messages/chat-request';
import type { ResponseFormat, ToolChoice, ToolDefinition } from '../../messages/tool-definition';
import { UnsupportedParameterError } from '../../messages/unsupported-parameter-error';
import { restrictToAllowedTools } from '../allowed-tools';
import { convertOpenAIResponsesInput } from './convert-openai-responses-input';
import type {
  OpenAIResponsesRequest,
  ResponsesTextFormat,
} from './openai-responses-request-schema';
import type { ResponseSettings } from './response-settings';

/** A Responses request, read: how to answer, this turn's input and the neutral options. */
export interface OpenAIResponsesCall {
  model: string;
  stream: boolean;
  /** `background: true`: answer at once with a queued response, run it as a durable job. */
  background: boolean;
  /** `store` (default true): keep the response for `GET`, `input_items` and later turns. */
  store: boolean;
  previousResponseId?: string;
  /** This turn's input items as neutral messages (the instructions not among them). */
  input: ChatMessage[];
  /** `instructions`: a system message for this turn only (never carried to the next one). */
  instructions?: string;
  /** Every neutral option of the request, all but its messages. */
  options: Omit<ChatRequest, 'messages'>;
  /** What the response object echoes of the request. */
  settings: ResponseSettings;
}

/**
 * Whether a field OpenAI knows, but llmq does not carry, asks for something: null, `[]` and
 * `{}` ask for nothing (SDKs send them by default), anything else is refused.
 */
function asksForSomething(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

const uncarriedFields = [
  'top_logprobs',
  'conversation',
  'prompt',
  'context_management',
  'moderation',
  'prompt_cache_retention',
  'prompt_cache_options',
] as const satisfies ReadonlyArray<keyof OpenAIResponsesRequest>;

/** `include` values llmq honours: the reasoning signature needed to send reasoning back. */
const encryptedReasoning = 'reasoning.encrypted_content';

function refuseUncarried(body: OpenAIResponsesRequest): void {
  for (const field of uncarriedFields) {
    if (asksForSomething(body[field])) throw new UnsupportedParameterError(field, 'llmq');
  }
  if (body.service_tier != null && body.service_tier !== 'auto' && body.service_tier !== 'default')
    throw new UnsupportedParameterError('service_tier', 'llmq');
  // llmq never drops input to fit the context window: a too-long input fails, as `disabled` does.
  if (body.truncation === 'auto') throw new UnsupportedParameterError('truncation', 'llmq');
  if (body.stream_options?.include_obfuscation === true)
    throw new UnsupportedParameterError('stream_options.include_obfuscation', 'llmq');
  for (const [index, value] of (body.include ?? []).entries()) {
    if (value !== encryptedReasoning)
      throw new UnsupportedParameterError(`include[${index}]`, 'llmq');
  }
  // Reasoning summaries are written by OpenAI's own models; llmq has the reasoning text only.
  if (body.reasoning?.summary != null)
    throw new UnsupportedParameterError('reasoning.summary', 'llmq');
  if (body.reasoning?.generate_summary != null)
    throw new UnsupportedParameterError('reasoning.generate_summary', 'llmq');
  const effort = body.reasoning?.effort;
  if (effort === 'none' || effort === 'xhigh')
    throw new UnsupportedParameterError(
      'reasoning.effort',
      'llmq',
      `"${effort}" is not supported by`,
    );
  if (body.background === true && body.store === false) {
    throw new UnsupportedParameterError('store', 'background responses', 'must not be false for');
  }
}

/** `tool_choice` into the neutral choice, with the tools `allowed_tools` lets the model call. */
function convertToolChoice(
  choice: NonNullable<OpenAIResponsesRequest['tool_choice']>,
  tools: ToolDefinition[] | undefined,
): { toolChoice: ToolChoice; tools?: ToolDefinition[] } {
  if (typeof choice === 'string') return { toolChoice: choice };
  if (choice.type === 'function') return { toolChoice: { type: 'tool', toolName: choice.name } };
  return restrictToAllowedTools(
    tools,
    { mode: choice.mode, names: choice.tools.map((tool) => tool.name) },
    (index) => `tool_choice.tools[${index}].name`,
  );
}

function convertFormat(format: ResponsesTextFormat): ResponseFormat {
  if (format.type !== 'json_schema') return { type: format.type };
  const converted: ResponseFormat = {
    type: 'json_schema',
    name: format.name,
    schema: format.schema,
  };
  if (format.description !== undefined) converted.description = format.description;
  if (typeof format.strict === 'boolean') converted.strict = format.strict;
  return converted;
}

function convertTools(tools: NonNullable<OpenAIResponsesRequest['tools']>): ToolDefinition[] {
  return tools.map((tool) => {
    const converted: ToolDefinition = {
      name: tool.name,
      parameters: tool.parameters ?? { type: 'object', properties: {} },
    };
    if (tool.description != null) converted.description = tool.description;
    if (typeof tool.strict === 'boolean') converted.strict = tool.strict;
    return converted;
  });
}

/** The neutral options of a request: every field that maps one to one, null skipped. */
function optionsOf(body: OpenAIResponsesRequest): Omit<ChatRequest, 'messages'> {
  const options: Omit<ChatRequest, 'messages'> = {};
  if (body.max_output_tokens != null) options.maxTokens = body.max_output_tokens;
  if (body.temperature != null) options.temperature = body.temperature;
  if (body.top_p != null) options.topP = body.top_p;
  if (body.tools !== undefined && body.tools.length > 0) {
    options.tools = convertTools(body.tools);
    if (body.parallel_tool_calls != null) options.parallelToolCalls = body.parallel_tool_calls;
  }
  // The Responses API takes `tool_choice` and `parallel_tool_calls` without tools (SDKs send
  // them from their settings whatever the turn's tools); there they choose among nothing and
  // ask for nothing, while Chat Completions and Anthropic refuse them without tools. A choice
  // that asks for a call (`required`, a named tool) still goes, to be refused as OpenAI does.
  const choice = body.tool_choice;
  if (
    choice !== undefined &&
    (options.tools !== undefined || (choice !== 'auto' && choice !== 'none'))
  ) {
    const { toolChoice, tools } = convertToolChoice(choice, options.tools);
    options.toolChoice = toolChoice;
    if (tools !== undefined) options.tools = tools;
  }
  if (body.text?.format !== undefined && body.text.format.type !== 'text')
    options.responseFormat = convertFormat(body.text.format);
  if (body.text?.verbosity != null) options.verbosity = body.text.verbosity;
  const effort = body.reasoning?.effort;
  if (effort != null && effort !== 'none' && effort !== 'xhigh') options.reasoning = { effort };
  if (body.prompt_cache_key != null) options.promptCacheKey = body.prompt_cache_key;
  // `user` is the older name of `safety_identifier`.
  const identifier = body.safety_identifier ?? body.user;
  if (identifier != null) options.safetyIdentifier = identifier;
  return options;
}

/** What the response object echoes of a request, with OpenAI's defaults filled in. */
function settingsOf(body: OpenAIResponsesRequest): ResponseSettings {
  return {
    model: body.model,
    instructions: body.instructions ?? null,
    tools: (body.tools ?? []).map((tool) => ({
      type: 'function',
      name: tool.name,
      description: tool.description ?? null,
      parameters: tool.parameters ?? null,
      strict: tool.strict ?? null,
    })),
    tool_choice: body.tool_choice ?? 'auto',
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    temperature: body.temperature ?? null,
    top_p: body.top_p ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    metadata: body.metadata ?? {},
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: body.reasoning?.effort ?? null, summary: null },
    text: {
      format: body.text?.format ?? { type: 'text' },
      verbosity: body.text?.verbosity ?? 'medium',
    },
    truncation: body.truncation ?? 'disabled',
    store: body.store ?? true,
    background: body.background ?? false,
    service_tier: body.service_tier ?? 'auto',
    safety_identifier: body.safety_identifier ?? null,
    prompt_cache_key: body.prompt_cache_key ?? null,
    ...(body.user !== undefined ? { user: body.user } : {}),
    encrypted_reasoning: (body.include ?? []).includes(encryptedReasoning),
  };
}

/** Reads a validated Responses request into the neutral model. */
export function convertOpenAIResponsesRequest(body: OpenAIResponsesRequest): OpenAIResponsesCall {
  refuseUncarried(body);
  const input = body.input === undefined ? [] : convertOpenAIResponsesInput(body.input);
  if (input.length === 0) {
    throw new ClientError('invalid_request', '"input" needs at least one item');
  }
  const call: OpenAIResponsesCall = {
    model: body.model,
    stream: body.stream === true,
    background: body.background === true,
    store: body.store !== false,
    input,
    options: optionsOf(body),
    settings: settingsOf(body),
  };
  if (body.previous_response_id != null) call.previousResponseId = body.previous_response_id;
  if (body.instructions != null && body.instructions !== '') call.instructions = body.instructions;
  return call;
}

/**
 * The neutral request of a turn: the instructions first, then the earlier turns (from
 * `previous_response_id`), then this turn's input.
 */
export function chatRequestOfTurn(
  call: Pick<OpenAIResponsesCall, 'instructions' | 'input' | 'options'>,
  history: readonly ChatMessage[] = [],
): ChatRequest {
  const messages: ChatMessage[] = [];
  if (call.instructions !== undefined)
    messages.push({ role: 'system', content: call.instructions });
  messages.push(...history, ...call.input);
  return { messages, ...call.options };
}
