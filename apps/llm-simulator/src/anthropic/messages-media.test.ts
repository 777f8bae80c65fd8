import type Anthropic from '@anthropic-ai/sdk';
import { type RunningSimulator, startSimulator } from '../start-simulator';
import { pdfBase64, pngHeaderBase64 } from '../test-support/media-fixtures';
import { anthropicClient } from '../test-support/sdk-clients';

describe('POST /v1/messages with images and documents', () => {
  let simulator: RunningSimulator;
  let client: Anthropic;

  beforeEach(async () => {
    simulator = await startSimulator();
    client = anthropicClient(simulator);
  });

  afterEach(async () => {
    await simulator.close();
  });

  const inputTokens = async (
    content: Anthropic.MessageParam['content'],
    model = 'sim-claude-fast',
  ) => {
    const message = await client.messages.create({
      model,
      max_tokens: 64,
      messages: [{ role: 'user', content }],
    });
    return message.usage.input_tokens;
  };
  const text = { type: 'text' as const, text: 'Describe this.' };

  it('counts images as width × height / 750 after fitting the long edge to 1568 px', async () => {
    const base = await inputTokens('Describe this.');
    const png = (width: number, height: number): Anthropic.ImageBlockParam => ({
      type: 'image',
      source: { type: 'base64', media_type: 'image/png', data: pngHeaderBase64(width, height) },
    });
    expect(await inputTokens([text, png(1024, 768)])).toBe(base + Math.ceil((1024 * 768) / 750));
    expect(await inputTokens([text, png(2000, 1000)])).toBe(base + Math.ceil((1568 * 784) / 750));
    const url: Anthropic.ImageBlockParam = {
      type: 'image',
      source: { type: 'url', url: 'https://example.com/cat.png' },
    };
    expect(await inputTokens([text, url])).toBe(base + Math.ceil((1024 * 1024) / 750));
  });

  it('counts PDF documents at 1,500 tokens a page and text documents by their text', async () => {
    const base = await inputTokens('Describe this.');
    const pdf: Anthropic.DocumentBlockParam = {
      type: 'document',
      source: { type: 'base64', media_type: 'application/pdf', data: pdfBase64(2) },
    };
    expect(await inputTokens([text, pdf])).toBe(base + 3000);
    const plain: Anthropic.DocumentBlockParam = {
      type: 'document',
      source: { type: 'text', media_type: 'text/plain', data: 'one two three four' },
    };
    expect(await inputTokens([text, plain])).toBe(base + 4);
  });

  it('refuses images and documents on a model without them', async () => {
    const url: Anthropic.ImageBlockParam = {
      type: 'image',
      source: { type: 'url', url: 'https://example.com/cat.png' },
    };
    await expect(inputTokens([text, url], 'sim-local-llama')).rejects.toMatchObject({
      status: 400,
      error: {
        error: {
          type: 'invalid_request_error',
          message: expect.stringContaining('messages.0.content.1'),
        },
      },
    });
  });
});
