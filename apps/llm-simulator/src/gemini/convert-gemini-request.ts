import type {
  ChatRequest,
  LastTurn,
  ResponseFormat,
  ToolChoice,
  ToolResult,
} from '../chat/chat-request';
import type { Conversation } from '../generation/conversation';
import { lastTextOf } from '../generation/conversation';
import { messageFramingTokens, TOKENS_PER_REPLY } from '../generation/count-prompt-tokens';
import { countTextTokens } from '../generation/count-tokens';
import { replySeedMaterial } from '../generation/reply-seed';
import { countPdfPages, TOKENS_PER_PDF_PAGE } from '../media/count-media-tokens';
import { ASSUMED_IMAGE_SIZE, type ImageSize, readImageSize } from '../media/image-size';
import type { RefusedRequest } from '../model-call/model-route';
import { refuse } from '../model-call/refuse';
import type { ModelCapabilities } from '../profiles/model-profile';
import { FIVE_MINUTES_MS } from '../prompt-cache/prompt-cache';
import { PromptPrefix } from '../prompt-cache/prompt-prefix';
import { verifyThinking } from '../reasoning/thinking-signature';
import { checkFunctionCallSignatures } from './function-call-signatures';
import type { GeminiContent, GeminiPart, GenerateContentRequest } from './gemini-request-schema';
import { verifyTextPart } from './text-part-signatures';

/** Thinking tokens a reasoning model spends when the request sets no budget (dynamic thinking). */
const DEFAULT_THINKING_BUDGET = 1024;
/** Budgets the thinking levels stand for. */
const LEVEL_BUDGETS = { MINIMAL: 128, LOW: 1024, MEDIUM: 4096, HIGH: 16_384 } as const;

/** A checked generateContent request in provider-neutral form. */
export interface ConvertedGeminiRequest {
  chat: ChatRequest;
  inputTokens: number;
  /** Thinking tokens the model may spend; null when it does not think. */
  thinkingBudget: number | null;
  /** `thinkingConfig.includeThoughts`: thought summaries are returned as `thought` parts. */
  includeThoughts: boolean;
  /**
   * The prompt walked for implicit caching (tools, system instruction, each content, with a
   * breakpoint after each), as Gemini 2.5 caches repeated prompt prefixes by itself.
   */
  prefix: PromptPrefix;
}

/**
 * Gemini's published rule for an image's input tokens: 258 when both sides are at most 384 px,
 * else 258 per 768×768 tile.
 */
function geminiImageTokens(size: ImageSize): number {
  if (size.width <= 384 && size.height <= 384) return 258;
  return 258 * Math.ceil(size.width / 768) * Math.ceil(size.height / 768);
}

