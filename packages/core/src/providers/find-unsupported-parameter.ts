import type { ChatRequest } from '../messages/chat-request';
import {
  isUnsupportedParameterError,
  type UnsupportedParameterError,
} from '../messages/unsupported-parameter-error';
import { convertToAnthropicMessagesRequest } from './anthropic/convert-to-anthropic-messages-request';
import { convertToGeminiRequest } from './gemini/convert-to-gemini-request';
import type { ModelTraits } from './model-traits';
import { convertToOpenAIChatRequest } from './openai/convert-to-openai-chat-request';
import {
  type OpenAICompatiblePresetName,
  openAICompatiblePresets,
  type RefusableParameter,
  refuseParameters,
} from './openai-compatible/openai-compatible-presets';
import { defaultAnthropicMaxTokens, type ProviderKind } from './provider';

/** What decides which fields an account's models take: its kind, and a server's own refusals. */
export interface AccountParameterRules {
  kind: ProviderKind;
  /** An OpenAI-compatible server's preset (its refused fields). */
  preset?: OpenAICompatiblePresetName;
  /** Fields refused on top of the preset's. */
  refusedParameters?: readonly RefusableParameter[];
}

/** What the catalog says of the model a request is checked for. */
export interface CheckedModel {
  /** Its most output and ways of thinking (Claude's); absent: not checked. */
  traits?: ModelTraits;
  /**
   * The `max_tokens` its account sends Anthropic when a request names none, as routing and
   * reservations count it (`ModelCatalog.maxTokensDefaultOf`: the account's
   * `maxTokensDefault`, `ANTHROPIC_MAX_TOKENS_DEFAULT`); absent, the adapter's 4,096, as
   * `sentMaxTokens` falls back. (Which requests are refused does not depend on it today, but
   * the conversion run is the adapter's with the account's settings.)
   */
  maxTokensDefault?: number;
}

/**
 * {@link findUnsupportedParameter} for one account: an OpenAI-compatible server's refused fields
 * (its preset's and its own) first, as its adapter checks them, then the kind's converter.
 */
export function findAccountUnsupportedParameter(
  account: AccountParameterRules,
  modelId: string,
  request: ChatRequest,
  model: CheckedModel = {},
): UnsupportedParameterError | undefined {
  if (account.kind === 'openai-compatible') {
    const preset =
      account.preset === undefined ? [] : openAICompatiblePresets[account.preset].refusedParameters;
    try {
      refuseParameters(request, [...preset, ...(account.refusedParameters ?? [])], modelId);
    } catch (error) {
      if (isUnsupportedParameterError(error)) return error;
      throw error;
    }
  }
  return findUnsupportedParameter(account.kind, modelId, request, model);
}

/**
 * The first field of `request` a model of this provider kind cannot take, found by running
 * the adapter's own request converter, so a submit can be refused with 400
 * `unsupported_parameter` before anything is enqueued. Undefined when the model can take it all.
 */
export function findUnsupportedParameter(
  kind: ProviderKind,
  modelId: string,
  request: ChatRequest,
  model: CheckedModel = {},
): UnsupportedParameterError | undefined {
  try {
    switch (kind) {
      case 'openai':
      case 'azure-openai':
        convertToOpenAIChatRequest(modelId, request, { maxTokensField: 'max_completion_tokens' });
        return undefined;
      case 'openai-compatible':
        convertToOpenAIChatRequest(modelId, request, { maxTokensField: 'max_tokens' });
        return undefined;
      case 'anthropic':
        convertToAnthropicMessagesRequest(modelId, request, {
          maxTokensDefault: model.maxTokensDefault ?? defaultAnthropicMaxTokens,
          ...(model.traits === undefined ? {} : { traits: model.traits }),
        });
        return undefined;
      case 'gemini':
        convertToGeminiRequest(modelId, request);
        return undefined;
      default: {
        const unreachable: never = kind;
        throw new Error(`unknown provider kind ${String(unreachable)}`);
      }
    }
  } catch (error) {
    if (isUnsupportedParameterError(error)) return error;
    throw error;
  }
}
