import type { StreamPart } from '../../providers/language-model';
import { assembleWithOpenAISdk } from '../test-support/assemble-with-sdk';
import { convertOpenAIChatRequest } from './convert-openai-chat-request';
import { convertToOpenAIChatCompletion } from './convert-to-openai-chat-completion';
import { OpenAIChatChunkWriter } from './openai-chat-chunk-writer';
import { openAIChatRequestSchema } from './openai-chat-request-schema';

const read = (body: unknown) => convertOpenAIChatRequest(openAIChatRequestSchema.parse(body));

describe('OpenAI chat request → neutral', () => {
  it('reads a stream with its usage chunk, n choices and logprobs', () => {
    const messages = [{ role: 'user', content: 'hi' }];
    expect(
      read({ model: 'gpt-x', stream: true, stream_options: { include_usage: true }, messages }),
    ).toMatchObject({ stream: true, includeUsage: true });
    expect(read({ model: 'gpt-x', stream: true, n: 1, logprobs: false, messages })).toMatchObject({
      stream: true,
    });
    expect(read({ model: 'gpt-x', stream: true, n: 2, messages })).toMatchObject({
      stream: true,
      request: { n: 2 },
    });
    expect(
      read({ model: 'gpt-x', stream: true, logprobs: true, top_logprobs: 2, messages }),
    ).toMatchObject({ stream: true, request: { logprobs: true, topLogprobs: 2 } });
    expect(read({ model: 'gpt-x', n: 2, logprobs: true, messages }).request).toMatchObject({
      n: 2,
      logprobs: true,
    });
  });

  it('reads tools, tool choice, response format, reasoning, cache key, logprobs and identifiers', () => {
    const call = read({
      model: 'gpt-x',
      messages: [{ role: 'user', content: 'hi', name: 'ada' }],
      tools: [
        {
          type: 'function',
          function: { name: 'f', description: 'd', parameters: { type: 'object' }, strict: true },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'f' } },
      parallel_tool_calls: false,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'x', schema: { type: 'object' }, strict: true },
      },
      reasoning_effort: 'high',
      verbosity: 'low',
      prompt_cache_key: 'k',
      logprobs: true,
      top_logprobs: 2,
      max_completion_tokens: 50,
      stop: 'END',
      seed: 7,
      n: 1,
      user: 'u-1',
    });
    expect(call).toEqual({
      model: 'gpt-x',
      stream: false,
      includeUsage: false,
      legacyFunctions: false,
      request: {
        messages: [{ role: 'user', content: 'hi', name: 'ada' }],
        tools: [{ name: 'f', description: 'd', parameters: { type: 'object' }, strict: true }],
        toolChoice: { type: 'tool', toolName: 'f' },
        parallelToolCalls: false,
        responseFormat: {
          type: 'json_schema',
          name: 'x',
          schema: { type: 'object' },
          strict: true,
        },
        reasoning: { effort: 'high' },
        verbosity: 'low',
        promptCacheKey: 'k',
        logprobs: true,
        topLogprobs: 2,
        maxTokens: 50,
        stop: ['END'],
        seed: 7,
        n: 1,
        safetyIdentifier: 'u-1',
      },
    });
  });

  it('reads images, files, assistant tool calls and tool results (consecutive ones in one tool message)', () => {
    const { request } = read({
      model: 'm',
      messages: [
        {
          role: 'developer',
          content: [
            { type: 'text', text: 'A' },
            { type: 'text', text: 'B' },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR', detail: 'low' } },
            { type: 'image_url', image_url: { url: 'https://example.com/a.jpg' } },
            {
              type: 'file',
              file: { file_data: 'data:application/pdf;base64,JVBER', filename: 'a.pdf' },
            },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
            { id: 'c2', type: 'function', function: { name: 'g', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'one' },
        { role: 'tool', tool_call_id: 'c2', content: [{ type: 'text', text: 'two' }] },
      ],
    });
    expect(request.messages).toEqual([
      {
        role: 'system',
        content: [
          { type: 'text', text: 'A' },
          { type: 'text', text: 'B' },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'look' },
          {
            type: 'image',
            source: { type: 'base64', mediaType: 'image/png', data: 'iVBOR' },
            detail: 'low',
          },
          { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
          {
            type: 'document',
            source: { type: 'base64', mediaType: 'application/pdf', data: 'JVBER' },
            filename: 'a.pdf',
          },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'tool-call', toolCallId: 'c1', toolName: 'f', arguments: '{"a":1}' },
          { type: 'tool-call', toolCallId: 'c2', toolName: 'g', arguments: '{}' },
        ],
      },
      {
        role: 'tool',
        content: [
          { type: 'tool-result', toolCallId: 'c1', content: 'one' },
          { type: 'tool-result', toolCallId: 'c2', content: [{ type: 'text', text: 'two' }] },
        ],
      },
    ]);
  });

  it("takes a tool message's name (LangChain's ToolMessage) when it names the tool called, and refuses another", () => {
    const conversation = (name: string) => ({
      model: 'm',
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          content: '',
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', name, content: 'sunny' },
      ],
    });
    expect(read(conversation('f')).request.messages[2]).toEqual({
      role: 'tool',
      content: [{ type: 'tool-result', toolCallId: 'c1', content: 'sunny' }],
    });
    const refused = openAIChatRequestSchema.safeParse(conversation('g'));
    expect(refused.success).toBe(false);
    expect(refused.error?.issues).toEqual([
      expect.objectContaining({
        path: ['messages', 2, 'name'],
        message: 'names the tool "g", but "c1" is a call of "f"',
      }),
    ]);
  });

  it('reads presence and frequency penalties, leaving out the 0 that asks for nothing', () => {
    const messages = [{ role: 'user', content: 'x' }];
    expect(
      read({ model: 'm', messages, presence_penalty: 0.5, frequency_penalty: -1 }).request,
    ).toMatchObject({ presencePenalty: 0.5, frequencyPenalty: -1 });
    const unasked = read({ model: 'm', messages, presence_penalty: 0, frequency_penalty: 0 });
    expect(unasked.request).not.toHaveProperty('presencePenalty');
    expect(unasked.request).not.toHaveProperty('frequencyPenalty');
  });

  it.each([
    ['store', { store: true }],
    ['logit_bias', { logit_bias: { '1': 2 } }],
    ['modalities', { modalities: ['text', 'audio'] }],
    ['service_tier', { service_tier: 'flex' }],
  ])('refuses %s by name instead of dropping it', (parameter, extra) => {
    expect(() =>
      read({ model: 'm', messages: [{ role: 'user', content: 'x' }], ...extra }),
    ).toThrow(expect.objectContaining({ code: 'unsupported_parameter', parameter }));
  });

  it('accepts store: false, which is what llmq does anyway', () => {
    expect(
      read({ model: 'm', messages: [{ role: 'user', content: 'x' }], store: false }).request,
    ).toEqual({
      messages: [{ role: 'user', content: 'x' }],
    });
  });
});