/** Checks `request` as the Gemini API would and converts it; a refusal when it would answer 400. */
export function convertGeminiRequest(
  request: GenerateContentRequest,
  capabilities: ModelCapabilities,
): ConvertedGeminiRequest | RefusedRequest {
  const config = request.generationConfig ?? {};
  if ((config.candidateCount ?? 1) > 1)
    return refuse(
      'The simulator answers one candidate per request.',
      'generation_config.candidate_count',
    );
  if (config.responseSchema !== undefined && config.responseJsonSchema !== undefined)
    return refuse(
      'responseSchema and responseJsonSchema cannot both be set.',
      'generation_config.response_schema',
    );
  const most = capabilities.maxOutputTokens;
  if (most !== undefined && config.maxOutputTokens !== undefined && config.maxOutputTokens > most)
    return refuse(
      `Unable to submit request because it has a maxOutputTokens value of ${config.maxOutputTokens} but the supported range is from 1 (inclusive) to ${most + 1} (exclusive). Update the value and try again.`,
      // Gemini names no field for this one (no BadRequest detail).
      null,
    );
  const schema = config.responseJsonSchema ?? config.responseSchema;
  if (schema !== undefined && config.responseMimeType !== 'application/json')
    return refuse(
      'response_mime_type must be application/json when a response schema is set.',
      'generation_config.response_mime_type',
    );
  const thinking = thinkingOf(config.thinkingConfig, capabilities);
  if (thinking !== null && 'refused' in thinking) return thinking;
  const functionDeclarations = (request.tools ?? []).flatMap((tool) => tool.functionDeclarations);
  if (functionDeclarations.length > 0 && !capabilities.tools)
    return refuse('Function calling is not enabled for this model.', 'tools');
  // The reasoning models stand for Gemini 3, which checks its function calls' signatures.
  if (capabilities.reasoning) {
    const unsigned = checkFunctionCallSignatures(request.contents);
    if (unsigned !== null) return unsigned;
  }

  const prefix = new PromptPrefix(`gemini\u0000${request.model}`, FIVE_MINUTES_MS);
  let inputTokens = TOKENS_PER_REPLY;
  if (request.tools !== undefined) {
    const toolTokens = countTextTokens(JSON.stringify(request.tools));
    inputTokens += toolTokens;
    prefix.add(request.tools, toolTokens);
  }
  if (schema !== undefined) inputTokens += countTextTokens(JSON.stringify(schema));
  const conversation: Array<readonly [string, string]> = [];
  if (request.systemInstruction !== undefined) {
    const walked = walkContent(
      request.systemInstruction,
      'system_instruction',
      capabilities,
      new Set(),
    );
    if ('refused' in walked) return walked;
    conversation.push(['system', walked.text]);
    const systemTokens = messageFramingTokens('system') + walked.tokens;
    inputTokens += systemTokens;
    prefix.add(request.systemInstruction, systemTokens);
    prefix.markBreakpoint();
  }
  let calledNames = new Set<string>();
  let results: ToolResult[] = [];
  for (const [index, content] of request.contents.entries()) {
    const role = content.role === 'model' ? 'assistant' : 'user';
    const walked = walkContent(content, `contents[${index}]`, capabilities, calledNames);
    if ('refused' in walked) return walked;
    for (const result of walked.results) conversation.push(['tool', result.content]);
    if (walked.text.length > 0 || walked.results.length === 0)
      conversation.push([role, walked.text]);
    const contentTokens = messageFramingTokens(role) + walked.tokens;
    inputTokens += contentTokens;
    prefix.add(content, contentTokens);
    prefix.markBreakpoint();
    calledNames = walked.calledNames;
    results = role === 'user' ? walked.results : [];
  }
  const lastTurn: LastTurn =
    results.length > 0
      ? { kind: 'tool-results', results }
      : { kind: 'user', text: lastTextOf(conversation as Conversation, 'user') };
  const stopSequences = config.stopSequences ?? [];
  const maxTokens = config.maxOutputTokens ?? null;
  const baseSeed = replySeedMaterial({
    model: request.model,
    conversation,
    temperature: config.temperature ?? null,
    topP: config.topP ?? null,
    seed: config.seed ?? null,
    maxTokens,
    stopSequences,
  });
  const extras = [request.tools, schema, config.responseMimeType].filter((field) => field != null);
  const chat: ChatRequest = {
    model: request.model,
    conversation,
    lastTurn,
    tools: functionDeclarations.map((declaration) => ({
      name: declaration.name,
      inputSchema: declaration.parametersJsonSchema ??
        declaration.parameters ?? { type: 'object', properties: {} },
    })),
    toolChoice: toolChoiceOf(request.toolConfig?.functionCallingConfig),
    // Gemini has no switch for parallel calls: it may call several functions in one turn.
    parallelToolCalls: true,
    responseFormat: responseFormatOf(config.responseMimeType, schema),
    maxTokens,
    stopSequences,
    seedMaterial: extras.length === 0 ? baseSeed : `${baseSeed}\u0000${JSON.stringify(extras)}`,
  };
  return {
    chat,
    inputTokens,
    thinkingBudget: thinking?.budget ?? null,
    includeThoughts: config.thinkingConfig?.includeThoughts === true,
    prefix,
  };
}

type ThinkingConfig = NonNullable<
  NonNullable<GenerateContentRequest['generationConfig']>['thinkingConfig']
>;

function thinkingOf(
  config: ThinkingConfig | undefined,
  capabilities: ModelCapabilities,
): { budget: number } | RefusedRequest | null {
  if (!capabilities.reasoning) {
    const asksForThinking =
      config !== undefined &&
      ((config.thinkingBudget ?? 0) !== 0 ||
        config.includeThoughts === true ||
        config.thinkingLevel !== undefined);
    return asksForThinking
      ? refuse('Thinking is not supported by this model.', 'generation_config.thinking_config')
      : null;
  }
  if (config?.thinkingBudget !== undefined && config.thinkingLevel !== undefined)
    return refuse(
      'thinking_budget and thinking_level cannot both be set.',
      'generation_config.thinking_config',
    );
  if (config?.thinkingBudget === 0) return null;
  if (config?.thinkingLevel !== undefined) return { budget: LEVEL_BUDGETS[config.thinkingLevel] };
  const budget = config?.thinkingBudget ?? -1;
  return { budget: budget === -1 ? DEFAULT_THINKING_BUDGET : budget };
}

