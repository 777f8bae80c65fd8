import { type RunningSimulator, startSimulator } from '../start-simulator';

/** The parts of a generateContent answer the tests read. */
interface GenerateBody {
  candidates: Array<{ content: { parts: Array<Record<string, unknown>> } }>;
  usageMetadata: Record<string, number>;
}

interface EmbedBody {
  embedding: { values: number[] };
  embeddings: Array<{ values: number[] }>;
}

/** The Gemini API wire format, checked byte-level with plain fetch (the SDK runs in core's contract suite). */
describe('Gemini API routes', () => {
  let simulator: RunningSimulator;

  beforeAll(async () => {
    simulator = await startSimulator();
  });

  afterAll(async () => {
    await simulator.close();
  });

  beforeEach(() => simulator.reset());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${simulator.url}/v1beta/models/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k', ...headers },
      body: JSON.stringify(body),
    });

  const hello = { contents: [{ role: 'user', parts: [{ text: 'echo: hello there' }] }] };

  it('answers generateContent with candidates, usageMetadata, modelVersion and responseId', async () => {
    const response = await post('sim-gemini-flash:generateContent', hello);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBeNull();
    const body = await response.json();
    expect(body).toEqual({
      candidates: [
        {
          content: { parts: [{ text: 'hello there' }], role: 'model' },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: {
        promptTokenCount: simulator.counters().inputTokens,
        candidatesTokenCount: simulator.counters().outputTokens,
        totalTokenCount: simulator.counters().inputTokens + simulator.counters().outputTokens,
        promptTokensDetails: [{ modality: 'TEXT', tokenCount: simulator.counters().inputTokens }],
      },
      modelVersion: 'sim-gemini-flash',
      responseId: expect.any(String),
    });
  });

  it('streams SSE chunks with no end marker, the finish reason and full usage on the last', async () => {
    const response = await post('sim-gemini-flash:streamGenerateContent?alt=sse', {
      contents: [{ role: 'user', parts: [{ text: `echo: ${'word '.repeat(20)}` }] }],
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    expect(text).not.toContain('[DONE]');
    const chunks = text
      .split('\n\n')
      .filter((event) => event.startsWith('data: '))
      .map((event) => JSON.parse(event.slice('data: '.length)));
    expect(chunks.length).toBeGreaterThan(1);
    const last = chunks.at(-1);
    expect(last.candidates[0].finishReason).toBe('STOP');
    expect(last.usageMetadata.candidatesTokenCount).toBe(simulator.counters().outputTokens);
    expect(
      chunks.slice(0, -1).every((chunk) => chunk.candidates[0].finishReason === undefined),
    ).toBe(true);
    const joined = chunks.map((chunk) => chunk.candidates[0].content.parts[0].text).join('');
    expect(joined).toBe('word '.repeat(20));
  });

  it('refuses a stream without alt=sse, an unknown field, and a missing key, in Google error shape', async () => {
    const noSse = await post('sim-gemini-flash:streamGenerateContent', hello);
    expect(noSse.status).toBe(400);
    const unknown = await post('sim-gemini-flash:generateContent', { ...hello, foo: 1 });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({
      error: {
        code: 400,
        message: 'Invalid JSON payload received. Unknown name "foo": Cannot find field.',
        status: 'INVALID_ARGUMENT',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.BadRequest',
            fieldViolations: [
              {
                field: 'foo',
                description:
                  'Invalid JSON payload received. Unknown name "foo": Cannot find field.',
              },
            ],
          },
        ],
      },
    });
    const keyless = await fetch(`${simulator.url}/v1beta/models/sim-gemini-flash:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(hello),
    });
    expect(keyless.status).toBe(401);
    expect(await keyless.json()).toMatchObject({ error: { status: 'UNAUTHENTICATED' } });
  });

  it("refuses a maxOutputTokens above the model's most output, as Gemini does", async () => {
    simulator.configure({
      models: { 'sim-gemini-flash': { capabilities: { maxOutputTokens: 65_536 } } },
    });
    const tooMany = await post('sim-gemini-flash:generateContent', {
      ...hello,
      generationConfig: { maxOutputTokens: 200_000 },
    });
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toEqual({
      error: {
        code: 400,
        message:
          'Unable to submit request because it has a maxOutputTokens value of 200000 but the supported range is from 1 (inclusive) to 65537 (exclusive). Update the value and try again.',
        status: 'INVALID_ARGUMENT',
      },
    });
    const most = await post('sim-gemini-flash:generateContent', {
      ...hello,
      generationConfig: { maxOutputTokens: 65_536 },
    });
    expect(most.status).toBe(200);
  });

  it('says how long to wait on a 429 in a RetryInfo detail', async () => {
    const response = await post('sim-gemini-flash:generateContent', hello, {
      'x-sim-fault': '429',
      'x-sim-retry-after': '3',
    });
    expect(response.status).toBe(429);
    const body = (await response.json()) as { error: { details: unknown[] } };
    expect(body.error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });
    expect(body.error.details).toContainEqual({
      '@type': 'type.googleapis.com/google.rpc.RetryInfo',
      retryDelay: '3s',
    });
  });

  it('calls a function with args and no id, and answers its functionResponse', async () => {
    const tools = [
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            parametersJsonSchema: {
              type: 'object',
              properties: { city: { type: 'string' } },
              required: ['city'],
            },
          },
        ],
      },
    ];
    const ask = { role: 'user', parts: [{ text: 'Weather in Paris? Use get_weather.' }] };
    const firstResponse = await post('sim-gemini-flash:generateContent', {
      contents: [ask],
      tools,
    });
    const first = (await firstResponse.json()) as GenerateBody;
    const part = first.candidates[0]?.content.parts[0];
    expect(part).toBeDefined();
    expect(part?.functionCall).toEqual({ name: 'get_weather', args: { city: expect.any(String) } });
    const second = await post('sim-gemini-flash:generateContent', {
      contents: [
        ask,
        { role: 'model', parts: [part] },
        {
          role: 'user',
          parts: [{ functionResponse: { name: 'get_weather', response: { output: 'sunny' } } }],
        },
      ],
      tools,
    });
    const secondBody = (await second.json()) as GenerateBody;
    expect(secondBody.candidates[0]?.content.parts).toEqual([
      { text: '[sim] get_weather returned: sunny' },
    ]);
    const orphan = await post('sim-gemini-flash:generateContent', {
      contents: [
        ask,
        {
          role: 'user',
          parts: [{ functionResponse: { name: 'get_weather', response: { output: 'sunny' } } }],
        },
      ],
      tools,
    });
    expect(orphan.status).toBe(400);
  });

  it('thinks on a reasoning model: a signed thought part, a signed text part and thoughtsTokenCount', async () => {
    const response = await post('sim-gemini-thinking:generateContent', {
      ...hello,
      generationConfig: { thinkingConfig: { includeThoughts: true, thinkingBudget: 512 } },
    });
    const body = (await response.json()) as GenerateBody;
    const [thought, answer] = body.candidates[0]?.content.parts ?? [];
    expect(thought).toEqual({
      text: expect.any(String),
      thought: true,
      thoughtSignature: expect.any(String),
    });
    expect(answer).toEqual({ text: 'hello there', thoughtSignature: expect.any(String) });
    expect(body.usageMetadata.thoughtsTokenCount).toBeGreaterThan(0);
    // The text's signature goes back on its part; one that does not match the text is refused.
    const next = (parts: object[]) =>
      post('sim-gemini-thinking:generateContent', {
        contents: [...hello.contents, { role: 'model', parts }, ...hello.contents],
      });
    expect((await next([thought as object, answer as object])).status).toBe(200);
    const altered = await next([{ ...(answer as object), text: 'hello there!' }]);
    expect(altered.status).toBe(400);
    expect(await altered.text()).toContain('Thought signature is not valid');
    const refused = await post('sim-gemini-flash:generateContent', {
      ...hello,
      generationConfig: { thinkingConfig: { thinkingBudget: 512 } },
    });
    expect(refused.status).toBe(400);
  });

  it('signs the first of a reasoning model’s function calls and checks the signature came back', async () => {
    const declaration = (name: string) => ({
      name,
      parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } } },
    });
    const tools = [{ functionDeclarations: [declaration('get_weather'), declaration('get_time')] }];
    const ask = { role: 'user', parts: [{ text: 'Use get_weather and get_time.' }] };
    const first = await post('sim-gemini-thinking:generateContent', { contents: [ask], tools });
    const calls = ((await first.json()) as GenerateBody).candidates[0]?.content.parts ?? [];
    expect(calls.map((part) => part.functionCall)).toEqual([
      expect.objectContaining({ name: 'get_weather' }),
      expect.objectContaining({ name: 'get_time' }),
    ]);
    // Parallel calls: only the first carries the step's signature.
    expect(calls[0]?.thoughtSignature).toEqual(expect.any(String));
    // As long as Gemini's (encrypted thought context), not a bare MAC.
    expect(String(calls[0]?.thoughtSignature).length).toBeGreaterThan(1000);
    expect(calls[1]).not.toHaveProperty('thoughtSignature');
    const results = {
      role: 'user',
      parts: ['get_weather', 'get_time'].map((name) => ({
        functionResponse: { name, response: { output: 'ok' } },
      })),
    };
    const replay = (model: object) => ({ contents: [ask, model, results], tools });
    const sentBack = await post(
      'sim-gemini-thinking:generateContent',
      replay({ role: 'model', parts: calls }),
    );
    expect(sentBack.status).toBe(200);

    const unsigned = calls.map(({ thoughtSignature: _dropped, ...part }) => part);
    const missing = await post(
      'sim-gemini-thinking:generateContent',
      replay({ role: 'model', parts: unsigned }),
    );
    expect(missing.status).toBe(400);
    const missingError = ((await missing.json()) as { error: { message: string } }).error;
    expect(missingError.message).toContain(
      'Function call is missing a thought_signature in functionCall parts',
    );
    expect(missingError.message).toContain('`default_api:get_weather` , position 1');

    const altered = [
      { ...calls[0], functionCall: { name: 'get_weather', args: { city: 'Elsewhere' } } },
      calls[1],
    ];
    const corrupted = await post(
      'sim-gemini-thinking:generateContent',
      replay({ role: 'model', parts: altered }),
    );
    expect(corrupted.status).toBe(400);
    expect(((await corrupted.json()) as { error: { message: string } }).error.message).toContain(
      'Corrupted thought signature',
    );

    // Google's placeholder skips the check; an earlier turn's calls are not checked; the
    // non-reasoning model neither signs nor checks.
    const placeholder = [{ ...unsigned[0], thoughtSignature: 'skip_thought_signature_validator' }];
    const skipped = await post(
      'sim-gemini-thinking:generateContent',
      replay({ role: 'model', parts: [...placeholder, unsigned[1]] }),
    );
    expect(skipped.status).toBe(200);
    const earlierTurn = await post('sim-gemini-thinking:generateContent', {
      contents: [
        ask,
        { role: 'model', parts: unsigned },
        results,
        { role: 'model', parts: [{ text: 'done' }] },
        { role: 'user', parts: [{ text: 'thanks' }] },
      ],
      tools,
    });
    expect(earlierTurn.status).toBe(200);
    const flash = await post('sim-gemini-flash:generateContent', { contents: [ask], tools });
    const flashParts = ((await flash.json()) as GenerateBody).candidates[0]?.content.parts ?? [];
    expect(flashParts[0]?.functionCall).toBeDefined();
    expect(flashParts[0]).not.toHaveProperty('thoughtSignature');
    const flashReplay = await post(
      'sim-gemini-flash:generateContent',
      replay({ role: 'model', parts: flashParts }),
    );
    expect(flashReplay.status).toBe(200);
  });

  it('embeds one content or a batch, every request naming the path model', async () => {
    const one = await post('sim-embed-small:embedContent', {
      content: { parts: [{ text: 'hello' }] },
      outputDimensionality: 8,
    });
    expect(((await one.json()) as EmbedBody).embedding.values).toHaveLength(8);
    const batch = await post('sim-embed-small:batchEmbedContents', {
      requests: [
        { model: 'models/sim-embed-small', content: { parts: [{ text: 'a' }] } },
        { model: 'models/sim-embed-small', content: { parts: [{ text: 'b' }] } },
      ],
    });
    const body = (await batch.json()) as EmbedBody;
    expect(body.embeddings).toHaveLength(2);
    expect(body.embeddings[0]?.values).toHaveLength(256);
    const mismatch = await post('sim-embed-small:batchEmbedContents', {
      requests: [{ model: 'models/other', content: { parts: [{ text: 'a' }] } }],
    });
    expect(mismatch.status).toBe(400);
  });
});
