import type Anthropic from '@anthropic-ai/sdk';
import type { ChatMessage } from '../../messages/chat-message';
import type { ResponseFormat, ToolChoice } from '../../messages/tool-definition';
import { UnsupportedParameterError } from '../../messages/unsupported-parameter-error';
import type { GenerateRequest } from '../language-model';
import type { ModelTraits } from '../model-traits';
import { parallelToolCallsToSend } from '../parallel-tool-calls';
import { anthropicToolCallIds, fitToolCallIds } from '../tool-call-id-rules';
import { anthropicThinkingOf } from './anthropic-thinking';
import {
  convertAssistantPart,
  convertTextPart,
  convertToolResultPart,
  convertUserPart,
} from './convert-to-anthropic-content';

/** The Messages API request body, minus `stream`. */
export type AnthropicMessagesRequestBody = Omit<
  Anthropic.MessageCreateParamsNonStreaming,
  'stream'
> & {
  /**
   * Sampling parameters the Messages API takes (`temperature` and `top_p` 0–1, with thinking
   * on `temperature` only 1 and no `top_k`) though the pinned `@anthropic-ai/sdk` 1.x types no
   * longer list them; the SDK sends the body as given.
   */
  temperature?: number;
  top_p?: number;
  top_k?: number;
};

export interface AnthropicMessagesRequestOptions {
  /** `max_tokens` when the request names no limit; Anthropic requires one. */
  maxTokensDefault: number;
  /** What the catalog says of the model (its most output, how it thinks); absent: unchecked. */
  traits?: ModelTraits;
}

type Turn = { role: 'user' | 'assistant'; content: string | Anthropic.ContentBlockParam[] };

function blocksOf(content: Turn['content']): Anthropic.ContentBlockParam[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}

/** One non-system message as an Anthropic turn: tool results go back in a user turn. */
function convertTurn(
  message: Exclude<ChatMessage, { role: 'system' }>,
  index: number,
  modelId: string,
): Turn {
  const path = `messages[${index}]`;
  if (message.role !== 'tool' && message.name !== undefined) {
    throw new UnsupportedParameterError(`${path}.name`, modelId);
  }
  const context = (partIndex: number) => ({ path: `${path}.content[${partIndex}]`, modelId });
  switch (message.role) {
    case 'user':
      return {
        role: 'user',
        content:
          typeof message.content === 'string'
            ? message.content
            : message.content.map((part, partIndex) => convertUserPart(part, context(partIndex))),
      };
    case 'assistant':
      return {
        role: 'assistant',
        content:
          typeof message.content === 'string'
            ? message.content
            : message.content.map((part, partIndex) =>
                convertAssistantPart(part, context(partIndex)),
              ),
      };
    case 'tool':
      return {
        role: 'user',
        content: message.content.map((part, partIndex) =>
          convertToolResultPart(part, context(partIndex)),
        ),
      };
    default: {
      const unreachable: never = message;
      return unreachable;
    }
  }
}

/** System messages as `system`: one string when all are plain strings, else text blocks. */
function convertSystem(
  messages: Extract<ChatMessage, { role: 'system' }>[],
  modelId: string,
): AnthropicMessagesRequestBody['system'] {
  messages.forEach((message) => {
    if (message.name !== undefined) {
      throw new UnsupportedParameterError(`system message name "${message.name}"`, modelId);
    }
  });
  if (messages.every((message) => typeof message.content === 'string')) {
    return messages.map((message) => message.content as string).join('\n\n');
  }
  return messages.flatMap((message) =>
    typeof message.content === 'string'
      ? [{ type: 'text' as const, text: message.content }]
      : message.content.map(convertTextPart),
  );
}

function convertToolChoice(
  choice: ToolChoice | undefined,
  parallelToolCalls: boolean | undefined,
): Anthropic.ToolChoice | undefined {
  const disableParallel = parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined)
    return parallelToolCalls === false ? { type: 'auto', ...disableParallel } : undefined;
  if (choice === 'none') return { type: 'none' };
  if (choice === 'auto') return { type: 'auto', ...disableParallel };
  if (choice === 'required') return { type: 'any', ...disableParallel };
  return { type: 'tool', name: choice.toolName, ...disableParallel };
}

/** Structured output: a JSON schema as is; "any JSON object" as the schema of an object. */
function convertResponseFormat(format: ResponseFormat): Anthropic.OutputConfig | undefined {
  if (format.type === 'text') return undefined;
  const schema = format.type === 'json_schema' ? format.schema : { type: 'object' };
  return { format: { type: 'json_schema', schema } };
}

