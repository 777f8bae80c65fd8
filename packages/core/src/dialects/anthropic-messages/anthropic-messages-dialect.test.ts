import type { StreamPart } from '../../providers/language-model';
import { assembleWithAnthropicSdk } from '../test-support/assemble-with-sdk';
import { AnthropicEventWriter } from './anthropic-event-writer';
import { anthropicMessagesRequestSchema } from './anthropic-messages-request-schema';
import { convertAnthropicMessagesRequest } from './convert-anthropic-messages-request';
import { convertToAnthropicMessage } from './convert-to-anthropic-message';

const read = (body: unknown) =>
  convertAnthropicMessagesRequest(anthropicMessagesRequestSchema.parse(body));

describe('Anthropic messages request → neutral', () => {
  it('reads thinking display "summarized" into the neutral reasoning, not dropped', () => {
    for (const thinking of [
      { type: 'adaptive', display: 'summarized' },
      { type: 'enabled', budget_tokens: 1024, display: 'summarized' },
    ]) {
      const call = read({
        model: 'claude-x',
        max_tokens: 2000,
        messages: [{ role: 'user', content: 'hi' }],
        thinking,
      });
      expect(call.request.reasoning?.summarized).toBe(true);
    }
  });

  it('reads system blocks, tools, tool choice, thinking, structured output and the user id', () => {
    const call = read({
      model: 'claude-x',
      max_tokens: 2000,
      stream: true,
      system: [
        { type: 'text', text: 'You are terse.' },
        { type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } },
      ],
      messages: [{ role: 'user', content: 'hi' }],
      tools: [
        {
          name: 'f',
          description: 'd',
          input_schema: { type: 'object' },
          cache_control: { type: 'ephemeral', ttl: '1h' },
        },
      ],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      thinking: { type: 'enabled', budget_tokens: 1024 },
      output_config: { format: { type: 'json_schema', schema: { type: 'object' } } },
      metadata: { user_id: 'u-1' },
      stop_sequences: ['END'],
    });
    expect(call).toEqual({
      model: 'claude-x',
      stream: true,
      request: {
        maxTokens: 2000,
        messages: [
          {
            role: 'system',
            content: [
              { type: 'text', text: 'You are terse.' },
              { type: 'text', text: 'Be brief.', cacheControl: { type: 'ephemeral' } },
            ],
          },
          { role: 'user', content: 'hi' },
        ],
        tools: [
          {
            name: 'f',
            description: 'd',
            parameters: { type: 'object' },
            cacheControl: { type: 'ephemeral', ttl: '1h' },
          },
        ],
        toolChoice: 'required',
        parallelToolCalls: false,
        reasoning: { budgetTokens: 1024 },
        responseFormat: { type: 'json_schema', name: 'response', schema: { type: 'object' } },
        safetyIdentifier: 'u-1',
        stop: ['END'],
      },
    });
  });

  it('splits a user turn into its tool results (a tool message) and the rest, and reads thinking and tool_use', () => {
    const { request } = read({
      model: 'c',
      max_tokens: 100,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 'sig' },
            { type: 'redacted_thinking', data: 'enc' },
            { type: 'tool_use', id: 't1', name: 'f', input: { a: 1 } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 't1', content: 'failed', is_error: true },
            { type: 'text', text: 'and now?' },
          ],
        },
      ],
    });
    expect(request.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: 'iVBOR' } },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'hmm', signature: 'sig' },
          { type: 'reasoning', text: '', redactedData: 'enc' },
          { type: 'tool-call', toolCallId: 't1', toolName: 'f', arguments: '{"a":1}' },
        ],
      },
      {
        role: 'tool',
        content: [{ type: 'tool-result', toolCallId: 't1', content: 'failed', isError: true }],
      },
      { role: 'user', content: [{ type: 'text', text: 'and now?' }] },
    ]);
  });

  it('reads top_k', () => {
    expect(
      read({ model: 'c', max_tokens: 10, messages: [{ role: 'user', content: 'x' }], top_k: 5 })
        .request,
    ).toMatchObject({ topK: 5 });
  });

  it.each([['service_tier', { service_tier: 'auto' }]])(
    'refuses %s by name',
    (parameter, extra) => {
      expect(() =>
        read({ model: 'c', max_tokens: 10, messages: [{ role: 'user', content: 'x' }], ...extra }),
      ).toThrow(expect.objectContaining({ code: 'unsupported_parameter', parameter }));
    },
  );
});

