import type { Usage } from '../../messages/chat-result';
import type { StreamPart } from '../../messages/stream-part';
import { isUnsupportedParameterError } from '../../messages/unsupported-parameter-error';
import { assembleResponseWithOpenAISdk } from '../test-support/assemble-with-sdk';
import {
  chatRequestOfTurn,
  convertOpenAIResponsesRequest,
} from './convert-openai-responses-request';
import {
  convertToResponseOutput,
  outputItemId,
  parseOutputItemId,
  responseObject,
} from './convert-to-openai-response';
import { OpenAIResponsesEventWriter } from './openai-responses-event-writer';
import { openAIResponsesRequestSchema } from './openai-responses-request-schema';
import { responseInputItems } from './response-input-items';

function read(body: Record<string, unknown>) {
  return convertOpenAIResponsesRequest(openAIResponsesRequestSchema.parse(body));
}

function refusal(body: Record<string, unknown>): string | undefined {
  try {
    read(body);
  } catch (error) {
    if (isUnsupportedParameterError(error)) return error.parameter;
    throw error;
  }
  return undefined;
}

const usage: Usage = {
  inputTokens: 12,
  outputTokens: 7,
  cachedInputTokens: 4,
  totalTokens: 19,
  reasoningTokens: 3,
};
const responseId = `resp_${'ab'.repeat(16)}`;

