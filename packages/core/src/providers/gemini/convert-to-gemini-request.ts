import type { ChatRequest } from '../../messages/chat-request';
import { fitEffortBudget, reasoningBudgetFor } from '../../messages/reasoning-translation';
import type { ReasoningOptions, ToolChoice } from '../../messages/tool-definition';
import { UnsupportedParameterError } from '../../messages/unsupported-parameter-error';
import { convertToGeminiContents } from './convert-to-gemini-contents';
import { type Content, type GenerateContentConfig, geminiSdk, type ToolConfig } from './gemini-sdk';

/** What `models.generateContent` takes besides the model: the turns and the config. */
export interface GeminiRequest {
  contents: Content[];
  config: GenerateContentConfig;
}

/** Request fields of other providers that Gemini has no equivalent for: refused, never dropped. */
const unsupportedFields = [
  'n',
  'logprobs',
  'topLogprobs',
  'verbosity',
  'promptCacheKey',
  'safetyIdentifier',
] as const satisfies ReadonlyArray<keyof ChatRequest>;

/**
 * Converts a neutral chat request to a Gemini `generateContent` request: sampling in
 * `generationConfig` fields, tools as function declarations with JSON Schema parameters,
 * response formats as `responseMimeType` / `responseJsonSchema`, reasoning as
 * `thinkingConfig` (thoughts included, so they come back as reasoning parts).
 */
export function convertToGeminiRequest(modelId: string, request: ChatRequest): GeminiRequest {
  for (const field of unsupportedFields) {
    if (request[field] !== undefined) throw new UnsupportedParameterError(field, modelId);
  }
  // Gemini may call several functions in one turn and has no switch to stop it.
  // Gemini has no switch for parallel calls: a preference for one call (`preferOneToolCall`,
  // OpenAI's legacy functions) is not sent, and the legacy answer keeps the first call.
  if (request.parallelToolCalls === false) {
    throw new UnsupportedParameterError(
      'parallelToolCalls',
      modelId,
      '(false) is not supported by',
    );
  }
  const { systemInstruction, contents } = convertToGeminiContents(request.messages, modelId);
  const config: GenerateContentConfig = {};
  if (systemInstruction !== undefined) config.systemInstruction = systemInstruction;
  if (request.maxTokens !== undefined) config.maxOutputTokens = request.maxTokens;
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.topP !== undefined) config.topP = request.topP;
  if (request.topK !== undefined) config.topK = request.topK;
  if (request.presencePenalty !== undefined) config.presencePenalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) config.frequencyPenalty = request.frequencyPenalty;
  if (request.stop !== undefined) config.stopSequences = request.stop;
  if (request.seed !== undefined) config.seed = request.seed;
  if (request.tools !== undefined && request.tools.length > 0) {
    config.tools = [
      {
        functionDeclarations: request.tools.map((tool) => ({
          name: tool.name,
          ...(tool.description === undefined ? {} : { description: tool.description }),
          parametersJsonSchema: tool.parameters,
        })),
      },
    ];
  }
  if (request.toolChoice !== undefined) config.toolConfig = toolConfigOf(request.toolChoice);
  const format = request.responseFormat;
  if (format?.type === 'json_object') config.responseMimeType = 'application/json';
  if (format?.type === 'json_schema') {
    config.responseMimeType = 'application/json';
    config.responseJsonSchema = format.schema;
  }
  if (request.reasoning !== undefined) {
    const budget = thinkingBudgetOf(request.reasoning, request.maxTokens, modelId);
    config.thinkingConfig = {
      includeThoughts: true,
      ...(budget === undefined ? {} : { thinkingBudget: budget }),
    };
  }
  return { contents, config };
}

/**
 * Gemini's `thinkingBudget`: the client's own budget as given (Gemini judges it), or an
 * effort's, fitted under the client's `maxOutputTokens`, which counts the thoughts (Gemini 2.5):
 * an effort's budget at or over it would leave no room for the answer, and Gemini refuses that.
 * A limit too small for a thought and an answer refuses the effort by name. Undefined: no
 * budget (dynamic thinking).
 */
function thinkingBudgetOf(
  reasoning: ReasoningOptions,
  maxTokens: number | undefined,
  modelId: string,
): number | undefined {
  const budget = reasoningBudgetFor(reasoning);
  if (budget === undefined || reasoning.budgetTokens !== undefined || maxTokens === undefined)
    return budget;
  // A budget of 0 turns Gemini's thinking off: the smallest that thinks is 1.
  const fitted = fitEffortBudget(budget, maxTokens, 1);
  if (fitted === undefined)
    throw new UnsupportedParameterError(
      reasoning.adaptive ? 'thinking' : 'reasoning_effort',
      modelId,
      `needs more than 1 max output token (a thought and an answer), not ${maxTokens}, on`,
    );
  return fitted;
}

function toolConfigOf(choice: ToolChoice): ToolConfig {
  const { FunctionCallingConfigMode } = geminiSdk();
  if (choice === 'auto') return { functionCallingConfig: { mode: FunctionCallingConfigMode.AUTO } };
  if (choice === 'none') return { functionCallingConfig: { mode: FunctionCallingConfigMode.NONE } };
  if (choice === 'required')
    return { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY } };
  return {
    functionCallingConfig: {
      mode: FunctionCallingConfigMode.ANY,
      allowedFunctionNames: [choice.toolName],
    },
  };
}
