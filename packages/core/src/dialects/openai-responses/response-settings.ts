import type { JsonSchemaObject } from '../../messages/tool-definition';
import type { ResponsesTextFormat, ResponsesToolChoice } from './openai-responses-request-schema';

/**
 * What a Responses API response object echoes of its request (OpenAI's defaults filled in),
 * stored with the response so `GET /v1/responses/:id` answers as the create did. snake_case:
 * it is the wire's own shape.
 */
export interface ResponseSettings {
  model: string;
  instructions: string | null;
  tools: Array<{
    type: 'function';
    name: string;
    description: string | null;
    parameters: JsonSchemaObject | null;
    strict: boolean | null;
  }>;
  tool_choice: ResponsesToolChoice;
  parallel_tool_calls: boolean;
  temperature: number | null;
  top_p: number | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  previous_response_id: string | null;
  reasoning: {
    effort: 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | null;
    summary: null;
  };
  text: { format: ResponsesTextFormat; verbosity: 'low' | 'medium' | 'high' };
  truncation: 'auto' | 'disabled';
  store: boolean;
  background: boolean;
  service_tier: 'auto' | 'default' | 'flex' | 'scale' | 'priority';
  safety_identifier: string | null;
  prompt_cache_key: string | null;
  user?: string;
  /** `include: ["reasoning.encrypted_content"]`: reasoning items carry what sends them back. */
  encrypted_reasoning: boolean;
}
