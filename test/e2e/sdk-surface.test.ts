/**
 * The SDK surface beside chat and messages, through the built API and a real worker process:
 * both SDKs' `models.list`/`retrieve`, Anthropic's `messages.countTokens` (and that its count
 * is the one `/v1/messages` reports), and OpenAI's `files.list`/`delete` around a batch that
 * runs to its end.
 */
import Anthropic from '@anthropic-ai/sdk';
import { waitFor } from '@llmq/testing';
import OpenAI, { toFile } from 'openai';
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
    const ended = await waitFor(async () => {
      const current = await openai.batches.retrieve(batch.id);
      return current.status === 'completed' ? current : undefined;
    }, 20_000);
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
