import { z } from 'zod';
import { openAiSamplingFields } from './openai-sampling-schema';

const contentPartSchema = z.looseObject({ type: z.string(), text: z.string().optional() });

const chatMessageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(contentPartSchema), z.null()]).optional(),
  name: z.string().optional(),
});

/** The body of `POST /v1/chat/completions` (fields the simulator does not use are ignored). */
export const chatCompletionRequestSchema = z.object({
  model: z.string().min(1),
  messages: z.array(chatMessageSchema).min(1),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  ...openAiSamplingFields,
});

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;
export type ChatMessageContent = z.infer<typeof chatMessageSchema>['content'];

/** The text of a message's content: the string, or its text parts joined by newlines. */
export function chatContentText(content: ChatMessageContent): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content
    .filter((part) => typeof part.text === 'string')
    .map((part) => part.text)
    .join('\n');
}
