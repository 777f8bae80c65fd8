import { createAnthropic } from '@ai-sdk/anthropic';
import Anthropic from '@anthropic-ai/sdk';
import { LlmqClient, type ToolInput } from '@llmq/client';
import type { ContentStreamPart, JobResult } from '@llmq/core';
import { waitFor } from '@llmq/testing';
import { generateText } from 'ai';
import OpenAI, { toFile } from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { readEvents } from './read-sse';
import {
  budgetThinkingMaxOutput,
  budgetThinkingModel,
  catalogWithReasoningModels,
  reasoningSimulatorModels,
} from './reasoning-catalog';
import { apiKey, startSystem } from './system-harness';
import { type ReceivedWebhook, type Receiver, startReceiver } from './webhook-receiver';

/**
 * Tools, structured outputs, images and reasoning through real API and worker processes and
 * the simulator, with the official SDKs, each in both directions: the OpenAI format against a
 * Claude-style model and the Anthropic format against a GPT-style model (issue #16).
 */
type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;
let openai: OpenAI;
let anthropic: Anthropic;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  system = await startSystem({
    workers: 1,
    simulatorModels: reasoningSimulatorModels,
    env: {
      MODEL_CATALOG_PATH: catalogWithReasoningModels(),
      WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}`,
    },
  });
  openai = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: system.apiUrl, apiKey, maxRetries: 0 });
});
afterAll(async () => {
  await system?.stop();
  await receiver?.close();
});

const weatherTool: OpenAI.Chat.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
      additionalProperties: false,
    },
  },
};
const anthropicWeatherTool: Anthropic.Tool = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  },
};

/** A 1×1 PNG, inline. */
const pixelPng =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

describe('the OpenAI format against a Claude-style model', () => {
  const model = 'sim-claude-fast';

  it('runs a two-step tool loop with the tool-result turn', async () => {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Use get_weather for Paris.' },
    ];
    const first = await openai.chat.completions.create({
      model,
      messages,
      tools: [weatherTool],
      max_tokens: 200,
    });
    const choice = first.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    const call = choice?.message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function tool call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: expect.any(String) });
    expect(call.id).toMatch(/^toolu_/);

    const second = await openai.chat.completions.create({
      model,
      messages: [
        ...messages,
        choice?.message as OpenAI.Chat.ChatCompletionMessageParam,
        { role: 'tool', tool_call_id: call.id, content: 'sunny, 21 °C' },
      ],
      tools: [weatherTool],
      max_tokens: 200,
    });
    expect(second.choices[0]?.finish_reason).toBe('stop');
    expect(second.choices[0]?.message.content).toBe('[sim] get_weather returned: sunny, 21 °C');
  });

  it('streams a tool call that the SDK helper assembles', async () => {
    const stream = openai.chat.completions.stream({
      model,
      messages: [{ role: 'user', content: 'Call get_weather, please.' }],
      tools: [weatherTool],
      max_tokens: 200,
    });
    const deltas: unknown[] = [];
    stream.on('chunk', (chunk) => {
      for (const item of chunk.choices) if (item.delta.tool_calls) deltas.push(item.delta);
    });
    const completion = await stream.finalChatCompletion();
    expect(deltas.length).toBeGreaterThan(1);
    const message = completion.choices[0]?.message;
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    const call = message?.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function tool call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: expect.any(String) });
  });

  it('parses a structured output with chat.completions.parse and a zod schema', async () => {
    const City = z.object({ name: z.string(), population: z.number().int() });
    const completion = await openai.chat.completions.parse({
      model,
      messages: [{ role: 'user', content: 'Describe a city.' }],
      response_format: zodResponseFormat(City, 'city'),
      max_tokens: 300,
    });
    const parsed = completion.choices[0]?.message.parsed;
    expect(parsed).toEqual({ name: expect.any(String), population: expect.any(Number) });
    expect(City.safeParse(parsed).success).toBe(true);
  });

  it('refuses with 400 unsupported_parameter a field the Claude-style model cannot take (n > 1)', async () => {
    const error = await openai.chat.completions
      .create({ model, n: 2, messages: [{ role: 'user', content: 'hi' }], max_tokens: 20 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const apiError = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(apiError.code).toBe('unsupported_parameter');
    expect(apiError.message).toContain('"n"');
  });

  it('passes temperature and top_p to a Claude-style model, and refuses seed by name', async () => {
    const sampled = await openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'echo: sampled' }],
      temperature: 0.4,
      top_p: 0.9,
      max_tokens: 50,
    });
    expect(sampled.choices[0]?.message.content).toBe('sampled');
    // They reach the Messages API, which takes no temperature but 1 with thinking on.
    const hot = await openai.chat.completions
      .create({
        model: 'sim-claude-thinking',
        reasoning_effort: 'low',
        max_completion_tokens: 4000,
        temperature: 0.4,
        messages: [{ role: 'user', content: 'echo: hot' }],
      })
      .catch((caught: unknown) => caught);
    expect(hot).toBeInstanceOf(OpenAI.BadRequestError);
    expect((hot as Error).message).toContain('temperature');

    const seeded = await openai.chat.completions
      .create({ model, seed: 7, messages: [{ role: 'user', content: 'echo: x' }], max_tokens: 50 })
      .catch((caught: unknown) => caught);
    expect(seeded).toBeInstanceOf(OpenAI.BadRequestError);
    expect((seeded as InstanceType<typeof OpenAI.BadRequestError>).code).toBe(
      'unsupported_parameter',
    );
    expect((seeded as Error).message).toContain('"seed"');
  });

  it('takes an image input', async () => {
    const completion = await openai.chat.completions.create({
      model,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'echo: I see a pixel' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${pixelPng}` } },
          ],
        },
      ],
      max_tokens: 100,
    });
    expect(completion.choices[0]?.message.content).toBe('I see a pixel');
    // The image cost prompt tokens beyond the text's.
    const textOnly = await openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'echo: I see a pixel' }] }],
      max_tokens: 100,
    });
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(textOnly.usage?.prompt_tokens ?? 0);
  });
});

