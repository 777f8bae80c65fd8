import { loadModelCatalog } from '../catalog/load-model-catalog';
import { lineCostNanoUsd } from '../cost/estimate-job-cost';
import { jobRequestSchema } from '../jobs/job-request';
import { maxJsonDepth } from '../jobs/json-depth';
import { routeJob } from '../routing/route-job';
import { parseBatchLine, readValidatedBatchLine } from './parse-batch-line';

const catalog = loadModelCatalog(undefined, {
  availableProviders: ['simulator-openai', 'simulator-anthropic', 'local'],
});

function context() {
  return {
    endpoint: '/v1/chat/completions' as const,
    catalog,
    defaultModel: 'sim-gpt-fast',
    seenCustomIds: new Set<string>(),
  };
}

function line(fields: Record<string, unknown>): string {
  return JSON.stringify({
    custom_id: 'a',
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'sim-gpt-fast', messages: [{ role: 'user', content: 'hi' }] },
    ...fields,
  });
}

test('a valid line becomes a normalized request with its model resolved', () => {
  const result = parseBatchLine(
    line({ body: { messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 7 } }),
    context(),
  );
  expect(result).toEqual({
    ok: true,
    line: {
      customId: 'a',
      model: 'sim-gpt-fast',
      request: { messages: [{ role: 'user', content: 'hi' }], maxTokens: 7 },
      // The field a refusal of the limit names, as OpenAI names the one sent.
      maxTokensField: 'max_completion_tokens',
    },
  });
});

test.each([
  ['{oops', 'invalid_json_line'],
  ['[1,2]', 'invalid_json_line'],
  [line({ custom_id: undefined }), 'missing_custom_id'],
  [line({ custom_id: '' }), 'missing_custom_id'],
  [line({ method: 'GET' }), 'invalid_method'],
  [line({ url: '/v1/embeddings' }), 'invalid_url'],
  [line({ body: 'text' }), 'invalid_body'],
  [line({ body: { messages: [], model: 'sim-gpt-fast' } }), 'invalid_body'],
  [line({ body: { prompt: 'x', unknown_field: 1 } }), 'invalid_body'],
  [line({ body: { prompt: 'x', model: 'no-such-model' } }), 'unknown_model'],
])('%s is refused with %s', (text, code) => {
  const result = parseBatchLine(text, context());
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.code).toBe(code);
});

test('a chat line with both max_tokens and max_completion_tokens is refused as OpenAI refuses it', () => {
  const both = line({
    body: {
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 5,
      max_completion_tokens: 7,
    },
  });
  expect(parseBatchLine(both, context())).toEqual({
    ok: false,
    code: 'invalid_body',
    message:
      "body.max_tokens: Setting 'max_tokens' and 'max_completion_tokens' at the same time is not supported.",
    param: 'body.max_tokens',
  });
});

test('a line nested past maxJsonDepth is refused before anything walks it', () => {
  const tool = (levels: number) =>
    `{"type":"function","function":{"name":"f","parameters":${'{"a":'.repeat(levels)}{}${'}'.repeat(levels)}}}`;
  const text = (levels: number) =>
    `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"sim-gpt-fast","messages":[{"role":"user","content":"hi"}],"tools":[${tool(levels)}]}}`;
  // The line, its body, tools, the tool, function and parameters are 6 levels.
  expect(parseBatchLine(text(maxJsonDepth - 6), context()).ok).toBe(true);
  expect(parseBatchLine(text(maxJsonDepth - 5), context())).toEqual({
    ok: false,
    code: 'invalid_json_line',
    message: `the line nests arrays and objects more than ${maxJsonDepth} levels deep`,
    param: null,
  });
  expect(parseBatchLine(text(40_000), context())).toMatchObject({ code: 'invalid_json_line' });
});

test('a custom_id seen earlier in the file is a duplicate', () => {
  const shared = context();
  expect(parseBatchLine(line({}), shared).ok).toBe(true);
  const second = parseBatchLine(line({}), shared);
  expect(second).toMatchObject({ ok: false, code: 'duplicate_custom_id', param: 'custom_id' });
});

test('reading a validated line gives the same result without the schema checks', () => {
  const text = line({
    body: { messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 7 },
  });
  const checked = parseBatchLine(text, context());
  expect(checked.ok && checked.line).toEqual(readValidatedBatchLine(text, context()));
});

