import { z } from 'zod';
import { jsonSchemaObjectSchema } from '../../messages/tool-definition';
import { responsesToolChoiceSchema } from './openai-responses-request-schema';

/**
 * `text.format` as a response echoes it: the request's format (`responsesTextFormatSchema`),
 * where a JSON schema's `schema` and `description` are absent in the view of a key without
 * `jobs:content` (see {@link settingsWithoutPrompt}).
 */
const echoedTextFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    name: z.string(),
    schema: jsonSchemaObjectSchema.optional(),
    description: z.string().optional(),
    strict: z.boolean().nullish(),
  }),
]);

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
    format: echoedTextFormatSchema,
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

/**
 * The settings as a key without `jobs:content` sees them: the prompt material withheld, as
 * the input items are. `instructions` (the system message) is null; each tool keeps its type,
 * name and strictness but not its `description` or `parameters` (null); a JSON schema format
 * keeps its name and strictness but not its `schema` or `description`.
 */
export function settingsWithoutPrompt(settings: ResponseSettings): ResponseSettings {
  const { format } = settings.text;
  return {
    ...settings,
    instructions: null,
    tools: settings.tools.map((tool) => ({ ...tool, description: null, parameters: null })),
    text: {
      ...settings.text,
      format:
        format.type === 'json_schema'
          ? {
              type: format.type,
              name: format.name,
              ...(format.strict !== undefined ? { strict: format.strict } : {}),
            }
          : format,
    },
  };
}