describe('the Anthropic format against a GPT-style model', () => {
  const model = 'sim-gpt-fast';

  it('runs a two-step tool loop with the tool-result turn', async () => {
    const messages: Anthropic.MessageParam[] = [
      { role: 'user', content: 'Use get_weather for Paris.' },
    ];
    const first = await anthropic.messages.create({
      model,
      max_tokens: 200,
      messages,
      tools: [anthropicWeatherTool],
    });
    expect(first.stop_reason).toBe('tool_use');
    const toolUse = first.content.find((block) => block.type === 'tool_use');
    if (toolUse?.type !== 'tool_use') throw new Error('expected a tool_use block');
    expect(toolUse.name).toBe('get_weather');
    expect(toolUse.input).toEqual({ city: expect.any(String) });
    expect(toolUse.id).toMatch(/^call_/);

    const second = await anthropic.messages.create({
      model,
      max_tokens: 200,
      tools: [anthropicWeatherTool],
      messages: [
        ...messages,
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: 'rainy, 12 °C' }],
        },
      ],
    });
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content).toEqual([
      { type: 'text', text: '[sim] get_weather returned: rainy, 12 °C' },
    ]);
  });

  it('streams a tool_use block that the SDK helper assembles', async () => {
    const stream = anthropic.messages.stream({
      model,
      max_tokens: 200,
      messages: [{ role: 'user', content: 'Call get_weather, please.' }],
      tools: [anthropicWeatherTool],
    });
    const eventTypes: string[] = [];
    stream.on('streamEvent', (event) => {
      eventTypes.push(
        event.type === 'content_block_start'
          ? `start:${event.content_block.type}`
          : event.type === 'content_block_delta'
            ? `delta:${event.delta.type}`
            : event.type,
      );
    });
    const message = await stream.finalMessage();
    expect(eventTypes).toContain('start:tool_use');
    expect(eventTypes).toContain('delta:input_json_delta');
    expect(eventTypes[0]).toBe('message_start');
    expect(eventTypes.at(-1)).toBe('message_stop');
    expect(message.stop_reason).toBe('tool_use');
    const toolUse = message.content.find((block) => block.type === 'tool_use');
    if (toolUse?.type !== 'tool_use') throw new Error('expected a tool_use block');
    expect(toolUse.input).toEqual({ city: expect.any(String) });
  });

  it('answers a structured output (output_config.format) with JSON valid against the schema', async () => {
    const message = await anthropic.messages.create({
      model,
      max_tokens: 300,
      messages: [{ role: 'user', content: 'Describe a city.' }],
      output_config: {
        format: {
          type: 'json_schema',
          schema: {
            type: 'object',
            properties: { name: { type: 'string' }, population: { type: 'integer' } },
            required: ['name', 'population'],
            additionalProperties: false,
          },
        },
      },
    });
    const text = message.content.find((block) => block.type === 'text');
    if (text?.type !== 'text') throw new Error('expected a text block');
    expect(JSON.parse(text.text)).toEqual({
      name: expect.any(String),
      population: expect.any(Number),
    });
  });

  it('takes an image input', async () => {
    const message = await anthropic.messages.create({
      model,
      max_tokens: 100,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: pixelPng } },
            { type: 'text', text: 'echo: a pixel indeed' },
          ],
        },
      ],
    });
    expect(message.content).toEqual([{ type: 'text', text: 'a pixel indeed' }]);
  });
});

