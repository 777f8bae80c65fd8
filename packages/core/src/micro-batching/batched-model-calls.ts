import { TokenTally } from '@llmq/tokenizer';
import {
  type Context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { CompletionsLineRequest } from '../batches/completions-line-request';
import type { EmbeddingsLineRequest } from '../batches/embeddings-line-request';
import type {
  CompletionsLineAnswer,
  EmbeddingsLineAnswer,
} from '../batches/endpoint-response-body';
import type { ModelEntry } from '../catalog/model-catalog';
import type { ModelDeployment } from '../catalog/model-deployments';
import { costOfUsage } from '../catalog/model-pricing';
import { type DeploymentChooser, weightedChooser } from '../deployments/deployment-picker';
import type { CallGate, CallGateFactory, ThrottleReason } from '../limits/call-gate';
import type { CompletionModel } from '../providers/completion-model';
import type { EmbeddingModel } from '../providers/embedding-model';
import type { RateLimitInfo } from '../providers/language-model';
import { isProviderError, ProviderError } from '../providers/provider-error';
import type { AttemptRecord } from '../resilience/attempt-record';
import { type CallOutcome, callModel, type ModelCall } from '../resilience/call-model';
import type { CircuitBreaker } from '../resilience/circuit-breaker';
import { isRetryableError, type RetryPolicy, retryDelayMs } from '../resilience/retry-policy';
import { type TokenCounts, toAttemptUsage } from '../resilience/usage-records';
import { genAiSystem } from '../telemetry/observe-model-call';
import { traceHeaders } from '../telemetry/tracing';
import { MicroBatcher } from './micro-batcher';
import { splitTotal } from './split-usage';

/**
 * The output a batched call may bill, as the rate limiter reserves it: each text answered up to
 * the model's output limit for `maxTokens` (`maxOutputTokensOf`, as a chat call), or no answer
 * tokens at all (embeddings).
 */
interface CallOutput {
  answers: boolean;
  maxTokens?: number;
}

/** How one line's share of a batched call ended; never a rejection. */
export type LineCallOutcome<Answer> =
  | { ok: true; answer: Answer; attempts: AttemptRecord[] }
  /**
   * `error` is the provider's (undefined when the model could not be called: open circuit, no
   * adapter); `retryable` says whether a later attempt may help.
   */
  | {
      ok: false;
      error: unknown;
      retryable: boolean;
      attempts: AttemptRecord[];
      /** Not called: the model's rate limits ask to wait this long first (no attempt spent). */
      throttled?: { waitMs: number; reason: ThrottleReason };
    };

/** One provider call made for several lines (for metrics and logs; never prompt text). */
export interface BatchedCallReport {
  endpoint: 'embeddings' | 'completions';
  entry: ModelEntry;
  /** The deployment called (absent for a model without deployments). */
  deployment?: string;
  /** Lines in the call. */
  lines: number;
  /** Inputs or prompts in the call (a line may carry several). */
  inputs: number;
  outcome: 'success' | 'error' | 'skipped';
  errorCode?: string;
  latencyMs: number;
  inputTokens: number;
  outputTokens: number;
}

export interface BatchedModelCallsOptions {
  /**
   * The embeddings adapter of one deployment of a catalog entry (its account and upstream
   * model), or undefined when that provider account has none.
   */
  embeddingModel: (entry: ModelEntry, deployment: ModelDeployment) => EmbeddingModel | undefined;
  /** The completions adapter of one deployment of a catalog entry, or undefined. */
  completionModel: (entry: ModelEntry, deployment: ModelDeployment) => CompletionModel | undefined;
  /**
   * Orders a model's deployments for each provider call (the model's pick strategy, shared
   * with chat calls: `DeploymentPicker`); default: a weighted draw.
   */
  chooser?: DeploymentChooser;
  /** The circuit breakers shared with chat calls (one per provider model). */
  breaker?: CircuitBreaker;
  /**
   * Provider RPM/TPM limits shared with chat calls (`ProviderRateLimiter`): each batched call
   * reserves ONE request and the tokens of all its lines, and settles with the call's usage.
   */
  limiter?: CallGateFactory;
  /** Inline retries of a whole call (same policy as chat calls). */
  policy: RetryPolicy;
  /** Told of every provider call. */
  onCall?: (report: BatchedCallReport) => void;
  /**
   * Traces every provider call as a CLIENT span (GenAI attributes) linked to the span of
   * each line it carried (a call serves many jobs, so it has links, not one parent); its
   * `traceparent` goes to the provider. No spans when absent.
   */
  tracer?: Tracer;
  /** Injectable for tests. */
  sleep?: (milliseconds: number) => Promise<void>;
}

/** What one batched call returned: the call's usage, and each line's answer and share of it. */
interface BatchedCallResult<Answer> {
  usage: TokenCounts;
  rateLimit?: RateLimitInfo;
  answers: Array<{ answer: Answer; usage: TokenCounts }>;
}

/** Sends one batched call of these lines with these headers. */
type SendBatch<Answer> = (
  items: LineItem[],
  headers: Record<string, string>,
) => Promise<BatchedCallResult<Answer>>;

/** The sender of one deployment, undefined when its provider account has no adapter. */
type SendOn<Answer> = (deployment: ModelDeployment) => SendBatch<Answer> | undefined;

/** One line waiting in a micro-batch: its texts, its id (for the call's headers) and its span. */
interface LineItem {
  lineId: string;
  texts: string[];
  context?: Context;
}

const realSleep = (milliseconds: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

/** Catalog entries without a `batching` block still go through a batcher, one line per call. */
const unbatched = { max_items: 1, max_wait_ms: 0 };

/**
 * The provider stage of `/v1/embeddings` and `/v1/completions` batch lines: lines of the same
 * model (and the same call parameters) that arrive within the model's `batching.max_wait_ms`
 * share ONE provider call, up to `batching.max_items` lines; each line gets back its own
 * vectors or choices and its share of the usage and cost.
 *
 * Resilience, simpler than the chat chain and documented as such: the call asks the model's
 * circuit breaker first and reports to it after (once per call, not per line), retries
 * retryable errors inline with the chat backoff (never sooner than Retry-After, only while
 * the wait fits `maxInlineWaitMs`), and has no fallback chain (another embeddings model
 * would answer in another vector space). A request error (400, 422) of a call carrying
 * several lines is retried line by line, so one bad input fails only its own line.
 */
export class BatchedModelCalls {
  private readonly batchers = new Map<string, MicroBatcher<LineItem, LineCallOutcome<unknown>>>();
  private readonly sleep: (milliseconds: number) => Promise<void>;

  constructor(private readonly options: BatchedModelCallsOptions) {
    this.sleep = options.sleep ?? realSleep;
  }

  /** Embeds one line's inputs, batched with other lines of the same model and dimensions. */
  embed(
    entry: ModelEntry,
    request: EmbeddingsLineRequest,
    lineId: string,
    context?: Context,
  ): Promise<LineCallOutcome<EmbeddingsLineAnswer>> {
    const key = `embeddings\u0000${entry.id}\u0000${request.dimensions ?? ''}`;
    const batcher = this.batcherFor(key, entry, (items) =>
      this.callEmbeddings(entry, request.dimensions, items),
    );
    return batcher.add({ lineId, texts: request.inputs, context }) as Promise<
      LineCallOutcome<EmbeddingsLineAnswer>
    >;
  }

  /** Completes one line's prompts, batched with other lines of the same model and settings. */
  complete(
    entry: ModelEntry,
    request: CompletionsLineRequest,
    lineId: string,
    context?: Context,
  ): Promise<LineCallOutcome<CompletionsLineAnswer>> {
    const { prompts, ...settings } = request;
    const key = `completions\u0000${entry.id}\u0000${JSON.stringify(settings)}`;
    const batcher = this.batcherFor(key, entry, (items) =>
      this.callCompletions(entry, settings, items),
    );
    return batcher.add({ lineId, texts: prompts, context }) as Promise<
      LineCallOutcome<CompletionsLineAnswer>
    >;
  }

  /** Batchers holding waiting or running lines (one per model and call parameters). */
  get activeBatchers(): number {
    return this.batchers.size;
  }

  /** Sends every waiting line now and waits for the calls in flight (shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.batchers.values()].map((batcher) => batcher.drain()));
  }

  private batcherFor(
    key: string,
    entry: ModelEntry,
    call: (items: LineItem[]) => Promise<Array<LineCallOutcome<unknown>>>,
  ): MicroBatcher<LineItem, LineCallOutcome<unknown>> {
    let batcher = this.batchers.get(key);
    if (batcher === undefined) {
      const settings = entry.batching ?? unbatched;
      batcher = new MicroBatcher({
        maxItems: settings.max_items,
        maxWaitMs: settings.max_wait_ms,
        // Providers take at most 2048 inputs per call, whatever the number of lines.
        weightOf: (item) => item.texts.length,
        maxWeight: 2048,
        run: async (items) => (await call(items)).map((value) => ({ ok: true, value })),
        // Keys include call parameters (a seed, a temperature): drop idle batchers so a
        // long-running worker keeps only the ones in use.
        onIdle: () => this.batchers.delete(key),
      });
      this.batchers.set(key, batcher);
    }
    return batcher;
  }

  private callEmbeddings(
    entry: ModelEntry,
    dimensions: number | undefined,
    items: LineItem[],
  ): Promise<Array<LineCallOutcome<EmbeddingsLineAnswer>>> {
    return this.runCall(
      entry,
      'embeddings',
      items,
      (deployment) => {
        const model = this.options.embeddingModel(entry, deployment);
        return (
          model &&
          (async (callItems, headers) => {
            const result = await model.embed({
              inputs: callItems.flatMap((item) => item.texts),
              ...(dimensions !== undefined ? { dimensions } : {}),
              headers,
            });
            if (
              result.embeddings.length !==
              callItems.reduce((sum, item) => sum + item.texts.length, 0)
            )
              throw new ProviderError({
                code: 'malformed_response',
                message: `${entry.provider}: an embeddings answer has the wrong number of vectors`,
                provider: entry.provider,
              });
            const inputTokens = splitTotal(result.usage.inputTokens, callItems.map(textLength));
            let offset = 0;
            return {
              usage: { inputTokens: result.usage.inputTokens, outputTokens: 0 },
              answers: callItems.map((item, index) => {
                const embeddings = result.embeddings.slice(offset, offset + item.texts.length);
                offset += item.texts.length;
                const tokens = inputTokens[index] ?? 0;
                return {
                  answer: { embeddings, inputTokens: tokens, responseModel: result.responseModel },
                  usage: { inputTokens: tokens, outputTokens: 0 },
                };
              }),
            };
          })
        );
      },
      { answers: false },
    );
  }

  private callCompletions(
    entry: ModelEntry,
    settings: Omit<CompletionsLineRequest, 'prompts'>,
    items: LineItem[],
  ): Promise<Array<LineCallOutcome<CompletionsLineAnswer>>> {
    return this.runCall(
      entry,
      'completions',
      items,
      (deployment) => {
        const model = this.options.completionModel(entry, deployment);
        return (
          model &&
          (async (callItems, headers) => {
            const result = await model.complete({
              prompts: callItems.flatMap((item) => item.texts),
              ...settings,
              headers,
            });
            // The adapter checked there is exactly one choice per prompt, sorted by index.
            const inputTokens = splitTotal(result.usage.inputTokens, callItems.map(textLength));
            let offset = 0;
            const choicesOf = callItems.map((item) => {
              const choices = result.choices
                .slice(offset, offset + item.texts.length)
                .map((choice) => ({ ...choice, index: choice.index - offset }));
              offset += item.texts.length;
              return choices;
            });
            const outputTokens = splitTotal(
              result.usage.outputTokens,
              choicesOf.map((choices) =>
                choices.reduce((sum, choice) => sum + choice.text.length, 0),
              ),
            );
            return {
              usage: {
                inputTokens: result.usage.inputTokens,
                outputTokens: result.usage.outputTokens,
              },
              ...(result.rateLimit ? { rateLimit: result.rateLimit } : {}),
              answers: callItems.map((_, index) => {
                const usage = {
                  inputTokens: inputTokens[index] ?? 0,
                  outputTokens: outputTokens[index] ?? 0,
                };
                return {
                  answer: {
                    choices: choicesOf[index] ?? [],
                    ...usage,
                    responseModel: result.responseModel,
                    ...(result.responseId !== undefined ? { responseId: result.responseId } : {}),
                  },
                  usage,
                };
              }),
            };
          })
        );
      },
      {
        answers: true,
        ...(settings.maxTokens !== undefined ? { maxTokens: settings.maxTokens } : {}),
      },
    );
  }

  /**
   * One batched call through the shared call path (`callModel`: rate limits, circuit breaker,
   * attempt record), retried inline on retryable errors; a request error of a multi-line call
   * is retried line by line. Each provider call goes to the deployment the model's pick puts
   * first (see {@link callPicked}).
   */
  private async runCall<Answer>(
    entry: ModelEntry,
    endpoint: BatchedCallReport['endpoint'],
    items: LineItem[],
    sendOn: SendOn<Answer>,
    /** What the limiter reserves for the call's output (see {@link CallOutput}). */
    output: CallOutput,
  ): Promise<Array<LineCallOutcome<Answer>>> {
    const { policy } = this.options;
    const tally = new TokenTally();
    const gate = this.options.limiter?.gateFor({
      inputTokens: items.reduce(
        (sum, item) => sum + item.texts.reduce((total, text) => total + tally.count(text), 0),
        0,
      ),
      ...(output.maxTokens !== undefined ? { maxTokens: output.maxTokens } : {}),
      // Each prompt of a completions call is answered; an embeddings call answers no tokens.
      answers: output.answers ? items.reduce((sum, item) => sum + item.texts.length, 0) : 0,
      logFields: { batch_lines: items.length, first_line: items[0]?.lineId },
    });
    const attempts: AttemptRecord[][] = items.map(() => []);
    const failed = new Set<string | undefined>();
    for (let retry = 0; ; retry += 1) {
      const { outcome, deployment } = await this.callPicked(
        entry,
        endpoint,
        items,
        sendOn,
        retry,
        gate,
        failed,
      );
      if (!outcome.ok && outcome.called) failed.add(deployment.id);
      if (outcome.ok) return this.shares(entry, outcome.answer, outcome.attempt, attempts);
      for (const list of attempts) list.push(outcome.attempt);
      const lineOutcome = (error: unknown, retryable: boolean) =>
        attempts.map((list) => ({
          ok: false as const,
          error,
          retryable,
          attempts: list,
          ...(outcome.throttled ? { throttled: outcome.throttled } : {}),
        }));
      // Not called: a spent rate limit (wait), an open circuit (later), no adapter (never).
      if (!outcome.called)
        return lineOutcome(undefined, outcome.attempt.error_code !== 'model_unavailable');
      const { error } = outcome;
      const retryable = isRetryableError(error);
      if (!retryable && items.length > 1 && isRequestError(error))
        return this.lineByLine(entry, endpoint, items, sendOn, output, attempts);
      if (retryable && retry < policy.maxRetriesPerModel) {
        const delay = retryDelayMs(error, retry, policy);
        if (delay <= policy.maxInlineWaitMs) {
          await this.sleep(delay);
          continue;
        }
      }
      return lineOutcome(error, retryable);
    }
  }

  /**
   * One provider call, sent to the deployment the model's pick (`chooser`) puts first, a
   * retry to one that has not failed in this run first. A deployment that cannot take the call
   * (its circuit open, its window full, no adapter) is passed over for the next one at once;
   * only the last one asked may wait for its rate limit (one place in one schedule), as chat
   * calls do. Breaker, limiter and attempt record are the deployment's own.
   */
  private async callPicked<Answer>(
    entry: ModelEntry,
    endpoint: BatchedCallReport['endpoint'],
    items: LineItem[],
    sendOn: SendOn<Answer>,
    retry: number,
    gate: CallGate | undefined,
    failed: ReadonlySet<string | undefined>,
  ): Promise<{ outcome: CallOutcome<BatchedCallResult<Answer>>; deployment: ModelDeployment }> {
    const { breaker } = this.options;
    const chooser = this.options.chooser ?? weightedChooser;
    const ranked = await chooser.order(entry);
    const order = [
      ...ranked.filter((deployment) => !failed.has(deployment.id)),
      ...ranked.filter((deployment) => failed.has(deployment.id)),
    ];
    for (let index = 0; ; index += 1) {
      const deployment = order[index] as ModelDeployment;
      const last = index >= order.length - 1;
      const call = this.batchCall(entry, deployment, endpoint, items, sendOn(deployment), retry);
      const outcome = await callModel(call, { breaker, gate, chooser, tryOnly: !last });
      const passedOver = !outcome.ok && !outcome.called && !last;
      // A full deployment passed over was only tried: no call, nothing to report.
      if (!(passedOver && outcome.throttled)) this.report(entry, endpoint, items, outcome);
      if (!passedOver) return { outcome, deployment };
    }
  }

  /** One bad input must not fail the lines it shared the call with: each is sent alone. */
  private async lineByLine<Answer>(
    entry: ModelEntry,
    endpoint: BatchedCallReport['endpoint'],
    items: LineItem[],
    sendOn: SendOn<Answer>,
    output: CallOutput,
    attempts: AttemptRecord[][],
  ): Promise<Array<LineCallOutcome<Answer>>> {
    const alone = await Promise.all(
      items.map((item) => this.runCall(entry, endpoint, [item], sendOn, output)),
    );
    return alone.map((outcomes, index) => {
      const outcome = outcomes[0] as LineCallOutcome<Answer>;
      return { ...outcome, attempts: [...(attempts[index] ?? []), ...outcome.attempts] };
    });
  }

  /** The call as `callModel` makes it: traced, with the lines' ids in its headers. */
  private batchCall<Answer>(
    entry: ModelEntry,
    deployment: ModelDeployment,
    endpoint: BatchedCallReport['endpoint'],
    items: LineItem[],
    send: SendBatch<Answer> | undefined,
    retry: number,
  ): ModelCall<BatchedCallResult<Answer>> {
    const traced = async () => {
      if (!send) throw new Error('unreachable: no model to send to');
      const span = this.startSpan(entry, deployment, endpoint, items);
      try {
        const result = await send(items, {
          'x-llmq-job-id': items[0]?.lineId ?? '',
          'x-llmq-attempt': String(retry + 1),
          'x-llmq-batch-lines': String(items.length),
          ...(span ? traceHeaders(trace.setSpan(ROOT_CONTEXT, span)) : {}),
        });
        span?.setAttributes({
          'gen_ai.usage.input_tokens': result.usage.inputTokens,
          'gen_ai.usage.output_tokens': result.usage.outputTokens,
        });
        span?.end();
        return result;
      } catch (error) {
        endWithError(span, error);
        throw error;
      }
    };
    return {
      entry,
      deployment,
      send: send && traced,
      usageOf: (result) => ({ usage: result.usage, rateLimit: result.rateLimit }),
    };
  }

  /** Each line's answer, with its share of the call's tokens and cost on its attempt record. */
  private shares<Answer>(
    entry: ModelEntry,
    result: BatchedCallResult<Answer>,
    attempt: AttemptRecord,
    attempts: AttemptRecord[][],
  ): Array<LineCallOutcome<Answer>> {
    return result.answers.map(({ answer, usage }, index) => {
      const list = attempts[index] ?? [];
      list.push({
        ...attempt,
        cost_usd: costOfUsage(entry, usage),
        usage: toAttemptUsage(usage),
      });
      return { ok: true as const, answer, attempts: list };
    });
  }

  /** Tells `onCall` of one call (or of a call that could not be made). */
  private report(
    entry: ModelEntry,
    endpoint: BatchedCallReport['endpoint'],
    items: LineItem[],
    outcome: CallOutcome<BatchedCallResult<unknown>>,
  ): void {
    const { attempt } = outcome;
    this.options.onCall?.({
      endpoint,
      entry,
      ...(attempt.deployment !== undefined ? { deployment: attempt.deployment } : {}),
      lines: items.length,
      inputs: items.reduce((sum, item) => sum + item.texts.length, 0),
      latencyMs: attempt.latency_ms,
      inputTokens: outcome.ok ? outcome.answer.usage.inputTokens : 0,
      outputTokens: outcome.ok ? outcome.answer.usage.outputTokens : 0,
      ...(outcome.ok
        ? { outcome: 'success' }
        : outcome.called
          ? { outcome: 'error', errorCode: attempt.error_code ?? 'unknown' }
          : { outcome: 'skipped', errorCode: attempt.error_code }),
    });
  }

  private startSpan(
    entry: ModelEntry,
    deployment: ModelDeployment,
    endpoint: BatchedCallReport['endpoint'],
    items: LineItem[],
  ): Span | undefined {
    const { tracer } = this.options;
    if (!tracer) return undefined;
    const links: Link[] = [];
    for (const item of items) {
      const spanContext = item.context && trace.getSpanContext(item.context);
      if (spanContext) links.push({ context: spanContext });
    }
    return tracer.startSpan(
      `${endpoint} ${deployment.upstream_model}`,
      {
        kind: SpanKind.CLIENT,
        links,
        attributes: {
          'gen_ai.operation.name': endpoint === 'embeddings' ? 'embeddings' : 'text_completion',
          'gen_ai.system': genAiSystem(deployment.provider),
          'gen_ai.request.model': deployment.upstream_model,
          'llmq.provider': deployment.provider,
          'llmq.model': entry.id,
          ...(deployment.id !== undefined ? { 'llmq.deployment': deployment.id } : {}),
          'llmq.batch_lines': items.length,
          'llmq.batch_inputs': items.reduce((sum, item) => sum + item.texts.length, 0),
        },
      },
      ROOT_CONTEXT,
    );
  }
}

/** Marks a call's span failed with the error's code (and HTTP status), and ends it. */
function endWithError(span: Span | undefined, error: unknown): void {
  if (!span) return;
  const providerError = isProviderError(error) ? error : undefined;
  const errorType = providerError?.code ?? (error instanceof Error ? error.name : 'unknown');
  span.setAttribute('error.type', errorType);
  if (providerError?.statusCode !== undefined)
    span.setAttribute('http.response.status_code', providerError.statusCode);
  span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
  span.end();
}

function textLength(item: LineItem): number {
  return item.texts.reduce((sum, text) => sum + text.length, 0);
}

/** An error about the request itself (400, 422): another line of the same call may be fine. */
function isRequestError(error: unknown): boolean {
  return isProviderError(error) && (error.code === 'bad_request' || error.code === 'unprocessable');
}