describe('embeddings and completions lines', () => {
  const endpointLine = (url: string, body: Record<string, unknown>) =>
    JSON.stringify({ custom_id: 'e', method: 'POST', url, body });
  const embeddings = (body: Record<string, unknown>) => ({
    text: endpointLine('/v1/embeddings', body),
    context: { ...context(), endpoint: '/v1/embeddings' as const },
  });
  const completions = (body: Record<string, unknown>) => ({
    text: endpointLine('/v1/completions', body),
    context: { ...context(), endpoint: '/v1/completions' as const },
  });

  test('an embeddings line becomes its inputs, dimensions and output encoding', () => {
    const { text, context: shared } = embeddings({
      model: 'sim-embed-small',
      input: ['a', 'b'],
      dimensions: 64,
      encoding_format: 'base64',
    });
    expect(parseBatchLine(text, shared)).toEqual({
      ok: true,
      line: {
        customId: 'e',
        model: 'sim-embed-small',
        endpoint: '/v1/embeddings',
        embedding: { inputs: ['a', 'b'], dimensions: 64, encodingFormat: 'base64' },
      },
    });
    expect(readValidatedBatchLine(text, shared)).toEqual(
      (parseBatchLine(text, { ...shared, seenCustomIds: new Set() }) as { line: unknown }).line,
    );
  });

  test('a completions line becomes its prompts and sampling settings', () => {
    const { text, context: shared } = completions({
      model: 'sim-gpt-instruct',
      prompt: 'Once upon',
      max_tokens: 5,
      temperature: 0,
      stop: '\n',
      n: 1,
      user: 'u-1',
    });
    const result = parseBatchLine(text, shared);
    expect(result).toEqual({
      ok: true,
      line: {
        customId: 'e',
        model: 'sim-gpt-instruct',
        endpoint: '/v1/completions',
        completion: { prompts: ['Once upon'], maxTokens: 5, temperature: 0, stop: ['\n'] },
      },
    });
    expect(readValidatedBatchLine(text, shared)).toEqual(result.ok && result.line);
  });

  test.each([
    [embeddings({ model: 'sim-embed-small' }), 'invalid_body', 'body.input'],
    [embeddings({ model: 'sim-embed-small', input: '' }), 'invalid_body', 'body.input'],
    [embeddings({ model: 'sim-embed-small', input: [[1, 2]] }), 'invalid_body', 'body.input'],
    [embeddings({ input: 'x' }), 'invalid_body', 'body.model'],
    [embeddings({ model: 'sim-embed-small', input: 'x', extra: 1 }), 'invalid_body', 'body'],
    [embeddings({ model: 'nope', input: 'x' }), 'unknown_model', 'body.model'],
    [embeddings({ model: 'sim-gpt-fast', input: 'x' }), 'unsupported_model', 'body.model'],
    [completions({ model: 'sim-gpt-instruct', prompt: 'x', n: 2 }), 'invalid_body', 'body.n'],
    [
      completions({ model: 'sim-gpt-instruct', prompt: 'x', echo: true }),
      'invalid_body',
      'body.echo',
    ],
    [
      completions({ model: 'sim-gpt-instruct', prompt: 'x', stream: true }),
      'invalid_body',
      'body.stream',
    ],
    [completions({ model: 'sim-gpt-instruct', messages: [] }), 'invalid_body', 'body.prompt'],
    [completions({ model: 'sim-embed-small', prompt: 'x' }), 'unsupported_model', 'body.model'],
  ])('bad line %# is refused', ({ text, context: shared }, code, param) => {
    expect(parseBatchLine(text, shared)).toMatchObject({ ok: false, code, param });
  });

  test('a chat line naming a model that serves no chat is refused at validation', () => {
    expect(
      parseBatchLine(line({ body: { model: 'sim-embed-small', prompt: 'x' } }), context()),
    ).toMatchObject({ ok: false, code: 'unsupported_model' });
  });
});

describe('chat lines with model "auto"', () => {
  const autoBody = {
    model: 'auto',
    messages: [{ role: 'user', content: 'hi' }],
    requirements: { low_latency: true },
    fallbacks: false,
  };

  test('are accepted, left to be routed when they run, with their routing fields', () => {
    const text = line({ body: autoBody });
    const expected = {
      customId: 'a',
      model: 'auto',
      request: { messages: [{ role: 'user', content: 'hi' }] },
      requirements: { low_latency: true },
      fallbacks: false,
    };
    expect(parseBatchLine(text, context())).toEqual({ ok: true, line: expected });
    expect(readValidatedBatchLine(text, context())).toEqual(expected);
  });

  test('reserve the worst case of the model they route to, whatever it is', () => {
    const routed = routeJob(catalog, {
      model: 'auto',
      request: { messages: [{ role: 'user', content: 'hi' }] },
      requirements: { low_latency: true },
    });
    expect(routed.ok).toBe(true);
    const model = routed.ok ? routed.decision.model : '';
    const request = { messages: [{ role: 'user' as const, content: 'hi' }] };
    const cost = lineCostNanoUsd(catalog, {
      model: 'auto',
      request,
      requirements: { low_latency: true },
    });
    expect(cost).toBeGreaterThan(0);
    expect(cost).toBe(lineCostNanoUsd(catalog, { model, request }));
  });

  test('are refused on an endpoint that routing does not serve', () => {
    const result = parseBatchLine(
      JSON.stringify({
        custom_id: 'e',
        method: 'POST',
        url: '/v1/embeddings',
        body: { model: 'auto', input: 'hi' },
      }),
      { ...context(), endpoint: '/v1/embeddings' as const },
    );
    expect(result).toMatchObject({
      ok: false,
      code: 'unsupported_model',
      message: expect.stringContaining('"auto"'),
      param: 'body.model',
    });
  });
});

