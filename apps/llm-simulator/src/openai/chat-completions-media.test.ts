import type OpenAI from 'openai';
import { type RunningSimulator, startSimulator } from '../start-simulator';
import { pdfBase64, pngHeaderBase64 } from '../test-support/media-fixtures';
import { openAiClient } from '../test-support/sdk-clients';

describe('POST /v1/chat/completions with images and files', () => {
  let simulator: RunningSimulator;
  let client: OpenAI;

  beforeEach(async () => {
    simulator = await startSimulator();
    client = openAiClient(simulator);
  });

  afterEach(async () => {
    await simulator.close();
  });

  const promptTokens = async (content: OpenAI.Chat.ChatCompletionUserMessageParam['content']) => {
    const completion = await client.chat.completions.create({
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content }],
    });
    return completion.usage?.prompt_tokens ?? 0;
  };

  it('counts images by OpenAI tiles: 85 + 170 per 512-px tile, 85 at low detail', async () => {
    const text = await promptTokens('Describe this.');
    const image = (url: string, detail?: 'low' | 'high') => [
      { type: 'text' as const, text: 'Describe this.' },
      { type: 'image_url' as const, image_url: { url, ...(detail ? { detail } : {}) } },
    ];
    const png = (width: number, height: number) =>
      `data:image/png;base64,${pngHeaderBase64(width, height)}`;
    expect(text).toBeGreaterThan(0);
    // 1024×768: shortest side already 768, 2×2 tiles.
    expect(await promptTokens(image(png(1024, 768)))).toBe(text + 85 + 170 * 4);
    // 2048×4096: fits 1024×2048, then shortest side 768 → 768×1536, 2×3 tiles.
    expect(await promptTokens(image(png(2048, 4096)))).toBe(text + 85 + 170 * 6);
    // 4096×1024: fits 2048×512 (never scaled up), 4×1 tiles.
    expect(await promptTokens(image(png(4096, 1024)))).toBe(text + 85 + 170 * 4);
    expect(await promptTokens(image(png(4096, 1024), 'low'))).toBe(text + 85);
    // A URL is not fetched: it counts as 1024×1024.
    expect(await promptTokens(image('https://example.com/cat.png'))).toBe(text + 85 + 170 * 4);
  });

  it('counts PDF files at 1,500 tokens a page, and refuses audio and unreadable images', async () => {
    const text = await promptTokens('Summarise.');
    const withPdf = await promptTokens([
      { type: 'text', text: 'Summarise.' },
      {
        type: 'file',
        file: { filename: 'a.pdf', file_data: `data:application/pdf;base64,${pdfBase64(3)}` },
      },
    ]);
    expect(withPdf).toBe(text + 3 * 1500);
    await expect(
      promptTokens([{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }]),
    ).rejects.toMatchObject({ status: 400, param: 'messages.[0].content.[0].type' });
    await expect(
      promptTokens([{ type: 'image_url', image_url: { url: 'data:text/plain;base64,aGk=' } }]),
    ).rejects.toMatchObject({ status: 400, code: 'invalid_image_format' });
  });

  it('refuses images on a model without vision', async () => {
    await expect(
      client.chat.completions.create({
        model: 'sim-local-llama',
        messages: [
          {
            role: 'user',
            content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }],
          },
        ],
      }),
    ).rejects.toMatchObject({ status: 400, param: 'messages.[0].content.[0].type' });
  });
});
