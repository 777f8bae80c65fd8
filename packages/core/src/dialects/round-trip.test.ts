import type { ChatRequest } from '../messages/chat-request';
import { convertToAnthropicMessagesRequest } from '../providers/anthropic/convert-to-anthropic-messages-request';
import { convertToOpenAIChatRequest } from '../providers/openai/convert-to-openai-chat-request';
import { estimateMessageTokens } from '../tokens/estimate-input-tokens';
import { anthropicMessagesRequestSchema } from './anthropic-messages/anthropic-messages-request-schema';
import { convertAnthropicMessagesRequest } from './anthropic-messages/convert-anthropic-messages-request';
import { convertOpenAIChatRequest } from './openai-chat/convert-openai-chat-request';
import { openAIChatRequestSchema } from './openai-chat/openai-chat-request-schema';

/** Neutral → Anthropic wire body → (validated as a client would send it) → neutral. */
function throughAnthropic(request: ChatRequest, model: string): ChatRequest {
  const body = convertToAnthropicMessagesRequest(model, request, { maxTokensDefault: 4096 });
  return convertAnthropicMessagesRequest(
    anthropicMessagesRequestSchema.parse(JSON.parse(JSON.stringify(body))),
  ).request;
}

/** Neutral → OpenAI wire body → (validated as a client would send it) → neutral. */
function throughOpenAI(request: ChatRequest, model: string): ChatRequest {
  const body = convertToOpenAIChatRequest(model, request, {
    maxTokensField: 'max_completion_tokens',
  });
  return convertOpenAIChatRequest(openAIChatRequestSchema.parse(JSON.parse(JSON.stringify(body))))
    .request;
}

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    strict: true,
  },
};