/** Options Anthropic has no way to express: refused by name, never dropped. */
function refuseInexpressible(request: GenerateRequest, modelId: string): void {
  const refused: Array<[string, unknown]> = [
    ['n', request.n !== undefined && request.n > 1 ? request.n : undefined],
    ['logprobs', request.logprobs === true ? true : undefined],
    ['top_logprobs', request.topLogprobs],
    ['prompt_cache_key', request.promptCacheKey],
    ['verbosity', request.verbosity],
    // Anthropic has no seed: its answers cannot be made reproducible.
    ['seed', request.seed],
    ['presence_penalty', request.presencePenalty],
    ['frequency_penalty', request.frequencyPenalty],
  ];
  for (const [parameter, value] of refused) {
    if (value !== undefined) throw new UnsupportedParameterError(parameter, modelId);
  }
}

/**
 * Converts a neutral request to the Messages API's shape:
 * - system messages, wherever they stand, go to `system` (plain strings joined by a blank
 *   line, parts kept as text blocks with their cache breakpoints);
 * - tool messages become user turns of `tool_result` blocks, and consecutive turns of one
 *   role merge, since Anthropic wants user and assistant turns to alternate;
 * - tools, tool choice, structured output (`output_config.format`), thinking and
 *   `metadata.user_id` are translated; what Anthropic cannot express (`seed` among them) is
 *   refused;
 * - `temperature`, `topP` and `topK` go as they are; the API itself refuses values it does not take
 *   (above 1, or a temperature other than 1 with thinking on), naming the field.
 */
export function convertToAnthropicMessagesRequest(
  modelId: string,
  request: GenerateRequest,
  options: AnthropicMessagesRequestOptions,
): AnthropicMessagesRequestBody {
  refuseInexpressible(request, modelId);
  const systemMessages: Extract<ChatMessage, { role: 'system' }>[] = [];
  const messages: Turn[] = [];
  fitToolCallIds(request.messages, anthropicToolCallIds).forEach((message, index) => {
    if (message.role === 'system') {
      systemMessages.push(message);
      return;
    }
    const turn = convertTurn(message, index, modelId);
    const previous = messages.at(-1);
    if (previous === undefined || previous.role !== turn.role) {
      messages.push(turn);
    } else if (typeof previous.content === 'string' && typeof turn.content === 'string') {
      previous.content = `${previous.content}\n\n${turn.content}`;
    } else {
      previous.content = [...blocksOf(previous.content), ...blocksOf(turn.content)];
    }
  });

  const thinking = anthropicThinkingOf(
    request,
    // Not `{ ...traits, id }`: a spread copy given a new key costs ~1 µs on Node 20.
    Object.assign({}, options.traits, { id: modelId }),
    options.maxTokensDefault,
  );
  const body: AnthropicMessagesRequestBody = {
    model: modelId,
    messages,
    max_tokens: thinking.maxTokens,
  };
  if (systemMessages.length > 0) body.system = convertSystem(systemMessages, modelId);
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.topK !== undefined) body.top_k = request.topK;
  if (request.stop !== undefined && request.stop.length > 0) body.stop_sequences = request.stop;
  if (request.tools !== undefined) {
    body.tools = request.tools.map((tool) => {
      const definition: Anthropic.Tool = {
        name: tool.name,
        input_schema: tool.parameters as Anthropic.Tool.InputSchema,
      };
      if (tool.description !== undefined) definition.description = tool.description;
      if (tool.strict !== undefined) definition.strict = tool.strict;
      if (tool.cacheControl !== undefined) definition.cache_control = { ...tool.cacheControl };
      return definition;
    });
  }
  const toolChoice = convertToolChoice(
    request.toolChoice,
    parallelToolCallsToSend(request, options.traits?.parallelToolCalls !== false),
  );
  if (toolChoice !== undefined) body.tool_choice = toolChoice;
  const outputConfig: Anthropic.OutputConfig = {
    ...(request.responseFormat && convertResponseFormat(request.responseFormat)),
    ...(thinking.effort === undefined ? {} : { effort: thinking.effort }),
  };
  if (Object.keys(outputConfig).length > 0) body.output_config = outputConfig;
  if (thinking.thinking !== undefined) body.thinking = thinking.thinking;
  if (request.safetyIdentifier !== undefined) body.metadata = { user_id: request.safetyIdentifier };
  return body;
}