describe('the openai-responses dialect: requests', () => {
  it('reads a string input, instructions and the options into the neutral request', () => {
    const call = read({
      model: 'gpt-x',
      input: 'hello',
      instructions: 'be brief',
      max_output_tokens: 100,
      temperature: 0.5,
      top_p: 0.9,
      reasoning: { effort: 'low' },
      text: {
        format: { type: 'json_schema', name: 'city', schema: { type: 'object' }, strict: true },
      },
      parallel_tool_calls: false,
      tool_choice: { type: 'function', name: 'f' },
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' }, strict: true }],
      user: 'u-1',
      prompt_cache_key: 'k',
    });
    expect(chatRequestOfTurn(call)).toEqual({
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello' },
      ],
      maxTokens: 100,
      temperature: 0.5,
      topP: 0.9,
      reasoning: { effort: 'low' },
      responseFormat: {
        type: 'json_schema',
        name: 'city',
        schema: { type: 'object' },
        strict: true,
      },
      parallelToolCalls: false,
      toolChoice: { type: 'tool', toolName: 'f' },
      tools: [{ name: 'f', parameters: { type: 'object' }, strict: true }],
      safetyIdentifier: 'u-1',
      promptCacheKey: 'k',
    });
    expect(call.settings).toEqual(
      expect.objectContaining({ store: true, background: false, truncation: 'disabled' }),
    );
  });

  it('sends no tool_choice or parallel_tool_calls without tools, but a choice that asks for a call', () => {
    for (const [tool_choice, parallel_tool_calls] of [
      ['auto', true],
      ['none', false],
    ] as const) {
      const call = read({ model: 'gpt-x', input: 'hi', tool_choice, parallel_tool_calls });
      expect(chatRequestOfTurn(call)).toEqual({ messages: [{ role: 'user', content: 'hi' }] });
      expect(call.settings).toMatchObject({ tool_choice, parallel_tool_calls });
    }
    expect(
      chatRequestOfTurn(read({ model: 'gpt-x', input: 'hi', tool_choice: 'required' })),
    ).toEqual({
      messages: [{ role: 'user', content: 'hi' }],
      toolChoice: 'required',
    });
  });

  it('groups assistant-side items into one turn and function call outputs into one tool turn', () => {
    const call = read({
      model: 'm',
      input: [
        { role: 'developer', content: 'rules' },
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'look' },
            { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'low' },
          ],
        },
        {
          type: 'reasoning',
          id: 'rs_1',
          summary: [],
          content: [{ type: 'reasoning_text', text: 'thinking' }],
          encrypted_content: 'sig-1',
        },
        {
          type: 'message',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'Let me check.' }],
        },
        { type: 'function_call', call_id: 'c1', name: 'a', arguments: '{}' },
        { type: 'function_call', call_id: 'c2', name: 'b', arguments: '{"x":1}' },
        { type: 'function_call_output', call_id: 'c1', output: 'one' },
        {
          type: 'function_call_output',
          call_id: 'c2',
          output: [{ type: 'input_text', text: 'two' }],
        },
      ],
    });
    expect(call.input).toEqual([
      { role: 'system', content: 'rules' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'look' },
          {
            type: 'image',
            source: { type: 'base64', mediaType: 'image/png', data: 'AAAA' },
            detail: 'low',
          },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'thinking', signature: 'sig-1' },
          { type: 'text', text: 'Let me check.' },
          { type: 'tool-call', toolCallId: 'c1', toolName: 'a', arguments: '{}' },
          { type: 'tool-call', toolCallId: 'c2', toolName: 'b', arguments: '{"x":1}' },
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

  it('puts an earlier conversation between the instructions and the new input', () => {
    const call = read({ model: 'm', input: 'again', instructions: 'now' });
    const history = [
      { role: 'user' as const, content: 'first' },
      { role: 'assistant' as const, content: [{ type: 'text' as const, text: 'ok' }] },
    ];
    expect(chatRequestOfTurn(call, history).messages).toEqual([
      { role: 'system', content: 'now' },
      ...history,
      { role: 'user', content: 'again' },
    ]);
  });

  it('refuses by name what llmq cannot carry, and unknown fields and item types', () => {
    expect(refusal({ model: 'm', input: 'x', truncation: 'auto' })).toBe('truncation');
    expect(refusal({ model: 'm', input: 'x', include: ['file_search_call.results'] })).toBe(
      'include[0]',
    );
    expect(refusal({ model: 'm', input: 'x', reasoning: { summary: 'auto' } })).toBe(
      'reasoning.summary',
    );
    expect(refusal({ model: 'm', input: 'x', service_tier: 'flex' })).toBe('service_tier');
    expect(refusal({ model: 'm', input: 'x', conversation: 'conv_1' })).toBe('conversation');
    expect(refusal({ model: 'm', input: 'x', background: true, store: false })).toBe('store');
    expect(
      refusal({
        model: 'm',
        input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }],
      }),
    ).toBe('input[0].content[0].file_id');
    // Neutral values ask for nothing and pass.
    expect(
      refusal({
        model: 'm',
        input: 'x',
        truncation: 'disabled',
        include: [],
        service_tier: 'auto',
      }),
    ).toBeUndefined();
    expect(() => read({ model: 'm', input: 'x', frequency_penalty: 1 })).toThrow();
    expect(() => read({ model: 'm', input: [{ type: 'web_search_call', id: 'w' }] })).toThrow();
    expect(() => read({ model: 'm', input: [] })).toThrow('"input" needs at least one item');
  });

  it('lists input items with ids, a string input as one user message', () => {
    expect(responseInputItems('hi', responseId)).toEqual([
      expect.objectContaining({
        id: expect.stringMatching(/^msg_/),
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: 'hi' }],
      }),
    ]);
    const items = responseInputItems(
      openAIResponsesRequestSchema.parse({
        model: 'm',
        input: [
          { role: 'user', content: 'a', id: 'msg_mine' },
          { type: 'function_call_output', call_id: 'c', output: 'o' },
        ],
      }).input ?? [],
      responseId,
    );
    expect(items.map((item) => item.id)).toEqual(['msg_mine', expect.stringMatching(/^fco_/)]);
  });
});