/** LiteLLM's `thinking_blocks` convention, which llmq's OpenAI format follows. */
type ThinkingBlock =
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string };
type ThinkingMessage = OpenAI.Chat.ChatCompletionMessage & {
  reasoning_content?: string;
  thinking_blocks?: ThinkingBlock[];
};

describe('sampling settings only some providers have', () => {
  /** The error a request is refused with (a 400 from the SDK). */
  const refusalOf = (call: Promise<unknown>) =>
    call.then(
      () => {
        throw new Error('expected a refusal');
      },
      (caught: unknown) => caught as { status: number; code: string; message: string },
    );

  it('carries presence_penalty and frequency_penalty to a GPT-style model, and refuses them by name for a Claude-style one', async () => {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'echo: penalised' },
    ];
    const answer = await openai.chat.completions.create({
      model: 'sim-gpt-fast',
      messages,
      presence_penalty: 0.5,
      frequency_penalty: 0.3,
    });
    expect(answer.choices[0]?.message.content).toBe('penalised');
    // They reach the provider: a reasoning model refuses them there, as OpenAI's o-series does.
    const reasoning = await refusalOf(
      openai.chat.completions.create({
        model: 'sim-gpt-reasoning',
        messages,
        presence_penalty: 0.5,
      }),
    );
    expect(reasoning).toMatchObject({ status: 400 });
    expect(reasoning.message).toContain("'presence_penalty' is not supported with this model");
    // Anthropic has no penalties: refused by name, not dropped. 0 (OpenAI's default) passes.
    const claude = await refusalOf(
      openai.chat.completions.create({
        model: 'sim-claude-fast',
        messages,
        frequency_penalty: 0.3,
      }),
    );
    expect(claude).toMatchObject({ status: 400, code: 'unsupported_parameter' });
    expect(claude.message).toContain('"frequency_penalty"');
    const unasked = await openai.chat.completions.create({
      model: 'sim-claude-fast',
      messages,
      presence_penalty: 0,
      frequency_penalty: 0,
    });
    expect(unasked.choices[0]?.message.content).toBe('penalised');
  });

  it('carries top_k to a Claude-style model, and refuses it by name for a GPT-style one', async () => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'echo: top' }];
    // The Messages API takes top_k; the pinned SDK's types no longer list it, and it sends the
    // body as given.
    const topK = { top_k: 5 } as object;
    const answer = await anthropic.messages.create({
      model: 'sim-claude-fast',
      max_tokens: 50,
      ...topK,
      messages,
    });
    expect(answer.content).toEqual([{ type: 'text', text: 'top' }]);
    // It reaches the Messages API, which takes no top_k with thinking on.
    const thinking = await refusalOf(
      anthropic.messages.create({
        model: 'sim-claude-thinking',
        max_tokens: 4000,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        ...topK,
        messages,
      }),
    );
    expect(thinking).toMatchObject({ status: 400 });
    expect(thinking.message).toContain('`top_k` must be unset when thinking is enabled');
    // Chat Completions samples by temperature and top_p only.
    const gpt = await refusalOf(
      anthropic.messages.create({ model: 'sim-gpt-fast', max_tokens: 50, ...topK, messages }),
    );
    expect(gpt).toMatchObject({
      status: 400,
      error: {
        error: {
          code: 'unsupported_parameter',
          message: expect.stringContaining('"top_k" is not supported by sim-gpt-fast'),
        },
      },
    });
  });
});

