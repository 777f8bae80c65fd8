import type { JobRequest } from '@llmq/core';
import { z } from 'zod';

const textPartSchema = z.object({ type: z.literal('text'), text: z.string() });

const messageSchema = z.object({
  // `developer` is OpenAI's newer name for `system`.
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string(), z.array(textPartSchema).min(1)]),
  name: z.string().max(64).optional(),
});

/**
 * Body of `POST /v1/chat/completions`: OpenAI's request shape, the parts llmq runs.
 * Sampling fields llmq cannot honour but that change nothing essential (`user`,
 * `presence_penalty`, `frequency_penalty`, `logit_bias`, `logprobs: false`, `parallel_tool_calls`,
 * `store`, `service_tier`) are accepted and ignored, as drop-in clients send them by default;
 * anything else unknown (tools, `n > 1`, JSON mode …) is refused with 400 rather than silently
 * dropped.
 */
export const chatCompletionsRequestSchema = z
  .object({
    model: z.string().min(1).max(200),
    messages: z.array(messageSchema).min(1).max(1000),
    stream: z.boolean().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().min(0).max(1).nullable().optional(),
    max_tokens: z.number().int().min(1).max(1_000_000).nullable().optional(),
    max_completion_tokens: z.number().int().min(1).max(1_000_000).nullable().optional(),
    stop: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1).max(4)])
      .nullable()
      .optional(),
    seed: z.number().int().nullable().optional(),
    n: z.literal(1).nullable().optional(),
    metadata: z.record(z.string().min(1).max(64), z.string().max(512)).nullable().optional(),
    user: z.string().optional(),
    presence_penalty: z.number().nullable().optional(),
    frequency_penalty: z.number().nullable().optional(),
    logit_bias: z.record(z.string(), z.number()).nullable().optional(),
    logprobs: z.literal(false).nullable().optional(),
    parallel_tool_calls: z.boolean().optional(),
    store: z.boolean().nullable().optional(),
    service_tier: z.string().nullable().optional(),
  })
  .strict();
export type ChatCompletionsRequest = z.infer<typeof chatCompletionsRequestSchema>;

/** The llmq job for an OpenAI chat request. */
export function toJobRequestFromChat(body: ChatCompletionsRequest): JobRequest {
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  return {
    model: body.model,
    messages: body.messages.map((message) => ({
      role: message.role === 'developer' ? 'system' : message.role,
      content:
        typeof message.content === 'string'
          ? message.content
          : message.content.map((part) => part.text).join('\n'),
    })),
    ...(body.temperature != null ? { temperature: body.temperature } : {}),
    ...(body.top_p != null ? { top_p: body.top_p } : {}),
    ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
    ...(body.stop != null ? { stop: body.stop } : {}),
    ...(body.seed != null ? { seed: body.seed } : {}),
    ...(body.metadata ? { metadata: body.metadata } : {}),
    priority: 5,
  };
}
