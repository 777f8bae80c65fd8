import { z } from 'zod';

/**
 * Content parts of the provider-neutral message model (compare vercel/ai's
 * `LanguageModelV2Prompt` parts). Field names are camelCase; the dialect converters map them
 * to each wire format's own names at the edge.
 */

/** An Anthropic prompt-cache breakpoint: the prefix up to and including this part is cached. */
export const cacheControlSchema = z
  .object({
    type: z.literal('ephemeral'),
    /** Cache lifetime; Anthropic's default is `5m`. */
    ttl: z.enum(['5m', '1h']).optional(),
  })
  .strict();
export type CacheControl = z.infer<typeof cacheControlSchema>;

/** Where the bytes of an image or document are: a URL the provider fetches, or inline base64. */
export const mediaSourceSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('url'), url: z.string().url() }).strict(),
  z
    .object({
      type: z.literal('base64'),
      /** IANA media type, e.g. `image/png`, `application/pdf`. */
      mediaType: z.string().min(1).max(200),
      data: z.string().min(1),
    })
    .strict(),
]);
export type MediaSource = z.infer<typeof mediaSourceSchema>;

export const textPartSchema = z
  .object({
    type: z.literal('text'),
    text: z.string(),
    cacheControl: cacheControlSchema.optional(),
  })
  .strict();
export type TextPart = z.infer<typeof textPartSchema>;

export const imagePartSchema = z
  .object({
    type: z.literal('image'),
    source: mediaSourceSchema,
    /** OpenAI's resolution hint; Anthropic has none and refuses it. */
    detail: z.enum(['auto', 'low', 'high']).optional(),
    cacheControl: cacheControlSchema.optional(),
  })
  .strict();
export type ImagePart = z.infer<typeof imagePartSchema>;

/** A document (PDF) given to the model as input. */
export const documentPartSchema = z
  .object({
    type: z.literal('document'),
    source: mediaSourceSchema,
    /** The file name, as OpenAI's `file.filename`. */
    filename: z.string().min(1).max(500).optional(),
    cacheControl: cacheControlSchema.optional(),
  })
  .strict();
export type DocumentPart = z.infer<typeof documentPartSchema>;

/**
 * The longest tool call id llmq carries. Ids are the providers' own (OpenAI's `call_…` is ~30
 * characters), but a Gemini 3 call's id seals its thought signature (see
 * `gemini-tool-call-id.ts`), encrypted context of hundreds of bytes to kilobytes: the bound is
 * far above that, and each adapter fits ids to its provider's own rule on the way out.
 */
export const maxToolCallIdLength = 32_768;

/** A call the assistant made to one of the request's tools. */
export const toolCallPartSchema = z
  .object({
    type: z.literal('tool-call'),
    toolCallId: z.string().min(1).max(maxToolCallIdLength),
    toolName: z.string().min(1).max(128),
    /** The arguments as JSON text (a JSON object), exactly as the model wrote them. */
    arguments: z.string(),
    cacheControl: cacheControlSchema.optional(),
  })
  .strict();
export type ToolCallPart = z.infer<typeof toolCallPartSchema>;

/** The outcome of a tool call, sent back to the model in a `tool` message. */
export const toolResultPartSchema = z
  .object({
    type: z.literal('tool-result'),
    toolCallId: z.string().min(1).max(maxToolCallIdLength),
    /** Text, or text and image parts (Anthropic takes images in a tool result; OpenAI text only). */
    content: z.union([z.string(), z.array(z.union([textPartSchema, imagePartSchema])).min(1)]),
    /** The tool failed; Anthropic's `is_error`. */
    isError: z.boolean().optional(),
    cacheControl: cacheControlSchema.optional(),
  })
  .strict();
export type ToolResultPart = z.infer<typeof toolResultPartSchema>;

/**
 * The model's reasoning ("thinking"). Sent back in the next turn so a multi-turn reasoning
 * conversation round-trips: `signature` is Anthropic's proof that the text is the model's own;
 * `redactedData` is an Anthropic `redacted_thinking` block (encrypted; `text` is then empty).
 */
export const reasoningPartSchema = z
  .object({
    type: z.literal('reasoning'),
    text: z.string(),
    signature: z.string().optional(),
    redactedData: z.string().optional(),
  })
  .strict();
export type ReasoningPart = z.infer<typeof reasoningPartSchema>;

export const userContentPartSchema = z.discriminatedUnion('type', [
  textPartSchema,
  imagePartSchema,
  documentPartSchema,
]);
export type UserContentPart = z.infer<typeof userContentPartSchema>;

export const assistantContentPartSchema = z.discriminatedUnion('type', [
  textPartSchema,
  reasoningPartSchema,
  toolCallPartSchema,
]);
export type AssistantContentPart = z.infer<typeof assistantContentPartSchema>;

/** Every content part, of whatever role. */
export type ContentPart =
  | TextPart
  | ImagePart
  | DocumentPart
  | ToolCallPart
  | ToolResultPart
  | ReasoningPart;
