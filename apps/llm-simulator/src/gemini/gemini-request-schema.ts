import { z } from 'zod';

/**
 * Gemini API request bodies (v1beta REST, camelCase as `@google/genai` sends them). Objects
 * are strict: an unknown field is refused with a 400, as Google's JSON parser does.
 */

const jsonObjectSchema = z.record(z.string(), z.unknown());

/** One part of a content; exactly one data field (text, inlineData, …) per part. */
export const geminiPartSchema = z
  .object({
    text: z.string().optional(),
    inlineData: z
      .object({ mimeType: z.string().min(1), data: z.string().min(1) })
      .strict()
      .optional(),
    fileData: z
      .object({ mimeType: z.string().optional(), fileUri: z.string().min(1) })
      .strict()
      .optional(),
    functionCall: z
      .object({
        id: z.string().optional(),
        name: z.string().min(1),
        args: jsonObjectSchema.optional(),
      })
      .strict()
      .optional(),
    functionResponse: z
      .object({ id: z.string().optional(), name: z.string().min(1), response: jsonObjectSchema })
      .strict()
      .optional(),
    /** The part is the model's thought summary. */
    thought: z.boolean().optional(),
    /** Opaque signature of the model's thinking, sent back unchanged next turn. */
    thoughtSignature: z.string().optional(),
  })
  .strict()
  .refine(
    (part) =>
      [part.text, part.inlineData, part.fileData, part.functionCall, part.functionResponse].filter(
        (field) => field !== undefined,
      ).length === 1,
    'a part must have exactly one of text, inlineData, fileData, functionCall, functionResponse',
  );
export type GeminiPart = z.infer<typeof geminiPartSchema>;

export const geminiContentSchema = z
  .object({
    role: z.enum(['user', 'model']).optional(),
    parts: z.array(geminiPartSchema).min(1),
  })
  .strict();
export type GeminiContent = z.infer<typeof geminiContentSchema>;

const functionDeclarationSchema = z
  .object({
    name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/),
    description: z.string().optional(),
    /** OpenAPI-subset schema of the arguments. */
    parameters: jsonObjectSchema.optional(),
    /** JSON Schema of the arguments (instead of `parameters`). */
    parametersJsonSchema: jsonObjectSchema.optional(),
  })
  .strict();

const thinkingConfigSchema = z
  .object({
    includeThoughts: z.boolean().optional(),
    /** Thinking tokens; 0 turns thinking off, -1 lets the model decide. */
    thinkingBudget: z.number().int().min(-1).optional(),
    thinkingLevel: z.enum(['MINIMAL', 'LOW', 'MEDIUM', 'HIGH']).optional(),
  })
  .strict();

const generationConfigSchema = z
  .object({
    temperature: z.number().min(0).max(2).optional(),
    topP: z.number().min(0).max(1).optional(),
    topK: z.number().int().min(1).optional(),
    candidateCount: z.number().int().min(1).optional(),
    maxOutputTokens: z.number().int().min(1).optional(),
    stopSequences: z.array(z.string().min(1)).max(5).optional(),
    seed: z.number().int().optional(),
    presencePenalty: z.number().optional(),
    frequencyPenalty: z.number().optional(),
    responseMimeType: z.enum(['text/plain', 'application/json']).optional(),
    /** OpenAPI-subset schema of the answer. */
    responseSchema: jsonObjectSchema.optional(),
    /** JSON Schema of the answer (instead of `responseSchema`). */
    responseJsonSchema: jsonObjectSchema.optional(),
    thinkingConfig: thinkingConfigSchema.optional(),
  })
  .strict();

/** The body of `models/{model}:generateContent` and `:streamGenerateContent` (model from the path). */
export const generateContentRequestSchema = z
  .object({
    model: z.string().min(1),
    contents: z.array(geminiContentSchema).min(1),
    systemInstruction: geminiContentSchema.optional(),
    tools: z
      .array(z.object({ functionDeclarations: z.array(functionDeclarationSchema).min(1) }).strict())
      .optional(),
    toolConfig: z
      .object({
        functionCallingConfig: z
          .object({
            mode: z.enum(['MODE_UNSPECIFIED', 'AUTO', 'ANY', 'NONE', 'VALIDATED']).optional(),
            allowedFunctionNames: z.array(z.string().min(1)).optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    safetySettings: z
      .array(z.object({ category: z.string(), threshold: z.string() }).strict())
      .optional(),
    generationConfig: generationConfigSchema.optional(),
  })
  .strict();
export type GenerateContentRequest = z.infer<typeof generateContentRequestSchema>;

const embedTaskTypeSchema = z.enum([
  'TASK_TYPE_UNSPECIFIED',
  'RETRIEVAL_QUERY',
  'RETRIEVAL_DOCUMENT',
  'SEMANTIC_SIMILARITY',
  'CLASSIFICATION',
  'CLUSTERING',
  'QUESTION_ANSWERING',
  'FACT_VERIFICATION',
  'CODE_RETRIEVAL_QUERY',
]);

/** One `EmbedContentRequest`: text parts only. */
const embedContentShape = {
  content: z
    .object({
      role: z.string().optional(),
      parts: z.array(z.object({ text: z.string().min(1) }).strict()).min(1),
    })
    .strict(),
  taskType: embedTaskTypeSchema.optional(),
  title: z.string().optional(),
  outputDimensionality: z.number().int().min(1).max(4096).optional(),
};

/** The body of `models/{model}:embedContent`. */
export const embedContentRequestSchema = z
  .object({ model: z.string().min(1), ...embedContentShape })
  .strict();
export type EmbedContentRequest = z.infer<typeof embedContentRequestSchema>;

/** The body of `models/{model}:batchEmbedContents`; each request names the model again. */
export const batchEmbedContentsRequestSchema = z
  .object({
    model: z.string().min(1),
    requests: z
      .array(z.object({ model: z.string().min(1), ...embedContentShape }).strict())
      .min(1)
      .max(100),
  })
  .strict();
export type BatchEmbedContentsRequest = z.infer<typeof batchEmbedContentsRequestSchema>;
