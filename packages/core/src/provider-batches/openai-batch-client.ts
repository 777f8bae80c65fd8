import type OpenAI from 'openai';
import { convertOpenAIChatCompletion } from '../providers/openai/convert-openai-chat-completion';
import { convertOpenAIUsage } from '../providers/openai/convert-openai-usage';
import { convertToOpenAIChatRequest } from '../providers/openai/convert-to-openai-chat-request';
import { openaiSdk } from '../providers/openai/openai-sdk';
import type {
  ProviderBatchClient,
  ProviderBatchRequest,
  ProviderBatchResult,
  ProviderBatchState,
} from './provider-batch-client';

/** How to reach an OpenAI-format batch API. */
export interface OpenAIBatchClientOptions {
  provider: string;
  apiKey: string;
  /** e.g. `https://api.openai.com/v1`; the simulator's `${url}/v1`. */
  baseURL?: string;
  timeoutMs?: number;
}

const endpoint = '/v1/chat/completions';

/** OpenAI's Batch API: the requests go up as a JSONL file, the answers come back as two. */
export class OpenAIBatchClient implements ProviderBatchClient {
  readonly provider: string;
  private sdkClient: OpenAI | undefined;

  constructor(private readonly options: OpenAIBatchClientOptions) {
    this.provider = options.provider;
  }

  /** The SDK client, made (and the SDK loaded) on the first call. */
  private get client(): OpenAI {
    // Retries belong to the caller (one layer retries), as for the chat adapters.
    this.sdkClient ??= new (openaiSdk().OpenAI)({
      apiKey: this.options.apiKey,
      baseURL: this.options.baseURL,
      maxRetries: 0,
      timeout: this.options.timeoutMs ?? 600_000,
      logLevel: 'off',
    });
    return this.sdkClient;
  }

  async submit(upstreamModel: string, requests: readonly ProviderBatchRequest[]): Promise<string> {
    const lines = requests.map(({ customId, request }) =>
      JSON.stringify({
        custom_id: customId,
        method: 'POST',
        url: endpoint,
        body: convertToOpenAIChatRequest(upstreamModel, request, {
          maxTokensField: 'max_completion_tokens',
        }),
      }),
    );
    const file = await this.client.files.create({
      file: await openaiSdk().toFile(Buffer.from(`${lines.join('\n')}\n`), 'llmq-batch.jsonl'),
      purpose: 'batch',
    });
    const batch = await this.client.batches.create({
      input_file_id: file.id,
      endpoint,
      completion_window: '24h',
    });
    return batch.id;
  }

  async state(batchId: string): Promise<ProviderBatchState> {
    const batch = await this.client.batches.retrieve(batchId);
    const counts = batch.request_counts ?? { total: 0, completed: 0, failed: 0 };
    return {
      ended: ['completed', 'failed', 'expired', 'cancelled'].includes(batch.status),
      done: counts.completed + counts.failed,
      total: counts.total,
    };
  }

  async *results(batchId: string): AsyncIterable<ProviderBatchResult> {
    const batch = await this.client.batches.retrieve(batchId);
    for (const fileId of [batch.output_file_id, batch.error_file_id]) {
      if (!fileId) continue;
      const text = await (await this.client.files.content(fileId)).text();
      for (const line of text.split('\n')) {
        if (line.trim().length > 0) yield this.resultOf(JSON.parse(line));
      }
    }
  }

  async cancel(batchId: string): Promise<void> {
    await this.client.batches.cancel(batchId);
  }

  private resultOf(line: OutputLine): ProviderBatchResult {
    const customId = line.custom_id;
    const response = line.response;
    if (response && response.status_code === 200) {
      const result = convertOpenAIChatCompletion(response.body, {
        provider: this.provider,
        modelId: String((response.body as { model?: unknown }).model ?? ''),
        convertUsage: (usage) => usage && convertOpenAIUsage(usage),
      });
      return { customId, ok: true, result };
    }
    if (response) {
      const body = response.body as { error?: { message?: string } } | undefined;
      return {
        customId,
        ok: false,
        reason: 'error',
        statusCode: response.status_code,
        message: body?.error?.message ?? `status ${response.status_code}`,
      };
    }
    const code = line.error?.code ?? 'unknown';
    return {
      customId,
      ok: false,
      reason: code === 'batch_cancelled' || code === 'batch_expired' ? 'not_run' : 'error',
      message: line.error?.message ?? code,
    };
  }
}

/** One line of a batch output or error file. */
interface OutputLine {
  custom_id: string;
  response: { status_code: number; body: unknown } | null;
  error: { code?: string; message?: string } | null;
}
