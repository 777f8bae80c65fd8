import { isUnsupportedParameterError } from '../../messages/unsupported-parameter-error';
import type { GenerateRequest } from '../language-model';
import { convertToGeminiRequest } from './convert-to-gemini-request';

const model = 'gemini-2.5-flash';

function refusedField(request: GenerateRequest): string | undefined {
  try {
    convertToGeminiRequest(model, request);
    return undefined;
  } catch (error) {
    if (isUnsupportedParameterError(error)) return error.parameter;
    throw error;
  }
}

describe('convertToGeminiRequest', () => {
  it('puts system messages in systemInstruction and sampling in the config', () => {
    const { contents, config } = convertToGeminiRequest(model, {
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'hi' },
      ],
      maxTokens: 100,
      temperature: 0.2,
      topP: 0.9,
      topK: 40,
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      stop: ['END'],
      seed: 3,
    });
    expect(contents).toEqual([{ role: 'user', parts: [{ text: 'hi' }] }]);
    expect(config).toEqual({
      systemInstruction: { parts: [{ text: 'Be terse.' }] },
      maxOutputTokens: 100,
      temperature: 0.2,
      topP: 0.9,
      topK: 40,
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      stopSequences: ['END'],
      seed: 3,
    });
  });

  it('sends tool calls as functionCall parts and results as functionResponse parts, by name', () => {
    const { contents, config } = convertToGeminiRequest(model, {
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          content: [
            {
              type: 'tool-call',
              toolCallId: 'llmq_fc_1',
              toolName: 'get_weather',
              arguments: '{"city":"Paris"}',
            },
            { type: 'tool-call', toolCallId: 'model-id-2', toolName: 'get_time', arguments: '' },
          ],
        },
        {
          role: 'tool',
          content: [
            { type: 'tool-result', toolCallId: 'llmq_fc_1', content: 'sunny' },
            { type: 'tool-result', toolCallId: 'model-id-2', content: 'no clock', isError: true },
          ],
        },
      ],
      tools: [{ name: 'get_weather', parameters: { type: 'object' } }],
      toolChoice: { type: 'tool', toolName: 'get_weather' },
    });
    expect(contents.slice(1)).toEqual([
      {
        role: 'model',
        parts: [
          { functionCall: { name: 'get_weather', args: { city: 'Paris' } } },
          { functionCall: { id: 'model-id-2', name: 'get_time', args: {} } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_weather', response: { output: 'sunny' } } },
          {
            functionResponse: {
              id: 'model-id-2',
              name: 'get_time',
              response: { error: 'no clock' },
            },
          },
        ],
      },
    ]);
    expect(config.tools).toEqual([
      { functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: { type: 'object' } }] },
    ]);
    expect(config.toolConfig).toEqual({
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] },
    });
  });

  it('asks for JSON by schema, and for thinking with thoughts included', () => {
    const { config } = convertToGeminiRequest(model, {
      messages: [{ role: 'user', content: 'x' }],
      responseFormat: { type: 'json_schema', name: 'r', schema: { type: 'object' } },
      reasoning: { effort: 'low' },
    });
    expect(config).toMatchObject({
      responseMimeType: 'application/json',
      responseJsonSchema: { type: 'object' },
      thinkingConfig: { includeThoughts: true, thinkingBudget: 2048 },
    });
  });

  it("fits an effort's thinking budget under the client's maxOutputTokens, which counts the thoughts; a client's own budget goes as given", () => {
    const thinkingOf = (request: Pick<GenerateRequest, 'maxTokens' | 'reasoning'>) =>
      convertToGeminiRequest(model, { messages: [{ role: 'user', content: 'x' }], ...request })
        .config.thinkingConfig;
    // high is 24,576 tokens of thinking: at 100 output tokens, 99 think and one answers.
    expect(thinkingOf({ maxTokens: 100, reasoning: { effort: 'high' } })).toEqual({
      includeThoughts: true,
      thinkingBudget: 99,
    });
    expect(thinkingOf({ maxTokens: 30_000, reasoning: { effort: 'high' } })).toMatchObject({
      thinkingBudget: 24_576,
    });
    expect(thinkingOf({ reasoning: { effort: 'high' } })).toMatchObject({ thinkingBudget: 24_576 });
    expect(thinkingOf({ maxTokens: 100, reasoning: { budgetTokens: 500 } })).toMatchObject({
      thinkingBudget: 500,
    });
    // No room for a thought and an answer: the effort is refused by name, not sent as 0 (off).
    expect(() => thinkingOf({ maxTokens: 1, reasoning: { effort: 'low' } })).toThrow(
      expect.objectContaining({ name: 'UnsupportedParameterError', parameter: 'reasoning_effort' }),
    );
  });

  it('sends an image inline and a reasoning part back with its signature', () => {
    const { contents } = convertToGeminiRequest(model, {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: 'AA' } },
          ],
        },
        { role: 'assistant', content: [{ type: 'reasoning', text: 'hmm', signature: 'sig' }] },
        { role: 'user', content: 'and?' },
      ],
    });
    expect(contents[0]?.parts).toEqual([{ inlineData: { mimeType: 'image/png', data: 'AA' } }]);
    expect(contents[1]?.parts).toEqual([{ text: 'hmm', thought: true, thoughtSignature: 'sig' }]);
  });

  it.each([
    [{ n: 2 }, 'n'],
    [{ logprobs: true }, 'logprobs'],
    [{ promptCacheKey: 'k' }, 'promptCacheKey'],
    [{ parallelToolCalls: false }, 'parallelToolCalls'],
  ] as const)('refuses %j rather than drop it', (extra, field) => {
    expect(refusedField({ messages: [{ role: 'user', content: 'x' }], ...extra })).toBe(field);
  });

  it('refuses an image by URL, a late system message and a result for an unknown call', () => {
    expect(
      refusedField({
        messages: [
          {
            role: 'user',
            content: [{ type: 'image', source: { type: 'url', url: 'https://x.test/a.png' } }],
          },
        ],
      }),
    ).toBe('messages[0].content[0].source.url');
    expect(
      refusedField({
        messages: [
          { role: 'user', content: 'x' },
          { role: 'system', content: 'late' },
        ],
      }),
    ).toBe('messages[1]');
    expect(
      refusedField({
        messages: [
          { role: 'user', content: 'x' },
          { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'nope', content: 'y' }] },
        ],
      }),
    ).toBe('messages[1].content[0].toolCallId');
  });
});