describe('round trips between the OpenAI and Anthropic formats', () => {
  it('OpenAI → neutral → Anthropic → neutral → OpenAI keeps a tool conversation with an image', () => {
    const original = openAIChatRequestSchema.parse({
      model: 'gpt-x',
      messages: [
        { role: 'system', content: 'You are terse.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather where this photo was taken?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        { role: 'user', content: 'Thanks. Anything else?' },
      ],
      tools: [weatherTool],
      tool_choice: 'required',
      parallel_tool_calls: false,
      reasoning_effort: 'high',
      max_completion_tokens: 30_000,
      stop: ['END'],
      safety_identifier: 'user-7',
    });
    const neutral = convertOpenAIChatRequest(original).request;
    const back = convertToOpenAIChatRequest('gpt-x', throughAnthropic(neutral, 'claude-x'), {
      maxTokensField: 'max_completion_tokens',
    });
    expect(back).toEqual({ ...original, messages: back.messages });
    expect(back.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather where this photo was taken?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
        ],
      },
      original.messages[2],
      original.messages[3],
      // Anthropic merges the tool result and the next user text into one user turn: back in
      // OpenAI form the text is a text part of its own user message.
      { role: 'user', content: [{ type: 'text', text: 'Thanks. Anything else?' }] },
    ]);
  });

  it('Anthropic → neutral → OpenAI → neutral → Anthropic keeps tools, tool results, images and documents', () => {
    const original = anthropicMessagesRequestSchema.parse({
      model: 'claude-x',
      max_tokens: 1000,
      system: 'Be brief.',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Read this and check the weather.' },
            {
              type: 'document',
              source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' },
            },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } },
          ],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'rain' }],
        },
      ],
      tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
      tool_choice: { type: 'tool', name: 'get_weather' },
      output_config: { format: { type: 'json_schema', schema: { type: 'object' } } },
    });
    const neutral = convertAnthropicMessagesRequest(original).request;
    const back = convertToAnthropicMessagesRequest('claude-x', throughOpenAI(neutral, 'gpt-x'), {
      maxTokensDefault: 4096,
    });
    expect(back).toEqual(original);
  });

  it('takes an Anthropic plain-text document to Claude as a text source and to OpenAI as its text', () => {
    const { request } = convertAnthropicMessagesRequest(
      anthropicMessagesRequestSchema.parse({
        model: 'claude-x',
        max_tokens: 100,
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'document',
                source: { type: 'text', media_type: 'text/plain', data: 'The sky is blue. ✓' },
                title: 'notes.txt',
              },
              { type: 'text', text: 'Summarise.' },
            ],
          },
        ],
      }),
    );
    expect(request.messages[0]?.content).toEqual([
      {
        type: 'document',
        source: {
          type: 'base64',
          mediaType: 'text/plain',
          data: Buffer.from('The sky is blue. ✓').toString('base64'),
        },
        filename: 'notes.txt',
      },
      { type: 'text', text: 'Summarise.' },
    ]);
    expect(
      convertToAnthropicMessagesRequest('claude-x', request, { maxTokensDefault: 10 }).messages[0]
        ?.content,
    ).toEqual([
      {
        type: 'document',
        source: { type: 'text', media_type: 'text/plain', data: 'The sky is blue. ✓' },
        title: 'notes.txt',
      },
      { type: 'text', text: 'Summarise.' },
    ]);
    expect(
      convertToOpenAIChatRequest('gpt-x', request, { maxTokensField: 'max_tokens' }).messages[0],
    ).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'The sky is blue. ✓' },
        { type: 'text', text: 'Summarise.' },
      ],
    });
    expect(estimateMessageTokens(request.messages[0] as ChatRequest['messages'][number])).toBe(
      estimateMessageTokens({
        content: [
          { type: 'text', text: 'The sky is blue. ✓' },
          { type: 'text', text: 'Summarise.' },
        ],
      }),
    );
  });

  it('translates a tool error to OpenAI as text, since OpenAI has no error flag', () => {
    const body = convertToOpenAIChatRequest(
      'gpt-x',
      {
        messages: [
          {
            role: 'tool',
            content: [{ type: 'tool-result', toolCallId: 'c', content: 'boom', isError: true }],
          },
        ],
      },
      { maxTokensField: 'max_completion_tokens' },
    );
    expect(body.messages).toEqual([{ role: 'tool', tool_call_id: 'c', content: 'Error: boom' }]);
  });

  it('keeps a message name and n for an OpenAI model, and is_error for Claude', () => {
    const openAI = convertToOpenAIChatRequest(
      'gpt-x',
      { messages: [{ role: 'user', content: 'hi', name: 'ada' }] },
      { maxTokensField: 'max_completion_tokens' },
    );
    expect(openAI.messages).toEqual([{ role: 'user', content: 'hi', name: 'ada' }]);
    expect(
      convertToOpenAIChatRequest(
        'gpt-x',
        { messages: [{ role: 'user', content: 'hi' }], n: 2 },
        { maxTokensField: 'max_completion_tokens' },
      ).n,
    ).toBe(2);
    const anthropic = convertToAnthropicMessagesRequest(
      'claude-x',
      {
        messages: [
          {
            role: 'tool',
            content: [{ type: 'tool-result', toolCallId: 't', content: 'boom', isError: true }],
          },
        ],
      },
      { maxTokensDefault: 10 },
    );
    expect(anthropic.messages).toEqual([
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 't', content: 'boom', is_error: true }],
      },
    ]);
  });

  it('sends json_object to OpenAI as is and to Claude as the schema of an object', () => {
    const request: ChatRequest = {
      messages: [{ role: 'user', content: 'hi' }],
      responseFormat: { type: 'json_object' },
    };
    expect(
      convertToOpenAIChatRequest('gpt-x', request, { maxTokensField: 'max_completion_tokens' })
        .response_format,
    ).toEqual({ type: 'json_object' });
    expect(
      convertToAnthropicMessagesRequest('claude-x', request, { maxTokensDefault: 10 })
        .output_config,
    ).toEqual({
      format: { type: 'json_schema', schema: { type: 'object' } },
    });
  });

  it('joins plain system messages for Anthropic with a blank line and keeps system parts as blocks', () => {
    const body = convertToAnthropicMessagesRequest(
      'claude-x',
      {
        messages: [
          {
            role: 'system',
            content: [
              { type: 'text', text: 'You are terse.' },
              { type: 'text', text: 'Be brief.' },
            ],
          },
          { role: 'user', content: 'hi' },
        ],
      },
      { maxTokensDefault: 10 },
    );
    expect(body.system).toEqual([
      { type: 'text', text: 'You are terse.' },
      { type: 'text', text: 'Be brief.' },
    ]);
  });

  it.each<[string, Partial<ChatRequest>, string]>([
    ['prompt_cache_key', { promptCacheKey: 'k' }, 'claude-x'],
    ['n', { n: 2 }, 'claude-x'],
    ['logprobs', { logprobs: true }, 'claude-x'],
    ['verbosity', { verbosity: 'low' }, 'claude-x'],
    ['messages[0].name', { messages: [{ role: 'user', content: 'hi', name: 'ada' }] }, 'claude-x'],
  ])(
    'refuses %s for a Claude model, naming the parameter and the model',
    (parameter, extra, model) => {
      expect(() =>
        convertToAnthropicMessagesRequest(
          model,
          { messages: [{ role: 'user', content: 'hi' }], ...extra },
          { maxTokensDefault: 10 },
        ),
      ).toThrow(expect.objectContaining({ code: 'unsupported_parameter', parameter, model }));
    },
  );

  it('refuses reasoning parts and document URLs for an OpenAI chat model', () => {
    const convert = (request: ChatRequest) =>
      convertToOpenAIChatRequest('gpt-x', request, { maxTokensField: 'max_completion_tokens' });
    expect(() =>
      convert({
        messages: [
          { role: 'assistant', content: [{ type: 'reasoning', text: 'x', signature: 's' }] },
        ],
      }),
    ).toThrow(expect.objectContaining({ code: 'unsupported_parameter', model: 'gpt-x' }));
    expect(() =>
      convert({
        messages: [
          {
            role: 'user',
            content: [{ type: 'document', source: { type: 'url', url: 'https://x/a.pdf' } }],
          },
        ],
      }),
    ).toThrow(expect.objectContaining({ parameter: 'messages[0].content[0].source.url' }));
  });
});
