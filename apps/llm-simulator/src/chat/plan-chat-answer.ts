import { countTextTokens } from '../generation/count-tokens';
import {
  generateReply,
  type Reply,
  type ReplyFinish,
  replyWithText,
} from '../generation/generate-reply';
import { createSeededRandom } from '../generation/seeded-random';
import { generateJsonValue, UnusableSchemaError } from '../json-schema/generate-json-value';
import type { RefusedRequest } from '../model-call/model-route';
import { refuse } from '../model-call/refuse';
import type { ChatRequest, ToolDefinition } from './chat-request';

/** How a chat answer ended: a reply's finish, or a turn that calls tools. */
export type ChatFinish = ReplyFinish | 'tool-calls';

/** A tool call the answer makes; ids are given by each wire format. */
export interface PlannedToolCall {
  name: string;
  /** The arguments as JSON text, valid against the tool's schema. */
  argumentsJson: string;
  /** o200k tokens of `argumentsJson`, counted as completion tokens. */
  tokens: number;
}

/** What a chat request is answered with, before any wire format. */
export interface ChatAnswerPlan {
  /** The text part; empty when the answer only calls tools. */
  reply: Reply;
  toolCalls: PlannedToolCall[];
  finish: ChatFinish;
  completionTokens: number;
}

/**
 * The answer to a chat request, a pure function of it. The rules, in order (documented in
 * docs/simulator.md):
 * 1. The last turn is a user message, tools are given and `tool_choice` is not `none`: the
 *    tools the user text names (as a whole word) are called, in the order of `tools` (only the
 *    first one when parallel calls are off). `required`/`any` with no tool named calls the
 *    first tool; a forced tool is called whatever the text says; `auto` with no tool named
 *    answers text. Arguments are generated from the tool's JSON schema. After tool results a
 *    forced tool is called again, and `required`/`any` calls the first tool those results do
 *    not answer (the first tool if they answer all).
 * 2. The last turn is tool results: the text `[sim] <tool> returned: <content>` per result
 *    (`failed` for an Anthropic `is_error` result).
 * 3. A `json_schema` response format (Anthropic `output_config.format`): JSON generated from
 *    the schema. `json_object`: the
 *    `echo:` text if the user asked for one, else `{"result": "<generated sentence>"}`.
 * 4. Otherwise the generated (or `echo:`) reply.
 */
export function planChatAnswer(request: ChatRequest): ChatAnswerPlan | RefusedRequest {
  try {
    return planAnswer(request);
  } catch (error) {
    if (!(error instanceof UnusableSchemaError)) throw error;
    const { responseFormat } = request;
    const param =
      toolsToCall(request).length > 0
        ? 'tools'
        : responseFormat.type === 'json_schema'
          ? responseFormat.param
          : 'response_format';
    return refuse(`${param}: ${error.message}`, param);
  }
}

function planAnswer(request: ChatRequest): ChatAnswerPlan {
  const calledTools = toolsToCall(request);
  if (calledTools.length > 0) {
    const toolCalls = calledTools.map((tool) => planToolCall(tool, request.seedMaterial));
    return {
      reply: replyWithText('', request),
      toolCalls,
      finish: 'tool-calls',
      completionTokens: toolCalls.reduce((sum, call) => sum + call.tokens, 0),
    };
  }
  const reply = replyOf(request);
  return { reply, toolCalls: [], finish: reply.finish, completionTokens: reply.completionTokens };
}

function replyOf(request: ChatRequest): Reply {
  const { lastTurn, responseFormat } = request;
  if (lastTurn.kind === 'tool-results' && responseFormat.type === 'text') {
    const text = lastTurn.results
      .map(
        (result) =>
          `[sim] ${result.toolName} ${result.isError ? 'failed' : 'returned'}: ${result.content}`,
      )
      .join('\n');
    return replyWithText(text, request);
  }
  if (responseFormat.type === 'json_schema') {
    const value = generateJsonValue(
      responseFormat.schema,
      createSeededRandom(request.seedMaterial),
    );
    return replyWithText(JSON.stringify(value), request);
  }
  const reply = generateReply({
    seedMaterial: request.seedMaterial,
    lastUserText: lastTurn.kind === 'user' ? lastTurn.text : '',
    maxTokens: responseFormat.type === 'json_object' ? null : request.maxTokens,
    stopSequences: responseFormat.type === 'json_object' ? [] : request.stopSequences,
  });
  if (responseFormat.type === 'text') return reply;
  const isEcho = lastTurn.kind === 'user' && lastTurn.text.includes('echo:');
  return replyWithText(isEcho ? reply.text : JSON.stringify({ result: reply.text }), request);
}

function toolsToCall(request: ChatRequest): ToolDefinition[] {
  const { tools, toolChoice, lastTurn } = request;
  if (tools.length === 0 || toolChoice.type === 'none') return [];
  if (toolChoice.type === 'tool')
    return tools.filter((tool) => tool.name === toolChoice.name).slice(0, 1);
  if (lastTurn.kind === 'tool-results') {
    if (toolChoice.type !== 'required') return [];
    // A model made to call a tool after results calls the next one, not the one it just heard
    // from (the Vercel AI SDK's `json` tool after a real tool, for a structured answer).
    const answered = new Set(lastTurn.results.map((result) => result.toolName));
    return [tools.find((tool) => !answered.has(tool.name)) ?? (tools[0] as ToolDefinition)];
  }
  const named = tools.filter((tool) => namesTool(lastTurn.text, tool.name));
  const called = named.length === 0 && toolChoice.type === 'required' ? tools.slice(0, 1) : named;
  return request.parallelToolCalls ? called : called.slice(0, 1);
}

/** Whether `text` contains `name` as a whole word (not inside a longer identifier). */
function namesTool(text: string, name: string): boolean {
  const isWordCharacter = (character: string | undefined) =>
    character !== undefined && /[A-Za-z0-9_-]/.test(character);
  for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
    if (!isWordCharacter(text[at - 1]) && !isWordCharacter(text[at + name.length])) return true;
  }
  return false;
}

function planToolCall(tool: ToolDefinition, seedMaterial: string): PlannedToolCall {
  const random = createSeededRandom(`${seedMaterial}\u0000tool\u0000${tool.name}`);
  const argumentsJson = JSON.stringify(generateJsonValue(tool.inputSchema, random));
  return { name: tool.name, argumentsJson, tokens: countTextTokens(argumentsJson) };
}