describe('the openai-responses dialect: answers', () => {
  const settings = read({
    model: 'm',
    input: 'x',
    include: ['reasoning.encrypted_content'],
  }).settings;

  it('turns an answer into output items: reasoning, one message per text run, function calls', () => {
    const output = convertToResponseOutput(
      [
        { type: 'reasoning', text: 'hmm', signature: 'sig' },
        { type: 'text', text: 'Hello ' },
        { type: 'text', text: 'there.' },
        { type: 'tool-call', toolCallId: 'call_1', toolName: 'f', arguments: '{"a":1}' },
      ],
      { responseId, incomplete: false, encryptedReasoning: true },
    );
    expect(output).toEqual([
      {
        id: expect.stringMatching(/^rs_/),
        type: 'reasoning',
        summary: [],
        content: [{ type: 'reasoning_text', text: 'hmm' }],
        encrypted_content: 'sig',
        status: 'completed',
      },
      {
        id: expect.stringMatching(/^msg_/),
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Hello there.', annotations: [], logprobs: [] }],
      },
      {
        id: expect.stringMatching(/^fc_/),
        type: 'function_call',
        call_id: 'call_1',
        name: 'f',
        arguments: '{"a":1}',
        status: 'completed',
      },
    ]);
    // Ids come from the response id and the item's place: the same on every read, and an
    // `item_reference` to one leads back to its response.
    expect(new Set(output.map((item) => item.id)).size).toBe(3);
    expect(output.map((item) => parseOutputItemId(item.id ?? ''))).toEqual(
      [0, 1, 2].map((outputIndex) => ({ responseId, outputIndex })),
    );
    expect(parseOutputItemId(outputItemId(responseId, 'fc', 300))).toEqual({
      responseId,
      outputIndex: 300,
    });
    expect(parseOutputItemId('fc_mine')).toBeUndefined();
    const view = responseObject(settings, {
      id: responseId,
      createdAt: 1,
      status: 'incomplete',
      incompleteReason: 'max_output_tokens',
      output,
      usage,
    });
    expect(view.usage).toEqual({
      input_tokens: 12,
      input_tokens_details: { cached_tokens: 4, cache_write_tokens: 0 },
      output_tokens: 7,
      output_tokens_details: { reasoning_tokens: 3 },
      total_tokens: 19,
    });
    expect(view.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(view).not.toHaveProperty('encrypted_reasoning');
  });

  it('writes a stream the official SDK assembles into the same response, numbered from 0', async () => {
    const writer = new OpenAIResponsesEventWriter({ id: responseId, createdAt: 1, settings });
    const parts: StreamPart[] = [
      { type: 'reasoning-delta', delta: 'let me ' },
      { type: 'reasoning-delta', delta: 'think' },
      { type: 'reasoning-signature', signature: 'sig' },
      { type: 'text-delta', delta: 'Checking ' },
      { type: 'text-delta', delta: 'both.' },
      { type: 'tool-call-start', index: 0, toolCallId: 'a', toolName: 'one' },
      { type: 'tool-call-start', index: 1, toolCallId: 'b', toolName: 'two' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"x":' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '{"y":2}' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '1}' },
      { type: 'finish', finishReason: 'tool_calls', usage, responseModel: 'm' },
    ];
    const events = [...writer.start(), ...parts.flatMap((part) => writer.write(part))];
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    expect(events.at(-1)?.type).toBe('response.completed');
    const assembled = await assembleResponseWithOpenAISdk(events);
    const expected = convertToResponseOutput(
      [
        { type: 'reasoning', text: 'let me think', signature: 'sig' },
        { type: 'text', text: 'Checking both.' },
        { type: 'tool-call', toolCallId: 'a', toolName: 'one', arguments: '{"x":1}' },
        { type: 'tool-call', toolCallId: 'b', toolName: 'two', arguments: '{"y":2}' },
      ],
      { responseId, incomplete: false, encryptedReasoning: true },
    );
    // The SDK adds its own `parsed` fields; everything we sent is as the converter makes it.
    expect(assembled.output).toMatchObject(expected);
    expect(assembled.output_text).toBe('Checking both.');
    expect(assembled.status).toBe('completed');
    expect(assembled.usage?.output_tokens).toBe(7);
  });

  it('ends a stream cut by the token limit with response.incomplete, and a failure with response.failed', () => {
    const writer = new OpenAIResponsesEventWriter({ id: responseId, createdAt: 1, settings });
    writer.start();
    writer.write({ type: 'text-delta', delta: 'cut' });
    // An n > 1 answer's end writes nothing: the Responses API has no `n` (an unknown field).
    expect(() => read({ model: 'm', input: 'x', n: 2 })).toThrow();
    expect(writer.write({ type: 'choice-end', finishReason: 'stop' })).toEqual([]);
    const end = writer.write({ type: 'finish', finishReason: 'length', usage, responseModel: 'm' });
    expect(end.map((event) => event.type)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.incomplete',
    ]);
    expect(end[2]).toEqual(
      expect.objectContaining({ item: expect.objectContaining({ status: 'incomplete' }) }),
    );

    const failing = new OpenAIResponsesEventWriter({ id: responseId, createdAt: 1, settings });
    const [failed] = [
      ...failing.start(),
      ...failing.fail({ code: 'provider_error', message: 'no' }),
    ].slice(-1);
    expect(failed).toEqual(
      expect.objectContaining({
        type: 'response.failed',
        sequence_number: 2,
        response: expect.objectContaining({
          status: 'failed',
          error: { code: 'provider_error', message: 'no' },
        }),
      }),
    );
  });
});
