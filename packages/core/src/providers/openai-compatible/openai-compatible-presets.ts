import { z } from 'zod';
import type { ChatRequest } from '../../messages/chat-request';
import { UnsupportedParameterError } from '../../messages/unsupported-parameter-error';

/** The OpenAI-compatible servers llmq knows the defaults and quirks of. */
export const openAICompatiblePresetSchema = z.enum([
  'vllm',
  'ollama',
  'groq',
  'mistral',
  'deepseek',
  'together',
]);
export type OpenAICompatiblePresetName = z.infer<typeof openAICompatiblePresetSchema>;

/** Request fields a server may refuse or ignore (ChatRequest names). */
export const refusableParameterSchema = z.enum([
  'n',
  'seed',
  'logprobs',
  'topLogprobs',
  'toolChoice',
  'parallelToolCalls',
  'responseFormat',
  'reasoning',
  'verbosity',
  'promptCacheKey',
  'safetyIdentifier',
]);
export type RefusableParameter = z.infer<typeof refusableParameterSchema> & keyof ChatRequest;

/**
 * The tool call ids a server takes in a conversation: `openai` (at most 40 characters, the
 * default), or `alphanumeric-9` (exactly 9 letters or digits: Mistral's API, and Mistral chat
 * templates served by vLLM or Ollama). Ids that break the rule are sent as stand-ins.
 */
export const toolCallIdRuleNameSchema = z.enum(['openai', 'alphanumeric-9']);
export type ToolCallIdRuleName = z.infer<typeof toolCallIdRuleNameSchema>;

/**
 * Request fields a server names otherwise than OpenAI: the OpenAI name → the server's. Only
 * renames of the same meaning belong here (Mistral's `random_seed` is OpenAI's `seed`).
 */
export interface RenamedRequestFields {
  seed?: 'random_seed';
}

/** What a preset fills in for an `openai-compatible` account. */
export interface OpenAICompatiblePreset {
  /** The base URL used when the account names none. */
  baseURL: string;
  /** The environment variable llmq's apps read this server's key from; absent for local servers. */
  apiKeyEnv?: string;
  /**
   * Fields the server refuses with an error, or accepts and ignores: llmq refuses them with
   * 400 `unsupported_parameter` before any call, never sends them to be dropped.
   */
  refusedParameters: readonly RefusableParameter[];
  /** The server's tool call id rule, when not OpenAI's. */
  toolCallIds?: ToolCallIdRuleName;
  /** Fields the server takes under another name; sent under that name. */
  renamedFields?: RenamedRequestFields;
}

/** OpenAI-only fields no other server implements. */
const openAIOnly = ['verbosity', 'promptCacheKey', 'safetyIdentifier'] as const;

/**
 * The presets (documented in docs/providers.md). Quirks come from each server's OpenAI
 * compatibility documentation: a field listed there as unsupported or ignored is refused here.
 */
export const openAICompatiblePresets: Readonly<
  Record<OpenAICompatiblePresetName, OpenAICompatiblePreset>
> = {
  vllm: { baseURL: 'http://localhost:8000/v1', refusedParameters: [...openAIOnly] },
  ollama: {
    baseURL: 'http://localhost:11434/v1',
    refusedParameters: ['n', 'logprobs', 'topLogprobs', 'toolChoice', ...openAIOnly],
  },
  groq: {
    baseURL: 'https://api.groq.com/openai/v1',
    apiKeyEnv: 'GROQ_API_KEY',
    refusedParameters: ['n', 'logprobs', 'topLogprobs', ...openAIOnly],
  },
  mistral: {
    baseURL: 'https://api.mistral.ai/v1',
    apiKeyEnv: 'MISTRAL_API_KEY',
    refusedParameters: ['logprobs', 'topLogprobs', ...openAIOnly],
    // "Tool call id was … but must be a-z, A-Z, 0-9, with a length of 9."
    toolCallIds: 'alphanumeric-9',
    // Mistral names the seed `random_seed` and refuses `seed` (422 `extra_forbidden`).
    renamedFields: { seed: 'random_seed' },
  },
  deepseek: {
    baseURL: 'https://api.deepseek.com/v1',
    apiKeyEnv: 'DEEPSEEK_API_KEY',
    refusedParameters: ['n', 'seed', 'parallelToolCalls', ...openAIOnly],
  },
  together: {
    baseURL: 'https://api.together.xyz/v1',
    apiKeyEnv: 'TOGETHER_API_KEY',
    refusedParameters: ['parallelToolCalls', ...openAIOnly],
  },
};

/** Throws {@link UnsupportedParameterError} for the first refused field the request sets. */
export function refuseParameters(
  request: ChatRequest,
  refused: readonly RefusableParameter[],
  modelId: string,
): void {
  for (const field of refused) {
    if (request[field] !== undefined) throw new UnsupportedParameterError(field, modelId);
  }
}

/** The request body with each renamed field moved under the server's name. */
export function renameFields<Body extends Record<string, unknown>>(
  body: Body,
  renamed: RenamedRequestFields | undefined,
): Record<string, unknown> {
  if (renamed === undefined) return body;
  const sent: Record<string, unknown> = { ...body };
  for (const [field, name] of Object.entries(renamed)) {
    if (name === undefined || sent[field] === undefined) continue;
    sent[name] = sent[field];
    delete sent[field];
  }
  return sent;
}
