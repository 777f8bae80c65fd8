import { toFile } from 'openai';
import { type RunningSimulator, startSimulator } from '../start-simulator';
import { openAiClient } from '../test-support/sdk-clients';

function chatLine(customId: string, content: string, model = 'sim-gpt-fast'): string {
  return JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model, messages: [{ role: 'user', content }] },
  });
}

describe('OpenAI Files and Batch API', () => {
  let simulator: RunningSimulator;
  let now = 1_800_000_000_000;

  beforeEach(async () => {
    now = 1_800_000_000_000;
    simulator = await startSimulator({ clock: () => now });
  });

  afterEach(async () => {
    await simulator.close();
  });

  async function upload(lines: string[]): Promise<string> {
    const client = openAiClient(simulator);
    const file = await client.files.create({
      file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'input.jsonl'),
      purpose: 'batch',
    });
    return file.id;
  }

  it('uploads a file and serves its object and content', async () => {
    const client = openAiClient(simulator);
    const line = chatLine('a', 'Hello');
    const id = await upload([line]);
    const file = await client.files.retrieve(id);
    expect(file).toMatchObject({ id, object: 'file', purpose: 'batch', filename: 'input.jsonl' });
    expect(file.bytes).toBe(Buffer.byteLength(`${line}\n`));
    const content = await (await client.files.content(id)).text();
    expect(content).toBe(`${line}\n`);
    await expect(client.files.delete(id)).resolves.toMatchObject({ id, deleted: true });
    await expect(client.files.retrieve(id)).rejects.toMatchObject({ status: 404 });
  });

  it('runs a batch over the turnaround and writes output and error files', async () => {
    simulator.configure({ batches: { turnaroundMs: 10_000 } });
    const client = openAiClient(simulator);
    const lines = Array.from({ length: 10 }, (_, index) =>
      chatLine(`line-${index}`, `Question ${index}`),
    );
    lines.push(chatLine('bad-model', 'Hi', 'gpt-unknown'));
    const inputFileId = await upload(lines);
    const created = await client.batches.create({
      input_file_id: inputFileId,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { purpose: 'test' },
    });
    expect(created).toMatchObject({
      object: 'batch',
      status: 'validating',
      input_file_id: inputFileId,
    });
    expect(created.id).toMatch(/^batch_/);

    now += 5_000;
    const halfway = await client.batches.retrieve(created.id);
    expect(halfway.status).toBe('in_progress');
    expect(halfway.request_counts).toEqual({ total: 11, completed: 5, failed: 0 });
    expect(halfway.output_file_id).toBeNull();

    now += 5_000;
    const done = await client.batches.retrieve(created.id);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 11, completed: 10, failed: 1 });
    expect(done.output_file_id).toEqual(expect.any(String));
    expect(done.error_file_id).toEqual(expect.any(String));

    const output = (await (await client.files.content(done.output_file_id as string)).text())
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text));
    expect(output.map((line) => line.custom_id)).toEqual(
      lines.slice(0, 10).map((_, index) => `line-${index}`),
    );
    expect(output[0]).toMatchObject({
      response: { status_code: 200, body: { object: 'chat.completion', model: 'sim-gpt-fast' } },
      error: null,
    });
    const errors = (await (await client.files.content(done.error_file_id as string)).text())
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      custom_id: 'bad-model',
      response: { status_code: 404, body: { error: { code: 'model_not_found' } } },
    });
    // The files are written once: a second look names the same ones.
    await expect(client.batches.retrieve(created.id)).resolves.toMatchObject({
      output_file_id: done.output_file_id,
    });
  });

  it('cancels a running batch: lines done stay answered, the rest are cancelled', async () => {
    simulator.configure({ batches: { turnaroundMs: 10_000 } });
    const client = openAiClient(simulator);
    const lines = Array.from({ length: 4 }, (_, index) => chatLine(`c-${index}`, `Q ${index}`));
    const batch = await client.batches.create({
      input_file_id: await upload(lines),
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    now += 5_000;
    const cancelling = await client.batches.cancel(batch.id);
    expect(cancelling.status).toBe('cancelling');
    now += 60_000;
    const cancelled = await client.batches.retrieve(batch.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.request_counts).toEqual({ total: 4, completed: 2, failed: 0 });
    const errors = (await (await client.files.content(cancelled.error_file_id as string)).text())
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text));
    expect(errors.map((line) => [line.custom_id, line.error.code])).toEqual([
      ['c-2', 'batch_cancelled'],
      ['c-3', 'batch_cancelled'],
    ]);
    await expect(client.batches.cancel(batch.id)).rejects.toMatchObject({ status: 409 });
  });

  it('expires lines a batch has not run within its window', async () => {
    simulator.configure({ batches: { turnaroundMs: 20_000, expiresAfterMs: 10_000 } });
    const client = openAiClient(simulator);
    const lines = Array.from({ length: 4 }, (_, index) => chatLine(`e-${index}`, `Q ${index}`));
    const batch = await client.batches.create({
      input_file_id: await upload(lines),
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    now += 10_000;
    const expired = await client.batches.retrieve(batch.id);
    expect(expired.status).toBe('expired');
    expect(expired.request_counts).toEqual({ total: 4, completed: 2, failed: 0 });
    const errors = await (await client.files.content(expired.error_file_id as string)).text();
    expect(errors.match(/batch_expired/g)).toHaveLength(2);
  });

  it('fails lines at the configured rate, the same lines on every look', async () => {
    simulator.configure({ batches: { turnaroundMs: 0, lineFailureRate: 0.5 } });
    const client = openAiClient(simulator);
    const lines = Array.from({ length: 200 }, (_, index) => chatLine(`f-${index}`, `Q ${index}`));
    const batch = await client.batches.create({
      input_file_id: await upload(lines),
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const done = await client.batches.retrieve(batch.id);
    const failed = done.request_counts?.failed ?? 0;
    expect(failed).toBeGreaterThan(50);
    expect(failed).toBeLessThan(150);
    expect((done.request_counts?.completed ?? 0) + failed).toBe(200);
    const errors = await (await client.files.content(done.error_file_id as string)).text();
    expect(errors.match(/"status_code":500/g)).toHaveLength(failed);
  });

  it('marks a batch with an invalid input file failed, listing the bad lines', async () => {
    const client = openAiClient(simulator);
    const batch = await client.batches.create({
      input_file_id: await upload([chatLine('x', 'ok'), '{not json', chatLine('x', 'again')]),
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    expect(batch.status).toBe('failed');
    expect(batch.errors?.data?.map((error) => [error.code, error.line])).toEqual([
      ['invalid_json_line', 2],
      ['duplicate_custom_id', 3],
    ]);
  });

  it('refuses a completion window other than 24h and an unknown file', async () => {
    const client = openAiClient(simulator);
    const inputFileId = await upload([chatLine('x', 'ok')]);
    await expect(
      client.batches.create({
        input_file_id: inputFileId,
        endpoint: '/v1/chat/completions',
        completion_window: '1h' as '24h',
      }),
    ).rejects.toMatchObject({ status: 400, param: 'completion_window' });
    await expect(
      client.batches.create({
        input_file_id: 'file-missing',
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      }),
    ).rejects.toMatchObject({ status: 404 });
  });
});
