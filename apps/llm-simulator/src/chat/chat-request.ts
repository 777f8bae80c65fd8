import type { Conversation } from '../generation/conversation';
import type { JsonSchema } from '../json-schema/generate-json-value';

/** A tool the model may call, in provider-neutral form. */
export interface ToolDefinition {
  name: string;
  /** JSON Schema of the arguments (OpenAI `function.parameters`, Anthropic `input_schema`). */
  inputSchema: JsonSchema;
}

/** Which tools the model must or may call (OpenAI `tool_choice`, Anthropic `tool_choice`). */
export type ToolChoice =
  | { type: 'auto' }
  | { type: 'none' }
  /** OpenAI `required`, Anthropic `any`. */
  | { type: 'required' }
  | { type: 'tool'; name: string };

/** The shape the answer must take (OpenAI `response_format`, Anthropic `output_config.format`). */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      schema: JsonSchema;
      /** The request field that carried the schema, named when it is refused. */
      param: 'response_format' | 'output_config.format' | 'generation_config.response_schema';
    };

/** One tool result of the last turn. */
export interface ToolResult {
  /** The name of the tool whose call this answers. */
  toolName: string;
  content: string;
  /** Anthropic `is_error`: the tool failed. */
  isError: boolean;
}

/** What the conversation ends with, which decides the kind of answer. */
export type LastTurn =
  | { kind: 'user'; text: string }
  | { kind: 'tool-results'; results: ToolResult[] };

/** A chat request in provider-neutral form, after validation. */
export interface ChatRequest {
  model: string;
  /** `[role, text]` of the system prompt and every message, tool calls and results included. */
  conversation: Conversation;
  lastTurn: LastTurn;
  tools: ToolDefinition[];
  toolChoice: ToolChoice;
  parallelToolCalls: boolean;
  responseFormat: ResponseFormat;
  /** Completion-token budget of the visible answer; `null` for none. */
  maxTokens: number | null;
  stopSequences: string[];
  /** Canonical text the answer's PRNG is seeded from. */
  seedMaterial: string;
}
