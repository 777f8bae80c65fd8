import type { JobRequest } from '@llmq/core';
import { z } from 'zod';

const textBlockSchema = z.object({
  type: z.literal('text'),
  text: z.string(),
  cache_control: z.unknown().optional(),
});

const messageSchema = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.union([z.string(), z.array(textBlockSchema).min(1)]),
});

/**
 * Body of `POST /v1/messages`: Anthropic's request shape, the parts llmq runs. `top_k`,
 * `metadata` and `service_tier` are accepted and ignored; anything else unknown (tools,
 * images, thinking …) is refused with 400 rather than silently dropped.
 */
export const messagesRequestSchema = z
  .object({
    model: z.string().min(1).max(200),
    max_tokens: z.number().int().min(1).max(1_000_000),
    messages: z.array(messageSchema).min(1).max(1000),
    system: z.union([z.string(), z.array(textBlockSchema)]).optional(),
    stream: z.boolean().optional(),
    temperature: z.number().min(0).max(1).optional(),
    top_p: z.number().min(0).max(1).optional(),
    top_k: z.number().int().min(0).optional(),
    stop_sequences: z.array(z.string().min(1)).min(1).max(4).optional(),
    metadata: z.object({ user_id: z.string().nullable().optional() }).optional(),
    service_tier: z.string().optional(),
  })
  .strict();
export type MessagesRequest = z.infer<typeof messagesRequestSchema>;

/** Blocks join with a newline, as Anthropic joins system blocks: never glued together. */
function textOf(content: string | Array<{ text: string }>): string {
  return typeof content === 'string' ? content : content.map((block) => block.text).join('\n');
}

/** The llmq job for an Anthropic messages request (the system prompt becomes the first message). */
export function toJobRequestFromMessages(body: MessagesRequest): JobRequest {
  const system = body.system === undefined ? '' : textOf(body.system);
  return {
    model: body.model,
    messages: [
      ...(system !== '' ? [{ role: 'system' as const, content: system }] : []),
      ...body.messages.map((message) => ({ role: message.role, content: textOf(message.content) })),
    ],
    max_tokens: body.max_tokens,
    ...(body.temperature !== undefined ? { temperature: body.temperature } : {}),
    ...(body.top_p !== undefined ? { top_p: body.top_p } : {}),
    ...(body.stop_sequences !== undefined ? { stop: body.stop_sequences } : {}),
    priority: 5,
  };
}
