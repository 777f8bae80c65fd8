import { z } from 'zod';
import {
  assistantContentPartSchema,
  textPartSchema,
  toolResultPartSchema,
  userContentPartSchema,
} from './content-part';

/** A participant name (OpenAI's message `name`): letters, digits, `_` and `-`. */
const nameSchema = z
  .string()
  .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'name: 1–64 letters, digits, "_" or "-"')
  .optional();

/**
 * One message of the provider-neutral model. A string `content` is shorthand for one text
 * part, so `{ role: 'user', content: 'hi' }` stays valid everywhere.
 */
export const chatMessageSchema = z.discriminatedUnion('role', [
  z
    .object({
      role: z.literal('system'),
      content: z.union([z.string(), z.array(textPartSchema).min(1)]),
      name: nameSchema,
    })
    .strict(),
  z
    .object({
      role: z.literal('user'),
      content: z.union([z.string(), z.array(userContentPartSchema).min(1)]),
      name: nameSchema,
    })
    .strict(),
  z
    .object({
      role: z.literal('assistant'),
      /** Empty (`[]`) only when the assistant turn was tool calls alone, as OpenAI allows. */
      content: z.union([z.string(), z.array(assistantContentPartSchema)]),
      name: nameSchema,
    })
    .strict(),
  z
    .object({
      role: z.literal('tool'),
      content: z.array(toolResultPartSchema).min(1),
    })
    .strict(),
]);
export type ChatMessage = z.infer<typeof chatMessageSchema>;
export type ChatRole = ChatMessage['role'];
export type SystemMessage = Extract<ChatMessage, { role: 'system' }>;
export type UserMessage = Extract<ChatMessage, { role: 'user' }>;
export type AssistantMessage = Extract<ChatMessage, { role: 'assistant' }>;
export type ToolMessage = Extract<ChatMessage, { role: 'tool' }>;

/**
 * A message whose content is one string, as stored jobs carry them today (prompt optimisation
 * edits this text directly).
 */
export type TextChatMessage = {
  [Role in Exclude<ChatRole, 'tool'>]: Omit<Extract<ChatMessage, { role: Role }>, 'content'> & {
    content: string;
  };
}[Exclude<ChatRole, 'tool'>];
