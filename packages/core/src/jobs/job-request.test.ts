import { jobRequestSchema, normalizeJobRequest, readJobRequest } from './job-request';
import { canonicalJson } from './job-submitter';

describe('jobRequestSchema', () => {
  it('defaults priority and keeps text parts as parts, never glued', () => {
    const parsed = jobRequestSchema.parse({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
      ],
    });
    expect(parsed.priority).toBe(5);
    expect(normalizeJobRequest(parsed).messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      },
    ]);
  });

  it('carries images, tools, tool choice, the tool-result turn, response format and reasoning', () => {
    const parsed = jobRequestSchema.parse({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'lookup', arguments: '{"q":"x"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'found' },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'lookup', parameters: { type: 'object', properties: {} } },
        },
      ],
      tool_choice: 'required',
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'answer', schema: { type: 'object' }, strict: true },
      },
      reasoning_effort: 'low',
      n: 2,
      logprobs: true,
    });
    const normalized = normalizeJobRequest(parsed);
    expect(normalized.messages[0]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'what is this?' },
        { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: 'AAAA' } },
      ],
    });
    expect(normalized.messages[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'tool-call', toolCallId: 'call_1', toolName: 'lookup', arguments: '{"q":"x"}' },
      ],
    });
    expect(normalized.messages[2]).toEqual({
      role: 'tool',
      content: [{ type: 'tool-result', toolCallId: 'call_1', content: 'found' }],
    });
    expect(normalized).toMatchObject({
      tools: [{ name: 'lookup', parameters: { type: 'object', properties: {} } }],
      toolChoice: 'required',
      responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object' } },
      reasoning: { effort: 'low' },
      n: 2,
      logprobs: true,
    });
  });

  it.each([
    [{}],
    [{ prompt: '' }],
    [{ prompt: 'x', priority: 11 }],
    [{ prompt: 'x', stop: ['a', 'b', 'c', 'd', 'e'] }],
    [{ prompt: 'x', max_tokens: 0 }],
    [{ prompt: 'x', metadata: { k: 1 } }],
    [{ prompt: 'x', extra: true }],
  ])('rejects %j', (body) => {
    expect(jobRequestSchema.safeParse(body).success).toBe(false);
  });

  it('keeps generation parameters when normalising', () => {
    const parsed = jobRequestSchema.parse({
      prompt: 'hi',
      temperature: 0.2,
      top_p: 0.9,
      seed: 7,
      stop: ['x'],
      max_tokens: 5,
    });
    expect(normalizeJobRequest(parsed)).toEqual({
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.2,
      topP: 0.9,
      seed: 7,
      stop: ['x'],
      maxTokens: 5,
    });
  });
});

describe("OpenAI's legacy functions on a job", () => {
  it('reads functions and function_call through the chat dialect, as the chat route does', () => {
    const parsed = jobRequestSchema.parse({
      prompt: 'What is the time?',
      functions: [{ name: 'get_time', parameters: { type: 'object' } }],
      function_call: { name: 'get_time' },
    });
    expect(readJobRequest(parsed)).toMatchObject({
      legacyFunctions: true,
      request: {
        tools: [{ name: 'get_time', parameters: { type: 'object' } }],
        toolChoice: { type: 'tool', toolName: 'get_time' },
        preferOneToolCall: true,
      },
    });
  });
});

describe('canonicalJson', () => {
  it('is independent of key order and skips undefined', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined, e: 'x' }] })).toBe(
      canonicalJson({ a: [{ e: 'x', d: 2 }], b: 1 }),
    );
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: 2 }));
  });
});

describe('routing and hedging fields', () => {
  it('accepts requirements, hedge and fallbacks, defaulting hedge.after_ms to a race', () => {
    const parsed = jobRequestSchema.parse({
      model: 'auto',
      prompt: 'x',
      requirements: { low_latency: true, max_cost_usd: 0.5 },
      hedge: { model: 'sim-gpt-fast' },
      fallbacks: false,
    });
    expect(parsed).toMatchObject({
      requirements: { low_latency: true, max_cost_usd: 0.5 },
      hedge: { model: 'sim-gpt-fast', after_ms: 0 },
      fallbacks: false,
    });
  });

  it.each([
    { requirements: { max_cost_usd: 0 } },
    { requirements: { cheap: true } },
    { hedge: { after_ms: -1 } },
    { hedge: { models: ['a'] } },
  ])('refuses %j', (fields) => {
    expect(jobRequestSchema.safeParse({ prompt: 'x', ...fields }).success).toBe(false);
  });
});
