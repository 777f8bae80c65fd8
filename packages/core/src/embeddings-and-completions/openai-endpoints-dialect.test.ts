import type { JobResult } from '../jobs/job-record';
import {
  toOpenAICompletionChunks,
  toOpenAICompletionResponse,
  toOpenAIEmbeddingsResponse,
} from './convert-endpoint-result';
import {
  convertOpenAICompletionsRequest,
  openAICompletionsRequestSchema,
} from './openai-completions-request';
import {
  convertOpenAIEmbeddingsRequest,
  openAIEmbeddingsRequestSchema,
} from './openai-embeddings-request';

const issuePathOf = (result: { success: boolean; error?: { issues: { path: unknown[] }[] } }) =>
  result.error?.issues[0]?.path.join('.');

describe('OpenAI embeddings request → micro-batched call', () => {
  it('reads one input or many, the encoding and the dimensions', () => {
    expect(
      convertOpenAIEmbeddingsRequest(
        openAIEmbeddingsRequestSchema.parse({ model: 'e', input: 'one', dimensions: 8 }),
      ),
    ).toEqual({ model: 'e', request: { inputs: ['one'], dimensions: 8, encodingFormat: 'float' } });
    expect(
      convertOpenAIEmbeddingsRequest(
        openAIEmbeddingsRequestSchema.parse({
          model: 'e',
          input: ['a', 'b'],
          encoding_format: 'base64',
        }),
      ).request,
    ).toEqual({ inputs: ['a', 'b'], encodingFormat: 'base64' });
  });

  it('refuses `user`, token arrays and unknown fields, naming them', () => {
    for (const [extra, path] of [
      [{ user: 'u' }, 'user'],
      [{ input: [[1, 2]] }, 'input'],
      [{ foo: 1 }, ''],
    ] as const) {
      const parsed = openAIEmbeddingsRequestSchema.safeParse({ model: 'e', input: 'x', ...extra });
      expect(parsed.success).toBe(false);
      if (path) expect(issuePathOf(parsed)).toBe(path);
      else expect(JSON.stringify(parsed.error?.issues)).toContain('foo');
    }
  });
});

describe('OpenAI completions request → micro-batched call', () => {
  it('carries the sampling fields, stop as a list, and stream with usage', () => {
    const call = convertOpenAICompletionsRequest(
      openAICompletionsRequestSchema.parse({
        model: 'c',
        prompt: ['p1', 'p2'],
        max_tokens: 5,
        temperature: 0.5,
        top_p: 0.9,
        stop: 'END',
        seed: 7,
        n: 1,
        echo: false,
        presence_penalty: 0,
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    expect(call).toEqual({
      model: 'c',
      stream: true,
      includeUsage: true,
      request: {
        prompts: ['p1', 'p2'],
        maxTokens: 5,
        temperature: 0.5,
        topP: 0.9,
        stop: ['END'],
        seed: 7,
      },
    });
  });

  it('refuses by name what the call cannot carry', () => {
    for (const [extra, path] of [
      [{ echo: true }, 'echo'],
      [{ logprobs: 1 }, 'logprobs'],
      [{ suffix: 'x' }, 'suffix'],
      [{ n: 3 }, 'n'],
      [{ best_of: 2 }, 'best_of'],
      [{ frequency_penalty: 0.5 }, 'frequency_penalty'],
      [{ logit_bias: { '1': 2 } }, 'logit_bias'],
      [{ user: 'u' }, 'user'],
    ] as const) {
      const parsed = openAICompletionsRequestSchema.safeParse({
        model: 'c',
        prompt: 'x',
        ...extra,
      });
      expect([path, parsed.success]).toEqual([path, false]);
      expect(issuePathOf(parsed)).toBe(path);
    }
  });
});

const baseResult: Omit<JobResult, 'endpoint_answer'> = {
  text: '',
  message: { role: 'assistant', content: '' },
  finish_reason: 'stop',
  model: 'catalog-model',
  upstream_model: 'upstream',
  provider: 'simulator-openai',
  usage: { input_tokens: 6, cached_input_tokens: 0, output_tokens: 4, total_tokens: 10 },
  timings: { queue_wait_ms: 0, provider_ms: 1, total_ms: 2 },
};

describe('job result → OpenAI answers', () => {
  it('writes embeddings as floats or as base64 of little-endian float32', () => {
    const result: JobResult = {
      ...baseResult,
      endpoint_answer: { type: 'embeddings', embeddings: [[0.5, -1]] },
    };
    expect(toOpenAIEmbeddingsResponse(result, 'float')).toEqual({
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [0.5, -1] }],
      model: 'catalog-model',
      usage: { prompt_tokens: 6, total_tokens: 6 },
    });
    const [item] = toOpenAIEmbeddingsResponse(result, 'base64').data;
    const bytes = Buffer.from(String(item?.embedding), 'base64');
    expect([bytes.readFloatLE(0), bytes.readFloatLE(4)]).toEqual([0.5, -1]);
  });

  it('writes a text completion, and the same as stream chunks with a usage chunk last', () => {
    const result: JobResult = {
      ...baseResult,
      endpoint_answer: {
        type: 'completions',
        choices: [
          { index: 0, text: 'one', finish_reason: 'stop' },
          { index: 1, text: 'two', finish_reason: 'length' },
        ],
      },
    };
    const body = toOpenAICompletionResponse(result, 'cmpl-job_1', 1_700_000_000_000);
    expect(body).toEqual({
      id: 'cmpl-job_1',
      object: 'text_completion',
      created: 1_700_000_000,
      model: 'catalog-model',
      choices: [
        { text: 'one', index: 0, logprobs: null, finish_reason: 'stop' },
        { text: 'two', index: 1, logprobs: null, finish_reason: 'length' },
      ],
      usage: { prompt_tokens: 6, completion_tokens: 4, total_tokens: 10 },
    });
    const chunks = toOpenAICompletionChunks(result, 'cmpl-job_1', 1_700_000_000_000, true);
    expect(chunks.map((chunk) => chunk.choices)).toEqual([
      [body.choices[0]],
      [body.choices[1]],
      [],
    ]);
    expect(chunks.map((chunk) => chunk.usage)).toEqual([null, null, body.usage]);
    expect(toOpenAICompletionChunks(result, 'x', 0, false).every((c) => !('usage' in c))).toBe(
      true,
    );
  });

  it('refuses to render a result of the other endpoint', () => {
    const result: JobResult = { ...baseResult };
    expect(() => toOpenAIEmbeddingsResponse(result, 'float')).toThrow(/no embeddings/);
    expect(() => toOpenAICompletionResponse(result, 'x', 0)).toThrow(/no completion/);
  });
});