describe('reasoning', () => {
  it('round-trips thinking blocks with their signatures in the next turn (Anthropic format, Claude-style model)', async () => {
    const model = 'sim-claude-thinking';
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Think about it.' }];
    const stream = anthropic.messages.stream({
      model,
      max_tokens: 4000,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages,
    });
    const first = await stream.finalMessage();
    const thinking = first.content.find((block) => block.type === 'thinking');
    if (thinking?.type !== 'thinking') throw new Error('expected a thinking block');
    expect(thinking.thinking.length).toBeGreaterThan(0);
    expect(thinking.signature.length).toBeGreaterThan(0);
    expect(first.content.at(-1)?.type).toBe('text');

    // The simulator verifies the signature: a block changed on the way would be refused.
    const second = await anthropic.messages.create({
      model,
      max_tokens: 4000,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [
        ...messages,
        { role: 'assistant', content: first.content },
        { role: 'user', content: 'echo: and again' },
      ],
    });
    expect(second.content.at(-1)).toEqual({ type: 'text', text: 'and again' });
  });

  it.each([
    ['medium, with no limit', { reasoning_effort: 'medium' }],
    ['high, with no limit', { reasoning_effort: 'high' }],
    [
      'high, under max_completion_tokens 4000',
      { reasoning_effort: 'high', max_completion_tokens: 4000 },
    ],
  ] as const)(
    'thinks on a Claude model at any effort the OpenAI format asks: %s',
    async (_label, settings) => {
      // An effort becomes a thinking budget (high: 24,576 tokens), which Anthropic wants below
      // max_tokens: above the default limit, or a client's, it was a 400 from the provider.
      const completion = await openai.chat.completions.create({
        model: 'sim-claude-thinking',
        ...settings,
        messages: [{ role: 'user', content: 'echo: thought hard' }],
      });
      const message = completion.choices[0]?.message as ThinkingMessage;
      expect(message.content).toBe('thought hard');
      expect(message.reasoning_content?.length).toBeGreaterThan(0);
    },
  );

  it('thinks on a Claude model at the effort a Responses request asks, with no limit', async () => {
    const response = await openai.responses.create({
      model: 'sim-claude-thinking',
      reasoning: { effort: 'medium' },
      input: 'echo: thought through again',
    });
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe('thought through again');
    expect(response.output.map((item) => item.type)).toEqual(['reasoning', 'message']);
  });

  it('answers the OpenAI format from a Claude thinking model with thinking_blocks that round-trip in the next turn', async () => {
    const model = 'sim-claude-thinking';
    const question: OpenAI.Chat.ChatCompletionMessageParam = {
      role: 'user',
      content: 'echo: thought through',
    };
    const completion = await openai.chat.completions.create({
      model,
      reasoning_effort: 'low',
      max_completion_tokens: 4000,
      messages: [question],
    });
    const message = completion.choices[0]?.message as ThinkingMessage;
    expect(message.content).toBe('thought through');
    expect(message.reasoning_content?.length).toBeGreaterThan(0);
    expect(message.thinking_blocks).toEqual([
      { type: 'thinking', thinking: message.reasoning_content, signature: expect.any(String) },
    ]);
    expect(completion.usage?.completion_tokens_details?.reasoning_tokens).toBeGreaterThan(0);

    // The whole message goes back as the SDK returned it; the simulator verifies the signature.
    const next = (assistant: ThinkingMessage) =>
      openai.chat.completions.create({
        model,
        reasoning_effort: 'low',
        max_completion_tokens: 4000,
        messages: [
          question,
          assistant as OpenAI.Chat.ChatCompletionMessageParam,
          { role: 'user', content: 'echo: again' },
        ],
      });
    const second = await next(message);
    expect(second.choices[0]?.message.content).toBe('again');

    const [block] = message.thinking_blocks ?? [];
    if (block?.type !== 'thinking') throw new Error('expected a thinking block');
    const tampered = await next({
      ...message,
      thinking_blocks: [{ ...block, thinking: `${block.thinking} (edited)` }],
    }).catch((caught: unknown) => caught);
    expect(tampered).toBeInstanceOf(OpenAI.BadRequestError);
    expect(String((tampered as Error).message)).toMatch(/signature/i);

    // reasoning_content alone has no signature: refused by name, never dropped.
    const { thinking_blocks: _blocks, ...unsigned } = message;
    const refused = await next(unsigned).catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).code).toBe(
      'unsupported_parameter',
    );
  });

  it('streams thinking_blocks with the signature, and the assembled turn goes back', async () => {
    const model = 'sim-claude-thinking';
    const question: OpenAI.Chat.ChatCompletionMessageParam = {
      role: 'user',
      content: 'echo: streamed thought',
    };
    const stream = await openai.chat.completions.create({
      model,
      reasoning_effort: 'low',
      max_completion_tokens: 4000,
      messages: [question],
      stream: true,
    });
    let content = '';
    let reasoning = '';
    const blocks: ThinkingBlock[] = [];
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as ThinkingMessage | undefined;
      content += delta?.content ?? '';
      reasoning += delta?.reasoning_content ?? '';
      blocks.push(...(delta?.thinking_blocks ?? []));
    }
    expect(content).toBe('streamed thought');
    expect(reasoning.length).toBeGreaterThan(0);
    expect(blocks).toEqual([
      { type: 'thinking', thinking: reasoning, signature: expect.any(String) },
    ]);

    const second = await openai.chat.completions.create({
      model,
      reasoning_effort: 'low',
      max_completion_tokens: 4000,
      messages: [
        question,
        {
          role: 'assistant',
          content,
          reasoning_content: reasoning,
          thinking_blocks: blocks,
        } as OpenAI.Chat.ChatCompletionAssistantMessageParam,
        { role: 'user', content: 'echo: more' },
      ],
    });
    expect(second.choices[0]?.message.content).toBe('more');
  });

  it('runs a tool loop with thinking in the OpenAI format: the thinking goes back before the tool call', async () => {
    const model = 'sim-claude-thinking';
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Use get_weather for Paris.' },
    ];
    const request = {
      model,
      reasoning_effort: 'low' as const,
      max_completion_tokens: 4000,
      tools: [weatherTool],
    };
    const first = await openai.chat.completions.create({ ...request, messages });
    const choice = first.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    const message = choice?.message as ThinkingMessage;
    expect(message.thinking_blocks?.[0]).toMatchObject({
      type: 'thinking',
      signature: expect.any(String),
    });
    const call = message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function tool call');

    const second = await openai.chat.completions.create({
      ...request,
      messages: [
        ...messages,
        message as OpenAI.Chat.ChatCompletionMessageParam,
        { role: 'tool', tool_call_id: call.id, content: 'sunny, 21 °C' },
      ],
    });
    expect(second.choices[0]?.finish_reason).toBe('stop');
    expect(second.choices[0]?.message.content).toBe('[sim] get_weather returned: sunny, 21 °C');
  });

  it('takes Anthropic thinking to a GPT-style reasoning model (as reasoning effort)', async () => {
    const message = await anthropic.messages.create({
      model: 'sim-gpt-reasoning',
      max_tokens: 4000,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [{ role: 'user', content: 'echo: reasoned' }],
    });
    // OpenAI returns no reasoning text, so there is no thinking block to show or send back.
    expect(message.content).toEqual([{ type: 'text', text: 'reasoned' }]);
    expect(message.usage.output_tokens).toBeGreaterThan(1);
  });

  it('reports reasoning tokens to the Anthropic format from a GPT-style model, and a second turn works', async () => {
    const model = 'sim-gpt-reasoning';
    const question: Anthropic.MessageParam = { role: 'user', content: 'echo: first answer' };
    const first = await anthropic.messages.create({
      model,
      max_tokens: 4000,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [question],
    });
    expect(first.content).toEqual([{ type: 'text', text: 'first answer' }]);
    const thinkingTokens = (
      first.usage as Anthropic.Usage & { output_tokens_details?: { thinking_tokens?: number } }
    ).output_tokens_details?.thinking_tokens;
    expect(thinkingTokens).toBeGreaterThan(0);
    expect(first.usage.output_tokens).toBeGreaterThan(thinkingTokens ?? 0);

    const second = await anthropic.messages.create({
      model,
      max_tokens: 4000,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [
        question,
        { role: 'assistant', content: first.content },
        { role: 'user', content: 'echo: second answer' },
      ],
    });
    expect(second.content).toEqual([{ type: 'text', text: 'second answer' }]);
  });

  it('reports reasoning tokens from a reasoning model (OpenAI format, GPT-style model)', async () => {
    const completion = await openai.chat.completions.create({
      model: 'sim-gpt-reasoning',
      reasoning_effort: 'low',
      max_completion_tokens: 2000,
      messages: [{ role: 'user', content: 'echo: done thinking' }],
    });
    expect(completion.choices[0]?.message.content).toBe('done thinking');
    expect(completion.usage?.completion_tokens_details?.reasoning_tokens).toBeGreaterThan(0);
  });
});

