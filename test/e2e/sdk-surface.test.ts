/**
 * The SDK surface beside chat and messages, through the built API and a real worker process:
 * both SDKs' `models.list`/`retrieve`, Anthropic's `messages.countTokens` (and that its count
 * is the one `/v1/messages` reports), and OpenAI's `files.list`/`delete` around a batch that
 * runs to its end.
 */
import Anthropic from '@anthropic-ai/sdk';
import { waitFor } from '@llmq/testing';
import OpenAI, { toFile } from 'openai';
import { readEvents } from './read-sse';
import { apiKey, otherTenantApiKey, startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  system = await startSystem({ workers: 1 });
  openai = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: system.apiUrl, apiKey, maxRetries: 0 });
});
afterAll(async () => {
  await system?.stop();
});

describe('models', () => {
  it('lists the same usable models to both SDKs, each in its own shape', async () => {
    const fromOpenAI: string[] = [];
    for await (const model of openai.models.list()) fromOpenAI.push(model.id);
    const fromAnthropic: string[] = [];
    for await (const model of anthropic.models.list({ limit: 2 })) fromAnthropic.push(model.id);
    expect(fromOpenAI).toContain('sim-gpt-fast');
    expect(fromOpenAI).toContain('sim-embed-small');
    expect(fromAnthropic).toEqual(fromOpenAI);
    expect(await openai.models.retrieve('sim-claude-fast')).toMatchObject({ object: 'model' });
    expect(await anthropic.models.retrieve('sim-claude-fast')).toMatchObject({ type: 'model' });
    await expect(anthropic.models.retrieve('nope')).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });
});

describe('messages.countTokens', () => {
  it("counts what /v1/messages reports as the prompt's estimate, and more with tools", async () => {
    const request = {
      model: 'sim-claude-fast',
      system: 'You are terse.',
      messages: [{ role: 'user' as const, content: 'echo: count me, please' }],
    };
    const { input_tokens } = await anthropic.messages.countTokens(request);
    expect(input_tokens).toBeGreaterThan(10);
    // The streamed answer's message_start carries llmq's estimate of the same prompt.
    const stream = anthropic.messages.stream({ ...request, max_tokens: 20 });
    let started: number | undefined;
    stream.on('streamEvent', (event) => {
      if (event.type === 'message_start') started = event.message.usage.input_tokens;
    });
    await stream.finalMessage();
    expect(started).toBe(input_tokens);
    const withTools = await anthropic.messages.countTokens({
      ...request,
      tools: [
        {
          name: 'lookup',
          description: 'Looks a word up',
          input_schema: { type: 'object', properties: { word: { type: 'string' } } },
        },
      ],
    });
    expect(withTools.input_tokens).toBeGreaterThan(input_tokens);
  });
});