const usage = {
  inputTokens: 100,
  outputTokens: 20,
  cachedInputTokens: 60,
  cacheWriteInputTokens: 30,
  totalTokens: 120,
};

describe('neutral answer → Anthropic message', () => {
  it('reports a matched stop sequence as stop_reason stop_sequence, and cache usage as Anthropic counts it', () => {
    const message = convertToAnthropicMessage({
      id: 'msg_1',
      model: 'c',
      created: 1,
      content: [{ type: 'text', text: 'one two' }],
      finishReason: 'stop',
      stopSequence: 'three',
      usage,
    });
    expect(message).toMatchObject({
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: 'one two' }],
      stop_reason: 'stop_sequence',
      stop_sequence: 'three',
      usage: {
        input_tokens: 10,
        cache_read_input_tokens: 60,
        cache_creation_input_tokens: 30,
        output_tokens: 20,
      },
    });
  });

  it('turns tool calls into tool_use blocks with parsed input, thinking with its signature', () => {
    const message = convertToAnthropicMessage({
      id: 'msg_1',
      model: 'c',
      created: 1,
      content: [
        { type: 'reasoning', text: 'plan', signature: 'sig' },
        { type: 'tool-call', toolCallId: 'call_1', toolName: 'f', arguments: '{"a":[1]}' },
      ],
      finishReason: 'tool_calls',
      usage,
    });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'plan', signature: 'sig' },
      { type: 'tool_use', id: 'call_1', name: 'f', input: { a: [1] }, caller: { type: 'direct' } },
    ]);
  });
});

describe('neutral stream → Anthropic events', () => {
  const parts: StreamPart[] = [
    { type: 'reasoning-delta', delta: 'Think' },
    { type: 'reasoning-delta', delta: 'ing.' },
    { type: 'reasoning-signature', signature: 'sig-1' },
    { type: 'text-delta', delta: 'Checking.' },
    { type: 'tool-call-start', index: 0, toolCallId: 'toolu_1', toolName: 'get_weather' },
    { type: 'tool-call-delta', index: 0, argumentsDelta: '{"city":' },
    { type: 'tool-call-delta', index: 0, argumentsDelta: '"Paris"}' },
    { type: 'finish', finishReason: 'tool_calls', usage, responseModel: 'c' },
  ];
  const events = () => {
    const writer = new AnthropicEventWriter({ id: 'msg_1', model: 'c', inputTokens: 100 });
    return parts.flatMap((part) => writer.write(part));
  };

  it('sends blocks in order with thinking, signature and input_json deltas', () => {
    expect(
      events().map((event) =>
        event.type === 'content_block_delta' ? event.delta.type : event.type,
      ),
    ).toEqual([
      'message_start',
      'content_block_start',
      'thinking_delta',
      'thinking_delta',
      'signature_delta',
      'content_block_stop',
      'content_block_start',
      'text_delta',
      'content_block_stop',
      'content_block_start',
      'input_json_delta',
      'input_json_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events()[0]).toMatchObject({
      type: 'message_start',
      message: { usage: { input_tokens: 100 } },
    });
  });

  it("ignores an n > 1 answer's end, which the Messages API cannot ask for", () => {
    expect(() =>
      anthropicMessagesRequestSchema.parse({
        model: 'c',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
        n: 2,
      }),
    ).toThrow();
    const writer = new AnthropicEventWriter({ id: 'msg_1', model: 'c', inputTokens: 100 });
    // Not even the message_start a first part opens the stream with.
    expect(writer.write({ type: 'choice-end', finishReason: 'stop' })).toEqual([]);
    expect(writer.write({ type: 'text-delta', delta: 'x' })[0]?.type).toBe('message_start');
  });

  it('is assembled by the official SDK into the message with thinking, text and tool_use', async () => {
    const message = await assembleWithAnthropicSdk(events());
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'Thinking.', signature: 'sig-1' },
      { type: 'text', text: 'Checking.' },
      expect.objectContaining({
        type: 'tool_use',
        id: 'toolu_1',
        name: 'get_weather',
        input: { city: 'Paris' },
      }),
    ]);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.usage).toMatchObject({ output_tokens: 20, cache_read_input_tokens: 60 });
  });
});