const answer = {
  id: 'chatcmpl-1',
  model: 'm',
  created: 1700000000,
  usage: {
    inputTokens: 10,
    outputTokens: 5,
    cachedInputTokens: 4,
    totalTokens: 15,
    reasoningTokens: 2,
  },
};

describe('the output limit, in max_tokens or max_completion_tokens', () => {
  const read = (fields: Record<string, unknown>) =>
    convertOpenAIChatRequest(
      openAIChatRequestSchema.parse({
        model: 'gpt-x',
        messages: [{ role: 'user', content: 'hi' }],
        ...fields,
      }),
    ).request.maxTokens;

  test('either field is the limit; null is not set', () => {
    expect(read({ max_tokens: 40 })).toBe(40);
    expect(read({ max_completion_tokens: 50 })).toBe(50);
    expect(read({ max_tokens: null, max_completion_tokens: 50 })).toBe(50);
    expect(read({})).toBeUndefined();
  });

  test('both set is refused as OpenAI refuses it', () => {
    expect(() => read({ max_tokens: 40, max_completion_tokens: 50 })).toThrow(
      expect.objectContaining({
        name: 'ClientError',
        code: 'invalid_parameter_combination',
        status: 400,
        message:
          "Setting 'max_tokens' and 'max_completion_tokens' at the same time is not supported.",
        details: { parameter: 'max_tokens' },
      }),
    );
  });
});

