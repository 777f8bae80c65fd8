import { ChatAnthropic } from '@langchain/anthropic';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { type AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { ChatOpenAI } from '@langchain/openai';
import { z } from 'zod';
import { apiKey, startSystem } from './system-harness';

/**
 * LangChain JS against llmq, each direction: `ChatOpenAI` against a Claude-style model,
 * `ChatAnthropic` against a GPT-style model (issue #16).
 */
type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;

beforeAll(async () => {
  system = await startSystem({ workers: 1 });
});
afterAll(async () => {
  await system?.stop();
});

const weather = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
  name: 'get_weather',
  description: 'The weather in a city',
  schema: z.object({ city: z.string() }),
});
const City = z.object({ name: z.string(), population: z.number().int() });

describe.each<[string, () => BaseChatModel]>([
  [
    'ChatOpenAI → a Claude-style model',
    () =>
      new ChatOpenAI({
        model: 'sim-claude-fast',
        apiKey,
        configuration: { baseURL: `${system.apiUrl}/v1` },
        maxRetries: 0,
        maxTokens: 300,
      }),
  ],
  [
    'ChatAnthropic → a GPT-style model',
    () =>
      new ChatAnthropic({
        model: 'sim-gpt-fast',
        apiKey,
        anthropicApiUrl: system.apiUrl,
        maxRetries: 0,
        maxTokens: 300,
      }),
  ],
])('LangChain JS, %s', (_label, chatModel) => {
  it('runs a two-step bindTools loop with the tool-result turn', async () => {
    const model = chatModel().bindTools?.([weather]);
    if (!model) throw new Error('the chat model cannot bind tools');
    const question = new HumanMessage('Use get_weather for Paris.');
    const first = (await model.invoke([question])) as AIMessage;
    expect(first.tool_calls).toHaveLength(1);
    const call = first.tool_calls?.[0];
    expect(call?.name).toBe('get_weather');
    expect(call?.args).toEqual({ city: expect.any(String) });
    const result = await weather.invoke(call?.args as { city: string });
    const second = await model.invoke([
      question,
      first,
      new ToolMessage({ tool_call_id: call?.id ?? '', content: result }),
    ]);
    expect(second.content).toEqual(expect.stringContaining('get_weather returned: sunny in'));
  });

  it("runs the agent loop's way: the tool invoked with the call, its ToolMessage (with the tool's name) sent back", async () => {
    // `tool.invoke(toolCall)` is what LangGraph's ToolNode and createAgent do: the ToolMessage
    // it gives carries the tool's `name`, which ChatOpenAI sends on the `tool` message.
    const model = chatModel().bindTools?.([weather]);
    if (!model) throw new Error('the chat model cannot bind tools');
    const question = new HumanMessage('Use get_weather for Paris.');
    const first = (await model.invoke([question])) as AIMessage;
    const call = first.tool_calls?.[0];
    expect(call?.name).toBe('get_weather');
    if (!call) throw new Error('no tool call');
    const toolMessage: ToolMessage = await weather.invoke({ ...call, type: 'tool_call' });
    expect(toolMessage.name).toBe('get_weather');
    const second = await model.invoke([question, first, toolMessage]);
    expect(second.content).toEqual(expect.stringContaining('get_weather returned: sunny in'));
  });

  it('returns a parsed object from withStructuredOutput', async () => {
    const structured = chatModel().withStructuredOutput(City);
    const object = await structured.invoke('Describe a city.');
    expect(City.safeParse(object).success).toBe(true);
    expect(object).toEqual({ name: expect.any(String), population: expect.any(Number) });
  });
});

describe('LangChain JS, ChatOpenAI → a GPT-style model', () => {
  it('answers withStructuredOutput (jsonSchema) with an integer as a model writes it, which the output filter lets through', async () => {
    // zod's `.int()` bounds an integer only by ±(2^53 − 1). The simulator drew this answer's
    // population from that whole range: a 16-digit number passing the Luhn check, which the
    // default output filter took for a card number, blocking the answer (502).
    const model = new ChatOpenAI({
      model: 'sim-gpt-fast',
      apiKey,
      configuration: { baseURL: `${system.apiUrl}/v1` },
      maxRetries: 0,
      maxTokens: 300,
    });
    const object = await model
      .withStructuredOutput(City, { method: 'jsonSchema' })
      .invoke('Describe a city as JSON.');
    expect(City.safeParse(object).success).toBe(true);
    expect(object.population).toBeGreaterThanOrEqual(1);
    expect(object.population).toBeLessThanOrEqual(101);
  });
});