describe('adaptive thinking (the model decides how much it thinks)', () => {
  type ThinkingUsage = Anthropic.Usage & { output_tokens_details?: { thinking_tokens?: number } };

  it('thinks adaptively on a Claude model at the effort asked (Anthropic SDK, streamed), and the signed block goes back', async () => {
    const model = 'sim-claude-thinking';
    const adaptive = {
      model,
      max_tokens: 2000,
      thinking: { type: 'adaptive' as const },
      output_config: { effort: 'medium' as const },
    };
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'echo: adapted' }];
    const first = await anthropic.messages.stream({ ...adaptive, messages }).finalMessage();
    expect(first.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    const thinking = first.content[0];
    if (thinking?.type !== 'thinking') throw new Error('expected a thinking block');
    expect(thinking.thinking.length).toBeGreaterThan(0);
    expect(thinking.signature.length).toBeGreaterThan(0);
    expect(first.content[1]).toMatchObject({ type: 'text', text: 'adapted' });
    expect((first.usage as ThinkingUsage).output_tokens_details?.thinking_tokens).toBeGreaterThan(
      0,
    );

    // The simulator verifies the signature on the way back.
    const second = await anthropic.messages.create({
      ...adaptive,
      messages: [
        ...messages,
        { role: 'assistant', content: first.content },
        { role: 'user', content: 'echo: adapted again' },
      ],
    });
    expect(second.content.at(-1)).toEqual({ type: 'text', text: 'adapted again' });
  });

  it('thinks adaptively through the Vercel AI SDK (@ai-sdk/anthropic providerOptions thinking adaptive, effort)', async () => {
    const claude = createAnthropic({ baseURL: `${system.apiUrl}/v1`, apiKey });
    const settings = {
      model: claude('sim-claude-thinking'),
      maxOutputTokens: 2000,
      providerOptions: { anthropic: { thinking: { type: 'adaptive' as const }, effort: 'low' } },
    };
    const question = { role: 'user' as const, content: 'echo: adapted by the SDK' };
    const result = await generateText({ ...settings, messages: [question] });
    expect(result.text).toBe('adapted by the SDK');
    expect(result.reasoningText?.length).toBeGreaterThan(0);
    expect(result.reasoning[0]?.providerMetadata?.anthropic?.signature).toEqual(expect.any(String));
    // The SDK sends the signed reasoning back with the next turn; the simulator verifies it.
    const next = await generateText({
      ...settings,
      messages: [question, ...result.response.messages, { role: 'user', content: 'echo: on' }],
    });
    expect(next.text).toBe('on');
  });

  it('takes adaptive thinking to a GPT-style reasoning model as its effort (reasoning tokens at that effort)', async () => {
    const message = await anthropic.messages.create({
      model: 'sim-gpt-reasoning',
      max_tokens: 4000,
      thinking: { type: 'adaptive' },
      output_config: { effort: 'low' },
      messages: [{ role: 'user', content: 'echo: adapted elsewhere' }],
    });
    expect(message.content).toEqual([{ type: 'text', text: 'adapted elsewhere' }]);
    // The simulator spends 128 reasoning tokens at `low` (512 at its default, `medium`).
    expect((message.usage as ThinkingUsage).output_tokens_details?.thinking_tokens).toBe(128);
  });

  it('refuses adaptive thinking for a model that cannot think, in the Anthropic error shape', async () => {
    const refused = anthropic.messages.create({
      model: 'sim-claude-fast',
      max_tokens: 200,
      thinking: { type: 'adaptive' },
      messages: [{ role: 'user', content: 'echo: no thinking here' }],
    });
    await expect(refused).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(refused).rejects.toMatchObject({
      status: 400,
      error: {
        type: 'error',
        error: {
          type: 'invalid_request_error',
          message: expect.stringContaining('reasoning (thinking or a reasoning effort)'),
        },
      },
    });
  });

  it('refuses thinking display "omitted" by name (llmq answers the thinking text)', async () => {
    const refused = anthropic.messages.create({
      model: 'sim-claude-thinking',
      max_tokens: 2000,
      thinking: { type: 'adaptive', display: 'omitted' },
      messages: [{ role: 'user', content: 'echo: hidden' }],
    });
    await expect(refused).rejects.toMatchObject({
      status: 400,
      error: {
        error: {
          code: 'unsupported_parameter',
          message: expect.stringContaining('thinking.display'),
        },
      },
    });
  });
});

