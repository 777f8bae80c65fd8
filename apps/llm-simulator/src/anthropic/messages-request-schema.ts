import { z } from 'zod';

const contentBlockSchema = z.looseObject({ type: z.string(), text: z.string().optional() });
const contentSchema = z.union([z.string(), z.array(contentBlockSchema)]);

/** The body of `POST /v1/messages` (fields the simulator does not use are ignored). */
export const messagesRequestSchema = z.object({
  model: z.string().min(1),
  max_tokens: z.number().int().min(1),
  messages: z
    .array(z.looseObject({ role: z.enum(['user', 'assistant']), content: contentSchema }))
    .min(1),
  system: contentSchema.optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  stop_sequences: z.array(z.string()).optional(),
  stream: z.boolean().optional(),
});

export type MessagesRequest = z.infer<typeof messagesRequestSchema>;

/** The text of a content field: the string, or its text blocks joined by newlines. */
export function anthropicContentText(content: z.infer<typeof contentSchema>): string {
  if (typeof content === 'string') return content;
  return content
    .filter((block) => typeof block.text === 'string')
    .map((block) => block.text)
    .join('\n');
}