describe('legacy functions and allowed_tools → neutral', () => {
  const f = { name: 'f', parameters: { type: 'object' } };
  const g = { name: 'g', parameters: { type: 'object' } };

  it('reads functions as tools, function_call as the choice, and pairs each function result with its call', () => {
    const call = read({
      model: 'gpt-x',
      functions: [f],
      function_call: { name: 'f' },
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: null, function_call: { name: 'f', arguments: '{}' } },
        { role: 'function', name: 'f', content: 'done' },
      ],
    });
    expect(call.legacyFunctions).toBe(true);
    expect(call.request.tools).toEqual([{ name: 'f', parameters: { type: 'object' } }]);
    // Legacy functions never call in parallel: one call per turn is asked where it can be.
    expect(call.request.preferOneToolCall).toBe(true);
    expect(call.request.parallelToolCalls).toBeUndefined();
    expect(call.request.toolChoice).toEqual({ type: 'tool', toolName: 'f' });
    expect(call.request.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: [{ type: 'tool-call', toolCallId: 'call_fn_1', toolName: 'f', arguments: '{}' }],
      },
      {
        role: 'tool',
        content: [{ type: 'tool-result', toolCallId: 'call_fn_1', content: 'done' }],
      },
    ]);
  });

  it('refuses a function result that answers no call, and function_call without functions', () => {
    expect(() =>
      read({ model: 'gpt-x', messages: [{ role: 'function', name: 'f', content: 'x' }] }),
    ).toThrow(expect.objectContaining({ details: { parameter: 'messages[0].name' } }));
    expect(() =>
      read({ model: 'gpt-x', function_call: 'auto', messages: [{ role: 'user', content: 'x' }] }),
    ).toThrow(expect.objectContaining({ details: { parameter: 'function_call' } }));
  });

  it('sends only the allowed tools, with the mode as the choice', () => {
    const call = read({
      model: 'gpt-x',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [
        { type: 'function', function: f },
        { type: 'function', function: g },
      ],
      tool_choice: {
        type: 'allowed_tools',
        allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: { name: 'g' } }] },
      },
    });
    expect(call.request.tools?.map((tool) => tool.name)).toEqual(['g']);
    expect(call.request.toolChoice).toBe('auto');
  });
});

describe('neutral answer → legacy function_call', () => {
  it('answers one call as function_call with finish_reason function_call, whole and streamed', () => {
    const completion = convertToOpenAIChatCompletion(
      {
        id: 'chatcmpl-1',
        created: 1,
        model: 'gpt-x',
        content: [{ type: 'tool-call', toolCallId: 'c', toolName: 'f', arguments: '{"a":1}' }],
        finishReason: 'tool_calls',
        usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2, cachedInputTokens: 0 },
      },
      { legacyFunctions: true },
    );
    expect(completion.choices[0]).toMatchObject({
      message: { content: null, function_call: { name: 'f', arguments: '{"a":1}' } },
      finish_reason: 'function_call',
    });
    expect(completion.choices[0]?.message.tool_calls).toBeUndefined();
    const writer = new OpenAIChatChunkWriter({
      id: 'chatcmpl-1',
      model: 'gpt-x',
      created: 1,
      includeUsage: false,
      legacyFunctions: true,
    });
    const deltas = [
      ...writer.write({ type: 'tool-call-start', index: 0, toolCallId: 'c', toolName: 'f' }),
      ...writer.write({ type: 'tool-call-delta', index: 0, argumentsDelta: '{}' }),
    ].map((chunk) => chunk.choices[0]?.delta);
    expect(deltas).toEqual([
      { role: 'assistant', function_call: { name: 'f', arguments: '' } },
      { function_call: { arguments: '{}' } },
    ]);
  });
});