describe('files', () => {
  it('lists, and deletes once its batch has ended, a file; another tenant sees none of it', async () => {
    const line = JSON.stringify({
      custom_id: 'only',
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'sim-gpt-fast', messages: [{ role: 'user', content: 'hi' }] },
    });
    const file = await openai.files.create({
      file: await toFile(Buffer.from(`${line}\n`), 'input.jsonl'),
      purpose: 'batch',
    });
    const batch = await openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const ended = await waitFor(
      async () => {
        const current = await openai.batches.retrieve(batch.id);
        return current.status === 'completed' ? current : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(ended.output_file_id).toBeTruthy();
    // The output file is listed beside the input, by purpose.
    const outputs = await openai.files.list({ purpose: 'batch_output' });
    expect(outputs.data.map((item) => item.id)).toEqual([ended.output_file_id]);
    const all: string[] = [];
    for await (const item of openai.files.list({ limit: 1, order: 'asc' })) all.push(item.id);
    expect(all).toEqual([file.id, ended.output_file_id]);

    const other = new OpenAI({
      baseURL: `${system.apiUrl}/v1`,
      apiKey: otherTenantApiKey,
      maxRetries: 0,
    });
    expect((await other.files.list()).data).toEqual([]);
    await expect(other.files.delete(file.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);

    expect(await openai.files.delete(file.id)).toEqual({
      id: file.id,
      object: 'file',
      deleted: true,
    });
    expect((await openai.files.list()).data.map((item) => item.id)).toEqual([ended.output_file_id]);
    await expect(openai.files.content(file.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('sync embeddings and completions through the interactive lane', () => {
  const direct = () =>
    new OpenAI({ baseURL: `${system.simulator.url}/v1`, apiKey: 'x', maxRetries: 0 });

  it('embeds with float and base64 (the SDK default), the vectors the model itself gives', async () => {
    const input = ['the first text', 'a second one'];
    const expected = await direct().embeddings.create({
      model: 'sim-embed-small',
      input,
      encoding_format: 'float',
    });
    const { data: floats, response } = await openai.embeddings
      .create({ model: 'sim-embed-small', input, encoding_format: 'float' })
      .withResponse();
    expect(floats.object).toBe('list');
    expect(floats.model).toBe('sim-embed-small');
    expect(floats.data.map((item) => item.embedding)).toEqual(
      expected.data.map((item) => item.embedding),
    );
    expect(floats.usage.prompt_tokens).toBe(expected.usage.prompt_tokens);
    const jobId = response.headers.get('x-llmq-job-id');
    expect(jobId).toMatch(/^job_/);
    // The SDK asks base64 when no format is given, and decodes it to float32 values.
    const decoded = await openai.embeddings.create({ model: 'sim-embed-small', input });
    decoded.data.forEach((item, index) => {
      const want = expected.data[index]?.embedding ?? [];
      expect(item.embedding).toHaveLength(want.length);
      for (const [at, value] of item.embedding.entries())
        expect(value).toBeCloseTo(want[at] ?? Number.NaN, 5);
    });
    // `dimensions` reaches the provider: shorter vectors.
    const short = await openai.embeddings.create({
      model: 'sim-embed-small',
      input: 'x',
      dimensions: 8,
      encoding_format: 'float',
    });
    expect(short.data[0]?.embedding).toHaveLength(8);
    // The request was a job: it can be read back, completed, with its cost.
    const job = await fetch(`${system.apiUrl}/v1/jobs/${jobId}`, {
      headers: { Authorization: `Bearer ${apiKey}` },
    }).then((answer) => answer.json());
    expect(job).toMatchObject({ status: 'completed' });
  });

  it('micro-batches concurrent requests of one model into fewer provider calls', async () => {
    system.simulator.reset();
    const count = 12;
    const answers = await Promise.all(
      Array.from({ length: count }, (_, index) =>
        openai.embeddings.create({
          model: 'sim-embed-small',
          input: `text ${index}`,
          encoding_format: 'float',
        }),
      ),
    );
    expect(answers.every((answer) => answer.data.length === 1)).toBe(true);
    const calls = system.simulator
      .counters()
      .recent.filter((call) => call.route === '/v1/embeddings');
    expect(calls.reduce((sum, call) => sum + call.inputCount, 0)).toBe(count);
    expect(calls.length).toBeLessThan(count);
  });

  it('completes plain and streamed, one choice per prompt, with usage', async () => {
    const { data: plain, response } = await openai.completions
      .create({
        model: 'sim-gpt-instruct',
        prompt: ['echo: one', 'echo: two'],
        max_tokens: 16,
      })
      .withResponse();
    // Billed like any job: its cost in the header and in the tenant's usage.
    expect(Number(response.headers.get('x-llmq-cost-usd'))).toBeGreaterThan(0);
    const report = await fetch(`${system.apiUrl}/v1/usage?group_by=model`, {
      headers: { Authorization: `Bearer ${apiKey}` },
    }).then((answer) => answer.json());
    expect(JSON.stringify(report)).toContain('sim-gpt-instruct');
    expect(plain.object).toBe('text_completion');
    expect(plain.id).toMatch(/^cmpl-job_/);
    expect(plain.choices.map((choice) => choice.index)).toEqual([0, 1]);
    expect(plain.choices.every((choice) => choice.text.length > 0)).toBe(true);
    expect(plain.usage?.completion_tokens).toBeGreaterThan(0);

    const stream = await openai.completions.create({
      model: 'sim-gpt-instruct',
      prompt: 'echo: streamed',
      max_tokens: 16,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        text += choice.text;
        finish = choice.finish_reason ?? finish;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).not.toBeNull();
    expect(usage?.total_tokens).toBeGreaterThan(0);
  });

  it('refuses what it cannot carry by name, and an unknown model with 404', async () => {
    for (const [extra, field] of [
      [{ echo: true }, 'echo'],
      [{ logprobs: 2 }, 'logprobs'],
      [{ suffix: 'x' }, 'suffix'],
      [{ n: 2 }, 'n'],
      [{ presence_penalty: 1 }, 'presence_penalty'],
      [{ user: 'u-1' }, 'user'],
    ] as const) {
      const refused = await openai.completions
        .create({ model: 'sim-gpt-instruct', prompt: 'hi', ...extra })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
      expect(refused).toMatchObject({ param: field });
    }
    const missing = await openai.embeddings
      .create({ model: 'no-such-model', input: 'hi' })
      .catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    // A chat-only model does not serve completions.
    const chatOnly = await openai.completions
      .create({ model: 'sim-claude-fast', prompt: 'hi' })
      .catch((error: unknown) => error);
    expect(chatOnly).toBeInstanceOf(OpenAI.BadRequestError);
    expect(chatOnly).toMatchObject({ code: 'model_unavailable' });
  });
});

describe('chat completions: n and logprobs through the sync route', () => {
  const ask = [{ role: 'user' as const, content: 'Say something short.' }];

  it('answers n choices with their logprobs', async () => {
    const whole = await openai.chat.completions.create({
      model: 'sim-gpt-fast',
      messages: ask,
      max_tokens: 16,
      n: 2,
      logprobs: true,
      top_logprobs: 2,
    });
    expect(whole.choices.map((choice) => choice.index)).toEqual([0, 1]);
    for (const choice of whole.choices) {
      expect(choice.message.content?.length).toBeGreaterThan(0);
      const tokens = choice.logprobs?.content ?? [];
      expect(tokens.length).toBeGreaterThan(0);
      // Each token's log probability, with the two most likely alternatives.
      for (const token of tokens) {
        expect(token.logprob).toBeLessThanOrEqual(0);
        expect(token.top_logprobs).toHaveLength(2);
      }
      expect(tokens.map((token) => token.token).join('')).toBe(choice.message.content);
    }
    // Both choices are billed: the completion tokens cover them.
    expect(whole.usage?.completion_tokens).toBeGreaterThanOrEqual(
      whole.choices.reduce((sum, choice) => sum + (choice.logprobs?.content?.length ?? 0), 0),
    );
  });

  /** A stream's chunks, read per choice index as a client of OpenAI's n > 1 streams does. */
  function perChoice(chunks: readonly OpenAI.Chat.ChatCompletionChunk[], index: number) {
    const choices = chunks.flatMap((chunk) =>
      chunk.choices.filter((choice) => choice.index === index),
    );
    return {
      content: choices.map((choice) => choice.delta.content ?? '').join(''),
      roles: choices.filter((choice) => choice.delta.role !== undefined),
      firstRole: choices[0]?.delta.role,
      finishReasons: choices.flatMap((choice) => choice.finish_reason ?? []),
      tokens: choices.flatMap((choice) => choice.logprobs?.content ?? []),
    };
  }

  it('streams n choices interleaved as OpenAI does, each ending when it ends, keeps them in the result, and replays them from the cache', async () => {
    // No token limit: the simulator's answers to this prompt differ in length, so one ends
    // while the other streams on.
    const request = {
      model: 'sim-gpt-fast',
      messages: [{ role: 'user' as const, content: 'Tell me about queues, n times.' }],
      temperature: 0,
      n: 2,
      logprobs: true,
      stream: true as const,
      stream_options: { include_usage: true },
    };
    const { data: stream, response } = await openai.chat.completions.create(request).withResponse();
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(response.headers.get('x-llmq-cached')).toBe('false');
    const [first, second] = [perChoice(chunks, 0), perChoice(chunks, 1)];
    for (const choice of [first, second]) {
      // Each choice opens with the role (once), streams its own text with its tokens' logprobs
      // and ends with its own finish chunk.
      expect(choice.firstRole).toBe('assistant');
      expect(choice.roles).toHaveLength(1);
      expect(choice.content.length).toBeGreaterThan(0);
      expect(choice.tokens.map((token) => token.token).join('')).toBe(choice.content);
      expect(choice.finishReasons).toHaveLength(1);
    }
    expect(first.content).not.toBe(second.content);
    // Interleaved as generated, not one answer after the other.
    const withText = (index: number) =>
      chunks.flatMap((chunk, position) =>
        chunk.choices.some((choice) => choice.index === index && choice.delta.content)
          ? [position]
          : [],
      );
    expect(withText(1)[0]).toBeLessThan(withText(0).at(-1) ?? -1);
    expect(chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.index))).not.toContain(2);
    // Each choice's finish chunk comes when that choice ends, after its last delta, while the
    // other streams on (as OpenAI sends them), not with the other's at the end.
    const finishAt = (index: number) =>
      chunks.findIndex((chunk) =>
        chunk.choices.some((choice) => choice.index === index && choice.finish_reason),
      );
    const lastTextAt = (index: number) => withText(index).at(-1) ?? -1;
    expect(first.content.length).not.toBe(second.content.length); // the simulator's answers differ
    const [early, late] = finishAt(0) < finishAt(1) ? [0, 1] : [1, 0];
    expect(finishAt(early)).toBeGreaterThan(lastTextAt(early));
    expect(finishAt(early)).toBeLessThan(lastTextAt(late));
    expect(finishAt(late)).toBeGreaterThan(lastTextAt(late));
    // The usage chunk is last, with no choices, and bills both answers.
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBeGreaterThanOrEqual(
      first.tokens.length + second.tokens.length,
    );
    expect(chunks.slice(0, -1).every((chunk) => chunk.choices.length === 1)).toBe(true);

    // The job's stored result holds both answers, as a non-streamed n > 1 job's does.
    const job = await system.waitForJob(String(response.headers.get('x-llmq-job-id')));
    expect(job.result?.text).toBe(first.content);
    expect(job.result?.finish_reason).toBe(first.finishReasons[0]);
    expect(job.result?.other_choices).toMatchObject([
      { content: [{ type: 'text', text: second.content }], finishReason: second.finishReasons[0] },
    ]);
    // The job's own event stream tells the same: each answer's end, once, as it ended.
    const { events } = await readEvents(`${system.apiUrl}/v1/jobs/${job.id}/events`, {
      Authorization: `Bearer ${apiKey}`,
    });
    const ends = events
      .filter((event) => event.event === 'delta')
      .flatMap(
        (event) => (JSON.parse(event.data) as { parts?: Array<{ type: string }> }).parts ?? [],
      )
      .filter((part) => part.type === 'choice-end');
    const endOf = (index: number) => ({
      type: 'choice-end',
      finishReason: perChoice(chunks, index).finishReasons[0],
      ...(index > 0 ? { choice: index } : {}),
    });
    expect(ends).toEqual([endOf(early), endOf(late)]);

    // Asked again, the answer comes from the exact cache, streamed again choice by choice.
    const again = await openai.chat.completions.create(request).withResponse();
    const replayed: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const chunk of again.data) replayed.push(chunk);
    expect(again.response.headers.get('x-llmq-cached')).toBe('true');
    for (const [index, original] of [first, second].entries()) {
      const choice = perChoice(replayed, index);
      expect(choice.firstRole).toBe('assistant');
      expect(choice.roles).toHaveLength(1);
      expect(choice.content).toBe(original.content);
      expect(choice.finishReasons).toEqual(original.finishReasons);
      expect(choice.tokens.map((token) => token.token).join('')).toBe(original.content);
    }
    expect(replayed.at(-1)).toMatchObject({ choices: [], usage: last?.usage });
  });

  it("assembles a streamed n > 1 answer with the SDK's stream helper, choice by choice, each done while others stream", async () => {
    const stream = openai.chat.completions.stream({
      model: 'sim-gpt-fast',
      messages: [{ role: 'user' as const, content: 'Tell me about queues, n times.' }],
      n: 3,
    });
    // When a choice's finish chunk arrives: how much of each choice the helper had then.
    const doneAt: Array<{ index: number; lengths: number[] }> = [];
    const texts: string[] = [];
    stream.on('chunk', (chunk, snapshot) => {
      for (const choice of chunk.choices) {
        texts[choice.index] = (texts[choice.index] ?? '') + (choice.delta.content ?? '');
        if (choice.finish_reason)
          doneAt.push({
            index: choice.index,
            lengths: snapshot.choices.map((each) => each.message.content?.length ?? 0),
          });
      }
    });
    const completion = await stream.finalChatCompletion();
    expect(completion.choices.map((choice) => choice.index)).toEqual([0, 1, 2]);
    for (const choice of completion.choices) {
      expect(choice.message.role).toBe('assistant');
      expect(choice.message.content).toBe(texts[choice.index]);
      expect(choice.message.content?.length).toBeGreaterThan(0);
      expect(choice.finish_reason).toBe('stop');
    }
    // The first choice to end was done while another was still being written.
    expect(doneAt.map((done) => done.index).sort()).toEqual([0, 1, 2]);
    const [first] = doneAt;
    expect(first).toBeDefined();
    const finalLengths = completion.choices.map((choice) => choice.message.content?.length ?? 0);
    expect(first?.lengths.some((length, index) => length < (finalLengths[index] ?? 0))).toBe(true);
  });

  it('streams one choice, none left open, from an OpenAI-compatible server that ignores n', async () => {
    // The `local` account (an OpenAI-compatible server with no preset) on a model that answers
    // one choice whatever `n` asks, as many such servers do.
    system.simulator.configure({
      models: { 'sim-local-llama': { capabilities: { choices: 'one' } } },
    });
    try {
      const request = { model: 'sim-local-llama', messages: ask, max_tokens: 16, n: 2 };
      const whole = await openai.chat.completions.create(request);
      expect(whole.choices.map((choice) => choice.index)).toEqual([0]);
      // Streamed, the SDK's helper would throw on a choice opened and never finished.
      const streamed = await openai.chat.completions.stream(request).finalChatCompletion();
      expect(streamed.choices.map((choice) => choice.index)).toEqual([0]);
      expect(streamed.choices[0]?.message.content?.length).toBeGreaterThan(0);
      expect(['stop', 'length']).toContain(streamed.choices[0]?.finish_reason);
    } finally {
      system.simulator.reset();
    }
  });

  it("streams each chunk's token logprobs with its text, as OpenAI does, and keeps them in the job's result", async () => {
    const { data: stream, response } = await openai.chat.completions
      .create({
        model: 'sim-gpt-fast',
        messages: ask,
        max_tokens: 16,
        stream: true,
        logprobs: true,
        top_logprobs: 2,
      })
      .withResponse();
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const content = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(content.length).toBeGreaterThan(0);
    // Every chunk that carries text carries its own tokens (no chunk's logprobs arrive apart
    // from its text), and every chunk's choice has the field, null when it has no tokens.
    const withText = chunks.filter((chunk) => (chunk.choices[0]?.delta.content ?? '') !== '');
    expect(withText.length).toBeGreaterThan(0);
    for (const chunk of withText) {
      const tokens = chunk.choices[0]?.logprobs?.content ?? [];
      expect(tokens.map((token) => token.token).join('')).toBe(chunk.choices[0]?.delta.content);
      for (const token of tokens) expect(token.top_logprobs).toHaveLength(2);
    }
    for (const chunk of chunks.filter((chunk) => chunk.choices.length > 0))
      expect(chunk.choices[0]).toHaveProperty('logprobs');
    // The streamed job's stored result has them all, in order.
    const jobId = response.headers.get('x-llmq-job-id');
    expect(jobId).toBeTruthy();
    const job = await system.waitForJob(String(jobId));
    const stored: Array<{ token: string }> = job.result?.logprobs ?? [];
    expect(stored.map((token) => token.token).join('')).toBe(content);
  });

  it('refuses n and logprobs by name on a model whose provider has neither', async () => {
    for (const [extra, field] of [
      [{ n: 2 }, 'n'],
      [{ logprobs: true }, 'logprobs'],
    ] as const) {
      const refused = await openai.chat.completions
        .create({ model: 'sim-claude-fast', messages: ask, ...extra })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
      expect(refused).toMatchObject({ code: 'unsupported_parameter' });
      expect(String((refused as Error).message)).toContain(`"${field}"`);
    }
    // Streamed, the same refusal comes up front, before anything is queued or streamed: a 400
    // naming the field (OpenAI's `param`), not an error event after the stream began.
    for (const [extra, field] of [
      [{ n: 2 }, 'n'],
      [{ logprobs: true }, 'logprobs'],
    ] as const) {
      const refused = await openai.chat.completions
        .create({ model: 'sim-claude-fast', messages: ask, stream: true, ...extra })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
      expect(refused).toMatchObject({ code: 'unsupported_parameter', param: field });
      expect(String((refused as Error).message)).toContain(`"${field}"`);
      // No job was made (a job's id rides on every answer about it).
      const headers = (refused as InstanceType<typeof OpenAI.BadRequestError>).headers;
      expect(headers.get('content-type')).toContain('application/json');
      expect(headers.get('x-llmq-job-id')).toBeNull();
    }
  });
});
