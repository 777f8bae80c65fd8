/**
 * The output filter on streamed answers, through the built API and a real worker: what the
 * tenant's policy redacts never reaches a streaming client, in the OpenAI and the Anthropic
 * dialect, and the streamed text is the stored (redacted) result's.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { apiKey, startSystem } from './system-harness';

const adminKey = 'e2e-admin-key-000000000000000002';
const secret = 'sk-proj-Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lz';
const email = 'jane.doe.private@example.org';
const words = (count: number) =>
  Array.from({ length: count }, (_, index) => `word${index % 13}`).join(' ');
/** Long enough that the answer streams well past the filter's hold-back on both sides. */
const echoed = `${words(40)} the key is ${secret} and the address ${email} ${words(40)}`;

let system: Awaited<ReturnType<typeof startSystem>>;

beforeAll(async () => {
  // Paced as a model writes, so the answer reaches the client in many pieces.
  const paced = { tokensPerSecond: 400 };
  system = await startSystem({
    workers: 1,
    env: { ADMIN_API_KEY: adminKey },
    simulatorModels: { 'sim-gpt-fast': paced, 'sim-claude-fast': paced },
  });
  // The key may reach the model (input: flag) but not the client (output: redact, the
  // default); addresses are redacted from answers.
  const policy = await system.request(
    'PUT',
    '/v1/admin/tenants/e2e/filter-policy',
    { input: { detectors: { secret: 'flag' } }, output: { detectors: { email: 'redact' } } },
    { Authorization: `Bearer ${adminKey}` },
  );
  expect(policy.status).toBe(200);
});
afterAll(async () => {
  await system?.stop();
});

function expectRedacted(pieces: readonly string[]): void {
  // Still a stream: the text arrives in pieces while the model writes, not at its end.
  expect(pieces.length).toBeGreaterThan(5);
  for (const piece of pieces) {
    expect(piece).not.toContain('Zx9Qw8');
    expect(piece).not.toContain('jane.doe');
  }
  const text = pieces.join('');
  expect(text).toContain('the key is [SECRET] and the address [EMAIL] ');
}

it('streams an OpenAI chat answer with what the policy redacts redacted, as stored', async () => {
  const openai = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
  const { data: stream, response } = await openai.chat.completions
    .create({
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: `echo: ${echoed}` }],
      max_tokens: 1000,
      stream: true,
    })
    .withResponse();
  const pieces: string[] = [];
  for await (const chunk of stream) {
    const content = chunk.choices[0]?.delta.content;
    if (content) pieces.push(content);
  }
  expectRedacted(pieces);
  const job = await system.waitForJob(String(response.headers.get('x-llmq-job-id')));
  expect(job.status).toBe('completed');
  expect(job.result?.text).toBe(pieces.join(''));
  expect(job.result?.filter_findings).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ detector: 'secret', action: 'redact' }),
      expect.objectContaining({ detector: 'email', action: 'redact' }),
    ]),
  );
});

it('streams an Anthropic message with what the policy redacts redacted', async () => {
  const anthropic = new Anthropic({ baseURL: system.apiUrl, apiKey, maxRetries: 0 });
  const stream = anthropic.messages.stream({
    model: 'sim-claude-fast',
    max_tokens: 1000,
    messages: [{ role: 'user', content: `echo: ${echoed}` }],
  });
  const pieces: string[] = [];
  stream.on('text', (delta) => pieces.push(delta));
  const message = await stream.finalMessage();
  expectRedacted(pieces);
  const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
  expect(text).toBe(pieces.join(''));
});