describe('neutral answer → OpenAI chat completion', () => {
  it('puts tool calls in tool_calls with content null and finish_reason tool_calls', () => {
    const completion = convertToOpenAIChatCompletion({
      ...answer,
      content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'f', arguments: '{"a":1}' }],
      finishReason: 'tool_calls',
    });
    expect(completion).toEqual({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1700000000,
      model: 'm',
      service_tier: 'default',
      system_fingerprint: null,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [
              { id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
            ],
          },
          finish_reason: 'tool_calls',
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        prompt_tokens_details: { cached_tokens: 4 },
        completion_tokens_details: { reasoning_tokens: 2 },
      },
    });
  });

  it('sends other choices (n > 1) as choices 1…n-1', () => {
    const completion = convertToOpenAIChatCompletion({
      ...answer,
      content: [{ type: 'text', text: 'first' }],
      finishReason: 'stop',
      otherChoices: [{ content: [{ type: 'text', text: 'second' }], finishReason: 'length' }],
    });
    expect(
      completion.choices.map((choice) => [
        choice.index,
        choice.message.content,
        choice.finish_reason,
      ]),
    ).toEqual([
      [0, 'first', 'stop'],
      [1, 'second', 'length'],
    ]);
  });

  it('joins text parts and reports reasoning as reasoning_content, signed blocks as thinking_blocks', () => {
    const completion = convertToOpenAIChatCompletion({
      ...answer,
      content: [
        { type: 'reasoning', text: 'think', signature: 's' },
        { type: 'reasoning', text: '', redactedData: 'enc' },
        { type: 'text', text: 'a' },
        { type: 'text', text: 'b' },
      ],
      finishReason: 'stop',
    });
    expect(completion.choices[0]?.message).toEqual({
      role: 'assistant',
      content: 'ab',
      refusal: null,
      reasoning_content: 'think',
      thinking_blocks: [
        { type: 'thinking', thinking: 'think', signature: 's' },
        { type: 'redacted_thinking', data: 'enc' },
      ],
    });
  });

  it('sends no thinking_blocks for reasoning without a signature (an OpenAI-style model)', () => {
    const completion = convertToOpenAIChatCompletion({
      ...answer,
      content: [
        { type: 'reasoning', text: 'think' },
        { type: 'text', text: 'a' },
      ],
      finishReason: 'stop',
    });
    const message = completion.choices[0]?.message as unknown as Record<string, unknown>;
    expect(message.reasoning_content).toBe('think');
    expect('thinking_blocks' in message).toBe(false);
  });
});

describe('thinking_blocks sent back by a client', () => {
  it('become reasoning parts with their signatures, before the text and tool calls', () => {
    const { request } = read({
      model: 'm',
      messages: [
        { role: 'user', content: 'hi' },
        {
          role: 'assistant',
          content: null,
          reasoning_content: 'think',
          thinking_blocks: [
            { type: 'thinking', thinking: 'think', signature: 'sig' },
            { type: 'redacted_thinking', data: 'enc' },
          ],
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'get_time', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'noon' },
      ],
    });
    expect(request.messages[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'reasoning', text: 'think', signature: 'sig' },
        { type: 'reasoning', text: '', redactedData: 'enc' },
        { type: 'tool-call', toolCallId: 'c1', toolName: 'get_time', arguments: '{}' },
      ],
    });
  });

  it('are refused by the schema when a thinking block has no signature', () => {
    expect(() =>
      read({
        model: 'm',
        messages: [
          {
            role: 'assistant',
            content: 'a',
            thinking_blocks: [{ type: 'thinking', thinking: 't' }],
          },
        ],
      }),
    ).toThrow(/signature/);
  });
});

