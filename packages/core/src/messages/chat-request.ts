import { z } from 'zod';
import { chatMessageSchema } from './chat-message';
import {
  reasoningOptionsSchema,
  responseFormatSchema,
  toolChoiceSchema,
  toolDefinitionSchema,
} from './tool-definition';

/**
 * The provider-neutral chat request: the conversation and every option a provider may take.
 * The dialect converters (`dialects/…`) build it from a wire request; the provider adapters
 * turn it into their provider's request, refusing (never dropping) what the model cannot take.
 */
export const chatRequestSchema = z
  .object({
    /** The conversation; a bare prompt arrives as one user message. */
    messages: z.array(chatMessageSchema).min(1),
    /** Upper bound on generated tokens (reasoning included). Anthropic requires one; adapters default it. */
    maxTokens: z.number().int().positive().optional(),
    /** Sampling temperature, 0–2. */
    temperature: z.number().optional(),
    /** Nucleus sampling, 0–1. */
    topP: z.number().optional(),
    /** Sample from the K likeliest tokens only (Anthropic `top_k`, Gemini `topK`; OpenAI has none). */
    topK: z.number().int().min(0).optional(),
    /** Penalty, −2–2, on tokens already present (OpenAI `presence_penalty`, Gemini `presencePenalty`). */
    presencePenalty: z.number().min(-2).max(2).optional(),
    /** Penalty, −2–2, growing with a token's count so far (OpenAI `frequency_penalty`, Gemini `frequencyPenalty`). */
    frequencyPenalty: z.number().min(-2).max(2).optional(),
    /** Stop sequences (at most 4 for OpenAI). */
    stop: z.array(z.string()).optional(),
    /** Sampling seed (OpenAI only). */
    seed: z.number().int().optional(),
    tools: z.array(toolDefinitionSchema).optional(),
    toolChoice: toolChoiceSchema.optional(),
    /** false: at most one tool call per turn (OpenAI `parallel_tool_calls`, Anthropic `disable_parallel_tool_use`). */
    parallelToolCalls: z.boolean().optional(),
    /**
     * Ask for one tool call per turn where the model can be asked without refusing (as
     * `parallelToolCalls: false`, which takes precedence when set); a model that cannot (Gemini,
     * servers that refuse `parallel_tool_calls`) is called without it, and the caller answers
     * its first call. OpenAI's legacy `functions` set it: their answer has room for one call.
     */
    preferOneToolCall: z.literal(true).optional(),
    responseFormat: responseFormatSchema.optional(),
    reasoning: reasoningOptionsSchema.optional(),
    /** OpenAI `verbosity` of the answer (GPT-5 family). */
    verbosity: z.enum(['low', 'medium', 'high']).optional(),
    /** OpenAI `prompt_cache_key`: requests sharing a key share cached prefixes. */
    promptCacheKey: z.string().min(1).max(1024).optional(),
    /** Number of answers (OpenAI `n`). */
    n: z.number().int().min(1).max(128).optional(),
    /** Return log probabilities of the output tokens (OpenAI `logprobs`). */
    logprobs: z.boolean().optional(),
    /** How many alternatives per token (OpenAI `top_logprobs`, 0–20; needs `logprobs`). */
    topLogprobs: z.number().int().min(0).max(20).optional(),
    /** A stable id of the end user (OpenAI `safety_identifier`, Anthropic `metadata.user_id`). */
    safetyIdentifier: z.string().min(1).max(256).optional(),
  })
  .strict();
export type ChatRequest = z.infer<typeof chatRequestSchema>;
