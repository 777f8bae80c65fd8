import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { generateObject, generateText, Output, stepCountIs, tool } from 'ai';
import { z } from 'zod';
import { apiKey, startSystem } from './system-harness';

/**
 * The Vercel AI SDK against llmq, each direction: its OpenAI chat provider against a
 * Claude-style model, its Anthropic provider against a GPT-style model (issue #16).
 */
type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;

beforeAll(async () => {
  system = await startSystem({ workers: 1 });
});
afterAll(async () => {
  await system?.stop();
});

const weather = tool({
  description: 'The weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => `sunny in ${city}`,
});
const City = z.object({ name: z.string(), population: z.number().int() });

function openaiFormat() {
  return createOpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey });
}
function anthropicFormat() {
  return createAnthropic({ baseURL: `${system.apiUrl}/v1`, apiKey });
}

describe.each([
  ['the OpenAI format → a Claude-style model', () => openaiFormat().chat('sim-claude-fast')],
  ['the Anthropic format → a GPT-style model', () => anthropicFormat()('sim-gpt-fast')],
])('the Vercel AI SDK, %s', (_label, model) => {
  it('runs a two-step generateText tool loop with stopWhen', async () => {
    const result = await generateText({
      model: model(),
      tools: { get_weather: weather },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
      prompt: 'Use get_weather for Paris.',
    });
    expect(result.steps.length).toBeGreaterThanOrEqual(2);
    const [first] = result.steps;
    expect(first?.finishReason).toBe('tool-calls');
    expect(first?.toolCalls[0]?.toolName).toBe('get_weather');
    expect(first?.toolResults[0]?.output).toEqual(expect.stringMatching(/^sunny in /));
    // The second step saw the tool result: the simulator answers with it.
    expect(result.text).toContain('get_weather returned');
    expect(result.text).toContain('sunny in');
    expect(result.finishReason).toBe('stop');
  });

  it('returns a parsed object from generateObject', async () => {
    const { object } = await generateObject({
      model: model(),
      schema: City,
      maxRetries: 0,
      prompt: 'Describe a city.',
    });
    expect(City.safeParse(object).success).toBe(true);
    expect(object).toEqual({ name: expect.any(String), population: expect.any(Number) });
  });
});

describe('the Vercel AI SDK, the OpenAI format → a GPT-style model', () => {
  it('generates text with presencePenalty and frequencyPenalty (standard call settings)', async () => {
    const result = await generateText({
      model: openaiFormat().chat('sim-gpt-fast'),
      presencePenalty: 0.5,
      frequencyPenalty: 0.3,
      maxRetries: 0,
      prompt: 'echo: penalised',
    });
    expect(result.text).toBe('penalised');
    expect(result.warnings ?? []).toEqual([]);
  });
});

describe.each([
  ['a Claude-style model', 'sim-claude-fast'],
  ['a GPT-style model', 'sim-gpt-fast'],
])('the Vercel AI SDK, the Anthropic format → %s', (_label, modelId) => {
  it('runs a tool loop that ends in a structured answer (experimental_output: the json tool)', async () => {
    // @ai-sdk/anthropic asks for the output as a `json` tool with tool_choice `any`, also after
    // the tool results: the model must then call a tool, and the one left is `json`.
    const result = await generateText({
      model: anthropicFormat()(modelId),
      maxOutputTokens: 500,
      tools: { get_weather: weather },
      stopWhen: stepCountIs(3),
      experimental_output: Output.object({ schema: City }),
      maxRetries: 0,
      prompt: 'Use get_weather for Paris.',
    });
    expect(result.steps[0]?.toolCalls[0]?.toolName).toBe('get_weather');
    expect(City.safeParse(result.experimental_output).success).toBe(true);
  });

  it('reads a text/plain file part (an Anthropic plain-text document) into the prompt', async () => {
    // @ai-sdk/anthropic sends a text file as a `document` with a `text` source.
    const notes = 'The harbor lights were green that night. '.repeat(40);
    const ask = (withFile: boolean) =>
      generateText({
        model: anthropicFormat()(modelId),
        maxOutputTokens: 100,
        maxRetries: 0,
        messages: [
          {
            role: 'user',
            content: [
              ...(withFile
                ? [
                    {
                      type: 'file' as const,
                      data: Buffer.from(notes),
                      mediaType: 'text/plain',
                      filename: 'notes.txt',
                    },
                  ]
                : []),
              { type: 'text' as const, text: 'echo: read' },
            ],
          },
        ],
      });
    const [withFile, without] = [await ask(true), await ask(false)];
    expect(withFile.text).toBe('read');
    // The model read the document: its ~320 tokens are in the prompt the provider counted.
    const added = (withFile.usage.inputTokens ?? 0) - (without.usage.inputTokens ?? 0);
    expect(added).toBeGreaterThan(250);
    expect(added).toBeLessThan(500);
  });
});