describe('neutral stream → OpenAI chunks', () => {
  it('sends reasoning as reasoning_content, then the signed block whole in thinking_blocks', async () => {
    const writer = new OpenAIChatChunkWriter({
      id: 'c',
      model: 'm',
      created: 1,
      includeUsage: false,
    });
    const chunks = (
      [
        { type: 'reasoning-delta', delta: 'Th' },
        { type: 'reasoning-delta', delta: 'ink.' },
        { type: 'reasoning-signature', signature: 'sig' },
        { type: 'reasoning-redacted', data: 'enc' },
        { type: 'text-delta', delta: 'Hi' },
        { type: 'finish', finishReason: 'stop', usage: answer.usage, responseModel: 'm' },
      ] satisfies StreamPart[]
    ).flatMap((part) => writer.write(part));
    expect(chunks.map((chunk) => chunk.choices[0]?.delta)).toEqual([
      { role: 'assistant', reasoning_content: 'Th' },
      { reasoning_content: 'ink.' },
      { thinking_blocks: [{ type: 'thinking', thinking: 'Think.', signature: 'sig' }] },
      { thinking_blocks: [{ type: 'redacted_thinking', data: 'enc' }] },
      { content: 'Hi' },
      {},
    ]);
  });

  const parts: StreamPart[] = [
    { type: 'text-delta', delta: 'Let me ' },
    { type: 'text-delta', delta: 'check.' },
    { type: 'tool-call-start', index: 0, toolCallId: 'c1', toolName: 'get_weather' },
    { type: 'tool-call-delta', index: 0, argumentsDelta: '{"city":' },
    { type: 'tool-call-delta', index: 0, argumentsDelta: '"Paris"}' },
    { type: 'tool-call-start', index: 1, toolCallId: 'c2', toolName: 'get_time' },
    { type: 'tool-call-delta', index: 1, argumentsDelta: '{}' },
    { type: 'finish', finishReason: 'tool_calls', usage: answer.usage, responseModel: 'm' },
  ];

  it('sends tool_calls deltas by index, then the finish reason, then usage', () => {
    const writer = new OpenAIChatChunkWriter({
      id: 'chatcmpl-1',
      model: 'm',
      created: 1,
      includeUsage: true,
    });
    const chunks = parts.flatMap((part) => writer.write(part));
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: 'Let me ' });
    expect(chunks[2]?.choices[0]?.delta).toEqual({
      tool_calls: [
        { index: 0, id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '' } },
      ],
    });
    expect(chunks[3]?.choices[0]?.delta).toEqual({
      tool_calls: [{ index: 0, function: { arguments: '{"city":' } }],
    });
    expect(chunks.at(-2)?.choices).toEqual([
      { index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' },
    ]);
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 10, completion_tokens: 5 },
    });
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
  });

  it('is assembled by the official SDK stream helper into the same message', async () => {
    const writer = new OpenAIChatChunkWriter({
      id: 'chatcmpl-1',
      model: 'm',
      created: 1,
      includeUsage: true,
    });
    const completion = await assembleWithOpenAISdk(parts.flatMap((part) => writer.write(part)));
    expect(completion.choices[0]?.message).toMatchObject({
      role: 'assistant',
      content: 'Let me check.',
      tool_calls: [
        {
          id: 'c1',
          type: 'function',
          function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
        },
        { id: 'c2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
      ],
    });
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(completion.usage).toMatchObject({
      prompt_tokens: 10,
      completion_tokens: 5,
      total_tokens: 15,
    });
  });

  it('streams n > 1 choices interleaved, which the official SDK assembles choice by choice', async () => {
    const writer = new OpenAIChatChunkWriter({
      id: 'c',
      model: 'm',
      created: 1,
      includeUsage: true,
    });
    const logprob = { token: 'B', logprob: -0.5, topLogprobs: [] };
    const chunks = (
      [
        { type: 'text-delta', delta: '' },
        { type: 'text-delta', delta: '', choice: 1 },
        { type: 'text-delta', delta: 'A' },
        { type: 'text-delta', delta: 'B', choice: 1, logprobs: [logprob] },
        { type: 'tool-call-start', index: 0, toolCallId: 'c1', toolName: 'f', choice: 1 },
        { type: 'text-delta', delta: 'a' },
        {
          type: 'finish',
          finishReason: 'stop',
          otherFinishReasons: ['tool_calls'],
          usage: answer.usage,
          responseModel: 'm',
        },
      ] satisfies StreamPart[]
    ).flatMap((part) => writer.write(part));
    expect(chunks.slice(0, 2).map((chunk) => chunk.choices[0])).toEqual([
      { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
      { index: 1, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
    ]);
    expect(chunks.map((chunk) => chunk.choices[0]?.index ?? null)).toEqual([
      0,
      1,
      0,
      1,
      1,
      0,
      0,
      1,
      null,
    ]);
    const completion = await assembleWithOpenAISdk(chunks);
    expect(completion.choices).toMatchObject([
      { index: 0, message: { role: 'assistant', content: 'Aa' }, finish_reason: 'stop' },
      {
        index: 1,
        message: {
          role: 'assistant',
          content: 'B',
          tool_calls: [{ id: 'c1', function: { name: 'f', arguments: '' } }],
        },
        logprobs: { content: [{ token: 'B', logprob: -0.5 }] },
        finish_reason: 'tool_calls',
      },
    ]);
    expect(completion.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 5 });
  });

  it("sends a choice's finish chunk when it ends while another streams on, not again at the end", async () => {
    const writer = new OpenAIChatChunkWriter({
      id: 'c',
      model: 'm',
      created: 1,
      includeUsage: true,
    });
    const chunks = (
      [
        { type: 'text-delta', delta: '' },
        { type: 'text-delta', delta: 'B', choice: 1 },
        { type: 'choice-end', finishReason: 'length', choice: 1 },
        { type: 'text-delta', delta: 'A' },
        { type: 'text-delta', delta: 'a' },
        { type: 'choice-end', finishReason: 'stop' },
        {
          type: 'finish',
          finishReason: 'stop',
          otherFinishReasons: ['length'],
          usage: answer.usage,
          responseModel: 'm',
        },
      ] satisfies StreamPart[]
    ).flatMap((part) => writer.write(part));
    // [index, content, finish_reason] of each chunk, as OpenAI interleaves them: choice 1's
    // finish chunk (an empty delta) comes before choice 0's last deltas; the usage chunk, last.
    expect(
      chunks.map((chunk) => {
        const choice = chunk.choices[0];
        return choice ? [choice.index, choice.delta.content, choice.finish_reason] : 'usage';
      }),
    ).toEqual([
      [0, '', null],
      [1, 'B', null],
      [1, undefined, 'length'],
      [0, 'A', null],
      [0, 'a', null],
      [0, undefined, 'stop'],
      'usage',
    ]);
    const completion = await assembleWithOpenAISdk(chunks);
    expect(completion.choices).toMatchObject([
      { index: 0, message: { content: 'Aa' }, finish_reason: 'stop' },
      { index: 1, message: { content: 'B' }, finish_reason: 'length' },
    ]);
  });

  it("sends a text delta's token logprobs in its chunk, which the SDK assembles in order", async () => {
    const writer = new OpenAIChatChunkWriter({
      id: 'c',
      model: 'm',
      created: 1,
      includeUsage: false,
    });
    const token = (text: string, logprob: number) => ({
      token: text,
      logprob,
      topLogprobs: [{ token: text, logprob }],
    });
    const chunks = (
      [
        { type: 'text-delta', delta: '' },
        { type: 'text-delta', delta: 'Hé', logprobs: [token('H', -0.5), token('é', -1)] },
        { type: 'text-delta', delta: '!', logprobs: [token('!', -0.25)] },
        { type: 'finish', finishReason: 'stop', usage: answer.usage, responseModel: 'm' },
      ] satisfies StreamPart[]
    ).flatMap((part) => writer.write(part));
    expect(chunks.map((chunk) => chunk.choices[0]?.logprobs?.content?.length ?? null)).toEqual([
      null,
      2,
      1,
      null,
    ]);
    expect(chunks[1]?.choices[0]?.logprobs?.content?.[1]).toEqual({
      token: 'é',
      logprob: -1,
      bytes: [0xc3, 0xa9],
      top_logprobs: [{ token: 'é', logprob: -1, bytes: [0xc3, 0xa9] }],
    });
    const completion = await assembleWithOpenAISdk(chunks);
    expect(completion.choices[0]?.message.content).toBe('Hé!');
    expect(completion.choices[0]?.logprobs?.content?.map((entry) => entry.token)).toEqual([
      'H',
      'é',
      '!',
    ]);
  });
});