describe('thinking on a Claude model that thinks only within a budget, up to its most output (Claude 4.5)', () => {
  type ThinkingUsage = Anthropic.Usage & { output_tokens_details?: { thinking_tokens?: number } };

  it('takes adaptive thinking as the budget of its effort (Anthropic SDK, whole and streamed)', async () => {
    const adaptive = {
      model: budgetThinkingModel,
      max_tokens: 4000,
      thinking: { type: 'adaptive' as const },
      output_config: { effort: 'low' as const },
      messages: [{ role: 'user' as const, content: 'echo: budgeted' }],
    };
    // The simulator refuses adaptive thinking to this model as Anthropic does; llmq sends
    // `thinking: {type: "enabled", budget_tokens: 2048}` (effort low) instead.
    const whole = await anthropic.messages.create(adaptive);
    expect(whole.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    expect(whole.content[1]).toMatchObject({ type: 'text', text: 'budgeted' });
    const thinkingTokens = (whole.usage as ThinkingUsage).output_tokens_details?.thinking_tokens;
    expect(thinkingTokens).toBeGreaterThan(0);
    expect(thinkingTokens).toBeLessThanOrEqual(2048);
    const streamed = await anthropic.messages.stream(adaptive).finalMessage();
    expect(streamed.content.map((block) => block.type)).toEqual(['thinking', 'text']);
  });

  it("sends no max_tokens above the model's most output for an effort with no limit (OpenAI SDK, whole and streamed)", async () => {
    // 4,096 of answer + 24,576 of thinking (effort high) would be 28,672: the simulator refuses
    // more than 16,000 as Anthropic does, so the thinking is fitted under 16,000.
    const request = {
      model: budgetThinkingModel,
      reasoning_effort: 'high' as const,
      messages: [{ role: 'user' as const, content: 'echo: within the maximum' }],
    };
    const whole = await openai.chat.completions.create(request);
    expect(whole.choices[0]?.message.content).toBe('within the maximum');
    expect(whole.usage?.completion_tokens).toBeLessThanOrEqual(budgetThinkingMaxOutput);
    const stream = await openai.chat.completions.create({ ...request, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('within the maximum');
    const estimate = await system.request('POST', '/v1/estimate', request);
    expect(estimate.body.candidates[0].max_output_tokens).toBe(budgetThinkingMaxOutput);
  });

  it('refuses by name a limit above the most output, and an effort with too little room to think', async () => {
    const above = openai.chat.completions.create({
      model: budgetThinkingModel,
      max_completion_tokens: budgetThinkingMaxOutput + 1,
      messages: [{ role: 'user', content: 'echo: too long' }],
    });
    await expect(above).rejects.toMatchObject({ status: 400 });
    const cramped = openai.chat.completions.create({
      model: budgetThinkingModel,
      reasoning_effort: 'low',
      max_completion_tokens: 1000,
      messages: [{ role: 'user', content: 'echo: no room' }],
    });
    await expect(cramped).rejects.toMatchObject({
      status: 400,
      code: 'unsupported_parameter',
      message: expect.stringContaining('reasoning_effort'),
    });
  });
});

describe('POST /v1/jobs with tools', () => {
  it('completes with the tool call in its result, and its webhook carries it', async () => {
    const id = await system.submit({
      webhook: { url: receiver.url, events: ['job.completed'] },
      model: 'sim-claude-fast',
      messages: [{ role: 'user', content: 'Use get_weather for Rome.' }],
      tools: [weatherTool],
      tool_choice: 'required',
      max_tokens: 200,
    });
    const job = await system.waitForJob(id);
    expect(job.status).toBe('completed');
    expect(job.result.finish_reason).toBe('tool_calls');
    expect(job.result.message.tool_calls).toEqual([
      {
        id: expect.stringMatching(/^toolu_/),
        type: 'function',
        function: { name: 'get_weather', arguments: expect.any(String) },
      },
    ]);
    expect(JSON.parse(job.result.message.tool_calls[0].function.arguments)).toEqual({
      city: expect.any(String),
    });
    expect(job.result.content).toEqual([
      expect.objectContaining({ type: 'tool-call', toolName: 'get_weather' }),
    ]);

    const secret = (await system.request('GET', '/v1/webhook-secret')).body.secret as string;
    await waitFor(() => (receiver.received.length > 0 ? true : undefined), { what: 'webhook' });
    const payload = receiver.verify(receiver.received[0] as ReceivedWebhook, secret);
    expect(payload).toMatchObject({ type: 'job.completed', data: { id, status: 'completed' } });
    const delivered = payload.data.result as unknown as JobResult | undefined;
    expect(delivered?.message.tool_calls).toEqual(job.result.message.tool_calls);
  });
});

describe('the typed client', () => {
  it('runs a two-step tool loop as jobs: the call, then the tool-result turn answered', async () => {
    const client = new LlmqClient({ baseUrl: system.apiUrl, apiKey });
    const tool: ToolInput = {
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'The weather in a city',
        parameters: {
          type: 'object',
          properties: { city: { type: 'string' } },
          required: ['city'],
        },
      },
    };
    const question = { role: 'user' as const, content: 'Use get_weather for Oslo.' };
    const first = await client.submitJob({
      model: 'sim-claude-fast',
      messages: [question],
      tools: [tool],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      max_tokens: 200,
    });
    const called = await system.waitForJob(first.id);
    expect(called.status).toBe('completed');
    const viewed = await client.getJob(first.id);
    expect(viewed.result?.finish_reason).toBe('tool_calls');
    const toolCalls = viewed.result?.message?.tool_calls ?? [];
    expect(toolCalls).toHaveLength(1);
    const [call] = toolCalls;
    expect(call?.function.name).toBe('get_weather');

    const second = await client.submitJob({
      model: 'sim-claude-fast',
      messages: [
        question,
        { role: 'assistant', content: null, tool_calls: toolCalls },
        { role: 'tool', tool_call_id: call?.id ?? '', content: 'Sunny, 21 degrees' },
      ],
      tools: [tool],
      max_tokens: 200,
    });
    const answered = await system.waitForJob(second.id);
    expect(answered.status).toBe('completed');
    expect(answered.result.finish_reason).toBe('stop');
    expect(answered.result.text).toContain('Sunny, 21 degrees');
  });
});

describe('the events of a streamed /v1/jobs job with tools', () => {
  it('carry the tool call as parts: its start, then argument deltas adding up to its arguments', async () => {
    const id = await system.submit({
      model: 'sim-claude-fast',
      messages: [{ role: 'user', content: 'Use get_weather for Lima.' }],
      tools: [weatherTool],
      max_tokens: 200,
      stream: true,
    });
    const { events } = await readEvents(`${system.apiUrl}/v1/jobs/${id}/events`, {
      Authorization: `Bearer ${apiKey}`,
    });
    const parts = events
      .filter((event) => event.event === 'delta')
      .flatMap((event) => (JSON.parse(event.data) as { parts?: ContentStreamPart[] }).parts ?? []);
    // What Claude's message_start said (no cache writes here), then the call.
    expect(parts[0]).toEqual({
      type: 'response-metadata',
      cacheWrites: { inputTokens: 0, oneHourInputTokens: 0 },
    });
    expect(parts[1]).toEqual({
      type: 'tool-call-start',
      index: 0,
      toolCallId: expect.stringMatching(/^toolu_/),
      toolName: 'get_weather',
    });
    const argumentsText = parts
      .flatMap((part) => (part.type === 'tool-call-delta' ? [part.argumentsDelta] : []))
      .join('');
    const final = JSON.parse(events.at(-1)?.data ?? '{}') as { status: string; result: JobResult };
    expect(final.status).toBe('completed');
    expect(argumentsText).toBe(final.result.message.tool_calls?.[0]?.function.arguments);
    expect(JSON.parse(argumentsText)).toEqual({ city: expect.any(String) });
  });
});

describe('a chat batch whose lines use tools and response_format', () => {
  it('completes, each output line carrying the tool call or the JSON asked for', async () => {
    const lines = [
      {
        custom_id: 'tool-line',
        method: 'POST',
        url: '/v1/chat/completions',
        body: {
          model: 'sim-claude-fast',
          messages: [{ role: 'user', content: 'Use get_weather for Oslo.' }],
          tools: [weatherTool],
          max_tokens: 200,
        },
      },
      {
        custom_id: 'json-line',
        method: 'POST',
        url: '/v1/chat/completions',
        body: {
          model: 'sim-gpt-fast',
          messages: [{ role: 'user', content: 'Describe a city.' }],
          response_format: zodResponseFormat(
            z.object({ name: z.string(), population: z.number().int() }),
            'city',
          ),
          max_tokens: 300,
        },
      },
    ];
    const file = await openai.files.create({
      file: await toFile(
        Buffer.from(lines.map((line) => JSON.stringify(line)).join('\n')),
        'rich.jsonl',
      ),
      purpose: 'batch',
    });
    const created = await openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const batch = await waitFor(
      async () => {
        const current = await openai.batches.retrieve(created.id);
        return ['completed', 'failed', 'expired', 'cancelled'].includes(current.status)
          ? current
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'the batch to end' },
    );
    expect(batch.status).toBe('completed');
    expect(batch.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
    const output = await (await openai.files.content(batch.output_file_id as string)).text();
    const bodies = new Map(
      output
        .trim()
        .split('\n')
        .map(
          (line) =>
            JSON.parse(line) as { custom_id: string; response: { body: OpenAI.ChatCompletion } },
        )
        .map((line) => [line.custom_id, line.response.body]),
    );
    const toolChoice = bodies.get('tool-line')?.choices[0];
    expect(toolChoice?.finish_reason).toBe('tool_calls');
    const call = toolChoice?.message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function tool call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: expect.any(String) });
    const json = JSON.parse(bodies.get('json-line')?.choices[0]?.message.content ?? '');
    expect(json).toEqual({ name: expect.any(String), population: expect.any(Number) });
  });
});