describe('job-only fields a chat line cannot honour are refused by name, never ignored', () => {
  test.each([
    ['hedge', { after_ms: 0 }],
    ['speculative', { upgrade_model: 'sim-gpt-strong' }],
    ['priority', 1],
    ['metadata', { team: 'a' }],
    ['webhook', { url: 'https://example.com/hook' }],
    ['cache', 'bypass'],
    ['cache_options', { ttl_seconds: 60 }],
    ['optimize', { normalize_whitespace: true }],
    ['stream', true],
  ])('%s', (field, value) => {
    // Precondition: a valid value on POST /v1/jobs, so the line is refused for the field alone.
    expect(jobRequestSchema.safeParse({ prompt: 'hi', [field]: value }).success).toBe(true);
    const result = parseBatchLine(line({ body: { prompt: 'hi', [field]: value } }), context());
    expect(result).toMatchObject({ ok: false, code: 'invalid_body', param: `body.${field}` });
    if (!result.ok) expect(result.message).toContain(`"${field}"`);
    expect(result.ok || result.message).toContain('not supported on batch lines');
  });

  test('the same body without the field is accepted (the refusal is about the field)', () => {
    expect(parseBatchLine(line({}), context()).ok).toBe(true);
  });

  test('"stream": false is what a line does anyway and passes', () => {
    const result = parseBatchLine(
      line({ body: { prompt: 'hi', model: 'sim-gpt-fast', stream: false } }),
      context(),
    );
    expect(result.ok).toBe(true);
  });
});

describe("chat lines with OpenAI's legacy functions", () => {
  const f = { name: 'f', parameters: { type: 'object' } };
  const body = (extra: Record<string, unknown>) => ({
    body: { model: 'sim-gpt-fast', messages: [{ role: 'user', content: 'hi' }], ...extra },
  });

  test('are read as the chat route reads them, and marked to be answered in their shape', () => {
    const text = line(body({ functions: [f], function_call: { name: 'f' } }));
    const result = parseBatchLine(text, context());
    expect(result).toMatchObject({
      ok: true,
      line: {
        legacyFunctions: true,
        request: {
          tools: [f],
          toolChoice: { type: 'tool', toolName: 'f' },
          preferOneToolCall: true,
        },
      },
    });
    // Queued lines are read again without the schema: the same line.
    expect(result.ok && readValidatedBatchLine(text, context())).toEqual(result.ok && result.line);
    const plain = parseBatchLine(line({}), context());
    expect(plain.ok && plain.line).not.toHaveProperty('legacyFunctions');
  });

  test.each([
    [
      'functions beside tools',
      { functions: [f], tools: [{ type: 'function', function: f }] },
      'body.functions',
    ],
    ['function_call without functions', { function_call: 'auto' }, 'body.function_call'],
    [
      'a function result answering no call',
      {
        functions: [f],
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'function', name: 'f', content: 'done' },
        ],
      },
      'body.messages.1.name',
    ],
  ])('refuse %s by name', (_, extra, param) => {
    expect(parseBatchLine(line(body(extra)), context())).toMatchObject({
      ok: false,
      code: 'invalid_body',
      param,
    });
  });
});

describe('a /v1/responses line', () => {
  const responsesContext = () => ({ ...context(), endpoint: '/v1/responses' as const });
  const responsesLine = (body: Record<string, unknown>) =>
    JSON.stringify({ custom_id: 'r', method: 'POST', url: '/v1/responses', body });

  it('is read by the openai-responses dialect, with the settings its output echoes', () => {
    const text = responsesLine({
      model: 'sim-claude-fast',
      input: 'hi',
      instructions: 'be brief',
      max_output_tokens: 9,
    });
    const result = parseBatchLine(text, responsesContext());
    expect(result).toEqual({
      ok: true,
      line: {
        customId: 'r',
        model: 'sim-claude-fast',
        request: {
          messages: [
            { role: 'system', content: 'be brief' },
            { role: 'user', content: 'hi' },
          ],
          maxTokens: 9,
        },
        responses: expect.objectContaining({ instructions: 'be brief', max_output_tokens: 9 }),
      },
    });
    // Queued from the same bytes without the checks, to the same line.
    if (!result.ok) throw new Error('the line was refused');
    expect(readValidatedBatchLine(text, { ...responsesContext() })).toEqual(result.line);
  });

  it.each([
    [{ stream: true }, 'body.stream'],
    [{ previous_response_id: 'resp_x' }, 'body.previous_response_id'],
    [{ truncation: 'auto' }, 'body'],
    // Read by the dialect, refused by the neutral model (a tool name with a dot).
    [
      { tools: [{ type: 'function', name: 'get.weather', parameters: { type: 'object' } }] },
      'body.tools.0.name',
    ],
  ])('refuses %j', (fields, param) => {
    const result = parseBatchLine(
      responsesLine({ model: 'sim-gpt-fast', input: 'hi', ...fields }),
      responsesContext(),
    );
    expect(result).toMatchObject({ ok: false, code: 'invalid_body', param });
  });
});
