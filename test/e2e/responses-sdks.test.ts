import { createOpenAI } from '@ai-sdk/openai';
import { type AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { tool as langchainTool } from '@langchain/core/tools';
import { ChatOpenAI } from '@langchain/openai';
import { generateObject, generateText, stepCountIs, streamText, tool } from 'ai';
import { z } from 'zod';
import { apiKey, startSystem } from './system-harness';

/**
 * The SDKs that default to OpenAI's Responses API, against llmq's `/v1/responses` on a
 * Claude-style model (translated): the Vercel AI SDK's `openai(model)` and LangChain's
 * `ChatOpenAI({ useResponsesApi: true })` (issue #17).
 */
type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;
const model = 'sim-claude-fast';

beforeAll(async () => {
  system = await startSystem({ workers: 1 });
});
afterAll(async () => {
  await system?.stop();
});

const City = z.object({ name: z.string(), population: z.number().int() });

function responsesModel(id = model) {
  // `openai(model)` is the Responses API in @ai-sdk/openai 2.x.
  return createOpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey })(id);
}

describe("the Vercel AI SDK's default openai(model), on the Responses API", () => {
  const weather = tool({
    description: 'The weather in a city',
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => `sunny in ${city}`,
  });

  it('generates text, with the response id in its metadata', async () => {
    const result = await generateText({
      model: responsesModel(),
      system: 'You repeat what you are told.',
      prompt: 'echo: hello from the AI SDK',
      maxRetries: 0,
    });
    expect(result.text).toBe('hello from the AI SDK');
    expect(result.finishReason).toBe('stop');
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.response.id).toMatch(/^resp_[0-9a-f]{32}$/);
  });

  it.each([model, 'sim-gpt-fast'])(
    'generates text on %s with parallelToolCalls set and no tools, as the Responses API allows',
    async (id) => {
      // The SDK sends `parallel_tool_calls` from its settings whatever the step's tools; Chat
      // Completions and Anthropic refuse it (and `tool_choice`) without tools.
      const result = await generateText({
        model: responsesModel(id),
        providerOptions: { openai: { parallelToolCalls: false } },
        prompt: 'echo: no tools here',
        maxRetries: 0,
      });
      expect(result.text).toBe('no tools here');
    },
  );

  it('streams text', async () => {
    const result = streamText({
      model: responsesModel(),
      prompt: 'echo: streamed through responses',
      maxRetries: 0,
    });
    const chunks: string[] = [];
    for await (const chunk of result.textStream) chunks.push(chunk);
    expect(chunks.join('')).toBe('streamed through responses');
    expect(await result.finishReason).toBe('stop');
    expect((await result.usage).outputTokens).toBeGreaterThan(0);
  });

  it('generates an object from a JSON schema', async () => {
    const { object } = await generateObject({
      model: responsesModel(),
      schema: City,
      prompt: 'Describe a city.',
      maxRetries: 0,
    });
    expect(City.safeParse(object).success).toBe(true);
  });

  it('runs a two-step tool loop', async () => {
    const result = await generateText({
      model: responsesModel(),
      tools: { get_weather: weather },
      stopWhen: stepCountIs(3),
      prompt: 'Use get_weather for Paris.',
      maxRetries: 0,
    });
    expect(result.steps.length).toBeGreaterThanOrEqual(2);
    expect(result.steps[0]?.finishReason).toBe('tool-calls');
    expect(result.steps[0]?.toolCalls[0]?.toolName).toBe('get_weather');
    expect(result.text).toContain('get_weather returned: sunny in');
  });
});

describe('LangChain ChatOpenAI with useResponsesApi', () => {
  const weather = langchainTool(async ({ city }: { city: string }) => `sunny in ${city}`, {
    name: 'get_weather',
    description: 'The weather in a city',
    schema: z.object({ city: z.string() }),
  });
  function chat() {
    return new ChatOpenAI({
      model,
      apiKey,
      configuration: { baseURL: `${system.apiUrl}/v1` },
      useResponsesApi: true,
      maxRetries: 0,
      maxTokens: 300,
    });
  }

  it('invokes and streams', async () => {
    const answer = await chat().invoke('echo: hello from LangChain');
    expect(answer.text).toBe('hello from LangChain');
    expect(answer.response_metadata.id ?? answer.id).toMatch(/^resp_/);
    let streamed = '';
    for await (const chunk of await chat().stream('echo: streamed from LangChain')) {
      streamed += typeof chunk.content === 'string' ? chunk.content : chunk.text;
    }
    expect(streamed).toBe('streamed from LangChain');
  });

  it('runs a two-step bindTools loop', async () => {
    const bound = chat().bindTools([weather]);
    const question = new HumanMessage('Use get_weather for Paris.');
    const first = (await bound.invoke([question])) as AIMessage;
    const call = first.tool_calls?.[0];
    expect(call?.name).toBe('get_weather');
    const result = await weather.invoke(call?.args as { city: string });
    const second = await bound.invoke([
      question,
      first,
      new ToolMessage({ tool_call_id: call?.id ?? '', content: result }),
    ]);
    expect(second.text).toContain('get_weather returned: sunny in');
  });

  it('returns a parsed object from withStructuredOutput', async () => {
    const object = await chat().withStructuredOutput(City).invoke('Describe a city.');
    expect(City.safeParse(object).success).toBe(true);
  });
});
