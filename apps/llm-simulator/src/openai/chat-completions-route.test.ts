import { countTokens } from 'gpt-tokenizer';
import { type RunningSimulator, startSimulator } from '../start-simulator';
import { collect, openAiClient } from '../test-support/sdk-clients';

describe('POST /v1/chat/completions', () => {
  let simulator: RunningSimulator;

  beforeEach(async () => {
    simulator = await startSimulator();
  });

  afterEach(async () => {
    await simulator.close();
  });

  it('answers a chat completion the OpenAI SDK parses, with honest usage', async () => {
    const client = openAiClient(simulator);
    const { data: completion, response } = await client.chat.completions
      .create({
        model: 'sim-gpt-fast',
        messages: [{ role: 'user', content: 'Tell me about queues.' }],
      })
      .withResponse();

    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('sim-gpt-fast');
    const content = completion.choices[0]?.message.content ?? '';
    expect(content.startsWith('[sim] ')).toBe(true);
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage?.completion_tokens).toBe(countTokens(content));
    expect(completion.usage?.completion_tokens).toBeGreaterThanOrEqual(15);
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(countTokens('Tell me about queues.'));
    expect(completion.usage?.total_tokens).toBe(
      (completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0),
    );
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it("refuses a max_tokens or max_completion_tokens above the model's most output, as OpenAI does", async () => {
    simulator.configure({
      models: { 'sim-gpt-fast': { capabilities: { maxOutputTokens: 16_384 } } },
    });
    const client = openAiClient(simulator);
    const messages = [{ role: 'user' as const, content: 'Hello' }];
    for (const field of ['max_tokens', 'max_completion_tokens'] as const) {
      await expect(
        client.chat.completions.create({ model: 'sim-gpt-fast', messages, [field]: 200_000 }),
      ).rejects.toMatchObject({
        status: 400,
        type: 'invalid_request_error',
        param: field,
        code: 'invalid_value',
        error: {
          message: `${field} is too large: 200000. This model supports at most 16384 completion tokens, whereas you provided 200000.`,
        },
      });
    }
    // At the most, it answers.
    const answered = await client.chat.completions.create({
      model: 'sim-gpt-fast',
      messages,
      max_completion_tokens: 16_384,
    });
    expect(answered.choices[0]?.finish_reason).toBe('stop');
  });

  it('streams the same text and usage as the whole answer, ending with a usage chunk', async () => {
    const client = openAiClient(simulator);
    const request = {
      model: 'sim-gpt-strong',
      messages: [
        { role: 'system' as const, content: 'Be brief.' },
        { role: 'user' as const, content: 'Summarise the plan.' },
      ],
    };
    const whole = await client.chat.completions.create(request);
    const chunks = await collect(
      await client.chat.completions.create({
        ...request,
        stream: true,
        stream_options: { include_usage: true },
      }),
    );

    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '', refusal: null });
    const contentChunks = chunks.filter((chunk) => chunk.choices[0]?.delta.content);
    expect(contentChunks.length).toBeGreaterThan(2);
    const streamedText = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(streamedText).toBe(whole.choices[0]?.message.content);
    const finishChunk = chunks.at(-2);
    expect(finishChunk?.choices[0]?.finish_reason).toBe('stop');
    expect(finishChunk?.choices[0]?.delta).toEqual({});
    const usageChunk = chunks.at(-1);
    expect(usageChunk?.choices).toEqual([]);
    expect(usageChunk?.usage?.completion_tokens).toBe(whole.usage?.completion_tokens);
    expect(usageChunk?.usage?.prompt_tokens).toBe(whole.usage?.prompt_tokens);
  });

  it('sends data: [DONE] last and no usage chunk without include_usage', async () => {
    const response = await fetch(`${simulator.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sim', 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'sim-gpt-fast',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const lines = (await response.text()).split('\n\n').filter((line) => line.length > 0);
    expect(lines.at(-1)).toBe('data: [DONE]');
    const chunks = lines.slice(0, -1).map((line) => JSON.parse(line.slice('data: '.length)));
    expect(
      chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && !('usage' in chunk)),
    ).toBe(true);
  });

  it('replies deterministically: same request, same text; other temperature, other text', async () => {
    const client = openAiClient(simulator);
    const ask = async (temperature: number) =>
      (
        await client.chat.completions.create({
          model: 'sim-gpt-fast',
          temperature,
          messages: [{ role: 'user', content: 'Write a haiku about Redis.' }],
        })
      ).choices[0]?.message.content;

    const first = await ask(0.2);
    expect(await ask(0.2)).toBe(first);
    expect(await ask(0.9)).not.toBe(first);
  });

  it('stops at max_tokens with finish_reason length', async () => {
    const client = openAiClient(simulator);
    const completion = await client.chat.completions.create({
      model: 'sim-gpt-fast',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'Say a lot.' }],
    });
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.usage?.completion_tokens).toBe(5);
  });

  it('echoes the text after echo: verbatim', async () => {
    const client = openAiClient(simulator);
    const completion = await client.chat.completions.create({
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: 'Please echo: {"answer": 42}' }],
    });
    expect(completion.choices[0]?.message.content).toBe('{"answer": 42}');
    expect(completion.usage?.completion_tokens).toBe(countTokens('{"answer": 42}'));
  });

  it('paces streams by timeToFirstTokenMs and tokensPerSecond', async () => {
    simulator.configure({
      models: { 'sim-gpt-fast': { timeToFirstTokenMs: 100, tokensPerSecond: 400 } },
    });
    const client = openAiClient(simulator);
    const started = performance.now();
    const stream = await client.chat.completions.create({
      model: 'sim-gpt-fast',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Pace yourself.' }],
    });
    let firstContentMs = 0;
    let completionTokens = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content && firstContentMs === 0)
        firstContentMs = performance.now() - started;
      completionTokens = chunk.usage?.completion_tokens ?? completionTokens;
    }
    const totalMs = performance.now() - started;
    expect(firstContentMs).toBeGreaterThanOrEqual(90);
    // Every delta but the first waits for its share of tokens.
    expect(totalMs).toBeGreaterThanOrEqual(100 + ((completionTokens - 8) * 1000) / 400 - 20);
  });

  it('answers n choices, the first one being the n = 1 answer, usage summed', async () => {
    const client = openAiClient(simulator);
    const request = {
      model: 'sim-gpt-fast',
      messages: [{ role: 'user' as const, content: 'hi' }],
    };
    const single = await client.chat.completions.create(request);
    const many = await client.chat.completions.create({ ...request, n: 3 });
    expect(many.choices.map((choice) => choice.index)).toEqual([0, 1, 2]);
    expect(many.choices[0]?.message.content).toBe(single.choices[0]?.message.content);
    expect(many.choices[1]?.message.content).not.toBe(many.choices[0]?.message.content);
    const texts = many.choices.map((choice) => choice.message.content ?? '');
    expect(many.usage?.completion_tokens).toBe(
      texts.reduce((sum, text) => sum + countTokens(text), 0),
    );
    const streamed = await client.chat.completions
      .stream({ ...request, n: 3 })
      .finalChatCompletion();
    expect(streamed.choices.map((choice) => choice.message.content)).toEqual(texts);
  });

  it('streams n choices interleaved, as OpenAI does: each its role, deltas and finish; usage last', async () => {
    const client = openAiClient(simulator);
    const stream = await client.chat.completions.create({
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: 'Tell me about queues.' }],
      n: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = await collect(stream);
    // Each chunk carries one choice; the first three open choices 0, 1 and 2 with the role.
    expect(chunks.slice(0, 3).map((chunk) => chunk.choices[0]?.index)).toEqual([0, 1, 2]);
    for (const chunk of chunks.slice(0, 3))
      expect(chunk.choices[0]?.delta).toMatchObject({ role: 'assistant', content: '' });
    // Interleaved, not choice after choice: choice 1 speaks before choice 0 is done.
    const indexes = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.index));
    const firstFinish = chunks.findIndex((chunk) => chunk.choices[0]?.finish_reason);
    expect(indexes.slice(0, firstFinish)).toContain(1);
    // Answers of different lengths end at different times: the first to end does while another
    // still streams its text (what a client's per-choice handling is tested against).
    expect(chunks.slice(firstFinish + 1).some((chunk) => chunk.choices[0]?.delta.content)).toBe(
      true,
    );
    const texts = [0, 1, 2].map((index) =>
      chunks
        .flatMap((chunk) => chunk.choices.filter((choice) => choice.index === index))
        .map((choice) => choice.delta.content ?? '')
        .join(''),
    );
    for (const index of [0, 1, 2]) {
      const finishes = chunks.flatMap((chunk) =>
        chunk.choices.filter((choice) => choice.index === index && choice.finish_reason !== null),
      );
      expect(finishes.map((choice) => choice.finish_reason)).toEqual(['stop']);
      expect(texts[index]?.length).toBeGreaterThan(0);
    }
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBe(
      texts.reduce((sum, text) => sum + countTokens(text), 0),
    );
  });
});