interface WalkedContent {
  text: string;
  tokens: number;
  results: ToolResult[];
  /** Names of the functions this content calls. */
  calledNames: Set<string>;
}

function walkContent(
  content: GeminiContent,
  path: string,
  capabilities: ModelCapabilities,
  previousCalls: ReadonlySet<string>,
): WalkedContent | RefusedRequest {
  const walked: WalkedContent = { text: '', tokens: 0, results: [], calledNames: new Set() };
  const texts: string[] = [];
  for (const [index, part] of content.parts.entries()) {
    const partPath = `${path}.parts[${index}]`;
    const tokens = partTokens(part, partPath, capabilities);
    if (typeof tokens !== 'number') return tokens;
    walked.tokens += tokens;
    if (part.thought === true) {
      if (
        part.thoughtSignature !== undefined &&
        !verifyThinking(part.text ?? '', part.thoughtSignature)
      )
        return refuse(
          `${partPath}: Thought signature is not valid.`,
          `${partPath}.thought_signature`,
        );
      continue;
    }
    if (part.text !== undefined) {
      if (part.thoughtSignature !== undefined && !verifyTextPart(part.text, part.thoughtSignature))
        return refuse(
          `${partPath}: Thought signature is not valid.`,
          `${partPath}.thought_signature`,
        );
      texts.push(part.text);
    }
    if (part.functionCall !== undefined) {
      walked.calledNames.add(part.functionCall.name);
      texts.push(`${part.functionCall.name}(${JSON.stringify(part.functionCall.args ?? {})})`);
    }
    if (part.functionResponse !== undefined) {
      const { name, response } = part.functionResponse;
      if (!previousCalls.has(name))
        return refuse(
          `${partPath}: Please ensure that function response turn comes immediately after a function call turn, and names a function that turn called.`,
          `${partPath}.function_response`,
        );
      const isError = response.error !== undefined && response.output === undefined;
      const value = isError ? response.error : (response.output ?? response);
      walked.results.push({
        toolName: name,
        content: typeof value === 'string' ? value : JSON.stringify(value),
        isError,
      });
    }
  }
  walked.text = texts.join('\n');
  return walked;
}

function partTokens(
  part: GeminiPart,
  path: string,
  capabilities: ModelCapabilities,
): number | RefusedRequest {
  if (part.text !== undefined) return countTextTokens(part.text);
  if (part.functionCall !== undefined) return countTextTokens(JSON.stringify(part.functionCall));
  if (part.functionResponse !== undefined)
    return countTextTokens(JSON.stringify(part.functionResponse.response));
  if (part.fileData !== undefined)
    return refuse(
      `${path}: the simulator has no Files API; send the data inline.`,
      `${path}.file_data`,
    );
  const inline = part.inlineData;
  if (inline === undefined) return 0;
  if (inline.mimeType.startsWith('image/')) {
    if (!capabilities.vision)
      return refuse(`${path}: this model does not support image input.`, path);
    return geminiImageTokens(readImageSize(inline.data) ?? ASSUMED_IMAGE_SIZE);
  }
  if (inline.mimeType === 'application/pdf') {
    if (!capabilities.documents)
      return refuse(`${path}: this model does not support document input.`, path);
    return countPdfPages(inline.data) * TOKENS_PER_PDF_PAGE;
  }
  return refuse(
    `${path}: Unsupported MIME type: ${inline.mimeType}`,
    `${path}.inline_data.mime_type`,
  );
}

type FunctionCallingConfig = NonNullable<
  NonNullable<GenerateContentRequest['toolConfig']>['functionCallingConfig']
>;

function toolChoiceOf(config: FunctionCallingConfig | undefined): ToolChoice {
  switch (config?.mode) {
    case 'NONE':
      return { type: 'none' };
    case 'ANY': {
      const [only, ...others] = config.allowedFunctionNames ?? [];
      return only !== undefined && others.length === 0
        ? { type: 'tool', name: only }
        : { type: 'required' };
    }
    default:
      return { type: 'auto' };
  }
}

function responseFormatOf(
  mimeType: string | undefined,
  schema: Record<string, unknown> | undefined,
): ResponseFormat {
  if (schema !== undefined)
    return { type: 'json_schema', schema, param: 'generation_config.response_schema' };
  return mimeType === 'application/json' ? { type: 'json_object' } : { type: 'text' };
}
