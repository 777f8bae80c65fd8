import { z } from 'zod';
import { jsonSchemaObjectSchema } from '../../messages/tool-definition';
import {
  responsesTextFormatSchema,
  responsesToolChoiceSchema,
} from './openai-responses-request-schema';

/**
 * What a Responses API response object echoes of its request (OpenAI's defaults filled in),
 * stored with the response so `GET /v1/responses/:id` answers as the create did, and carried
 * by a `/v1/responses` batch line to its output line. snake_case: it is the wire's own shape.
 */
export const responseSettingsSchema = z.object({
  model: z.string(),
  instructions: z.string().nullable(),
  tools: z.array(
    z.object({
      type: z.literal('function'),
      name: z.string(),
      description: z.string().nullable(),
      parameters: jsonSchemaObjectSchema.nullable(),
      strict: z.boolean().nullable(),
    }),
  ),
  tool_choice: responsesToolChoiceSchema,
  parallel_tool_calls: z.boolean(),
  temperature: z.number().nullable(),
  top_p: z.number().nullable(),
  max_output_tokens: z.number().nullable(),
  metadata: z.record(z.string(), z.string()),
  previous_response_id: z.string().nullable(),
  reasoning: z.object({
    effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullable(),
    summary: z.null(),
  }),
  text: z.object({
    format: responsesTextFormatSchema,
    verbosity: z.enum(['low', 'medium', 'high']),
  }),
  truncation: z.enum(['auto', 'disabled']),
  store: z.boolean(),
  background: z.boolean(),
  service_tier: z.enum(['auto', 'default', 'flex', 'scale', 'priority']),
  safety_identifier: z.string().nullable(),
  prompt_cache_key: z.string().nullable(),
  user: z.string().optional(),
  /** `include: ["reasoning.encrypted_content"]`: reasoning items carry what sends them back. */
  encrypted_reasoning: z.boolean(),
});
export type ResponseSettings = z.infer<typeof responseSettingsSchema>;
