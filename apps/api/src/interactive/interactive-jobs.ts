import {
  type BudgetStore,
  type ChatRequest,
  ClientError,
  chatRequestSchema,
  type FilterPolicyStore,
  failureClientCode,
  isCacheable,
  isClientError,
  isFinalStatus,
  type JobEndWatcher,
  type JobEvent,
  type JobEventReader,
  type JobRequest,
  type JobResult,
  type JobStore,
  type JobSubmitter,
  type JobTake,
  jobLinks,
  type ModelCatalog,
  normalizeJobRequest,
  type RedisKeys,
  requestJobStop,
  type SubmitOptions,
  type SubmitOutcome,
  screenJobRequest,
  type TakenJob,
} from '@llmq/core';
import type { Queue } from 'bullmq';
import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { EndpointJobs } from './endpoint-jobs';
import type { ResponseCache } from './response-cache';

export interface InteractiveJobsOptions {
  submitter: JobSubmitter;
  store: JobStore;
  reader: JobEventReader;
  /**
   * Announces the end of the non-streamed jobs this process submits, so a sync request waits
   * for one message instead of following the job's whole stream; absent, it follows the stream.
   */
  ends?: JobEndWatcher;
  redis: Redis;
  keys: RedisKeys;
  /** The interactive lane's queue (a cancelled job's entry is removed from it). */
  interactiveQueue: Queue;
  catalog: ModelCatalog;
  /** How long a sync or streamed request waits for its job, ms (env `SYNC_WAIT_TIMEOUT_MS`). */
  waitTimeoutMs: number;
  /** Whether a client that disconnects cancels its job (env `CANCEL_ON_DISCONNECT`). */
  cancelOnDisconnect: boolean;
  /** The exact cache, once it exists (issue 5). */
  cache?: ResponseCache;
  /** Per-tenant input filter policies: these endpoints are filtered like `POST /v1/jobs`. */
  filterPolicies?: FilterPolicyStore;
  /** Tenants' budgets, reserved by sync embeddings and completions requests (chat reserves in `submitter`). */
  budgets?: BudgetStore;
  /** How often a streamed answer sends a keep-alive while it waits, ms (env `STREAM_KEEPALIVE_MS`, default 15000). */
  keepAliveMs?: number;
  /** Throws when the routed model cannot take a streamed request (see `streamedRequestCheck`). */
  checkStreamedRequest?: (model: string, request: ChatRequest) => void;
  /**
   * Runs non-streamed sync prompt jobs in this process while the lane has nothing waiting
   * (env `INLINE_CONCURRENCY`, see `InlineRunner`); absent, every job goes to the workers.
   */
  inline?: InlineRuns;
}

/** What {@link InteractiveJobs} asks of the runner of sync jobs in this process (`InlineRunner`). */
export interface InlineRuns {
  /** A take for a new job's accept while a slot is free; undefined when none is. */
  claim(): JobTake | undefined;
  /** Gives back the slot of a take the accept did not use. */
  release(): void;
  /** Runs a job the accept took, in the background; its end is announced as a worker's. */
  run(jobId: string, taken: TakenJob): void;
}

/** What a sync or streamed request's job carries besides its body (see `SubmitOptions`). */
export type InteractiveContext = Pick<
  SubmitOptions,
  | 'idempotencyKey'
  | 'idempotencyScope'
  | 'requestId'
  | 'trace'
  | 'apiKey'
  | 'surface'
  | 'stoppable'
  | 'companion'
> & {
  /** `standard` for a job that outlives its request (a background response); default `interactive`. */
  lane?: SubmitOptions['lane'];
  /**
   * Always queue a job, never answer from the cache here: for answers that must be jobs (a
   * stored response is read back by its job id). The worker still answers a hit from the cache.
   */
  alwaysQueue?: boolean;
};

/**
 * How a sync or streamed request starts: answered from the cache, or a job in the queue.
 * `model` is the routed catalog model (for `auto` too); a fallback may answer with another.
 */
export type InteractiveStart = (
  | { kind: 'cached'; result: JobResult; model: string; provider: string }
  | {
      kind: 'queued';
      jobId: string;
      /** False when a replayed `Idempotency-Key` answered with the job it made before. */
      created: boolean;
      model: string;
      provider: string;
      /** The job's end is announced to this process (see `waitForResult`). */
      announced: boolean;
    }
) & {
  /** The prompt's estimated input tokens (what Anthropic's `message_start` reports). */
  inputTokens: number;
};

/**
 * Runs sync and streamed requests through the interactive lane: submit a job, follow its
 * event stream (written by whichever worker runs it) until it ends, within a deadline.
 */
export class InteractiveJobs {
  /** Sync embeddings and completions requests, queued in the same lane. */
  readonly endpoints: EndpointJobs;

  constructor(private readonly options: InteractiveJobsOptions) {
    this.endpoints = new EndpointJobs(options);
  }

  /** The keep-alive interval of streamed answers, ms. */
  get keepAliveMs(): number {
    return this.options.keepAliveMs ?? 15_000;
  }

  /**
   * Answers from the cache when it can, else submits the job to the interactive lane. The
   * request is filtered, converted and routed once: the route's model keys the exact cache
   * (so `auto` hits as an explicit model does) and the same prepared request is queued.
   */
  async start(
    tenant: string,
    jobRequest: JobRequest,
    stream: boolean,
    { alwaysQueue = false, ...context }: InteractiveContext = {},
    /** The conversation in the neutral model when a dialect route read it; else read from `jobRequest`. */
    dialectConversation?: ChatRequest,
  ): Promise<InteractiveStart> {
    const conversation =
      dialectConversation === undefined
        ? normalizeJobRequest(jobRequest)
        : checkedConversation(dialectConversation);
    const { request, chat, findings } = this.options.filterPolicies
      ? screenJobRequest(
          jobRequest,
          await this.options.filterPolicies.policyFor(tenant),
          conversation,
        )
      : { request: jobRequest, chat: conversation, findings: undefined };
    const prepared = prepareForDialect(() => this.options.submitter.prepare(request, chat));
    const routed = prepared.decision.model;
    const inputTokens = prepared.decision.input_tokens;
    const provider = this.options.catalog.resolve(routed)?.provider ?? '';
    const mode = request.cache ?? 'auto';
    if (
      !alwaysQueue &&
      this.options.cache &&
      mode !== 'refresh' &&
      isCacheable(prepared.request, mode)
    ) {
      const result = await this.options.cache.lookup({
        tenant,
        model: routed,
        request: prepared.request,
        ...(request.cache_options ? { options: request.cache_options } : {}),
      });
      if (result)
        return { kind: 'cached', result, model: routed, provider: result.provider, inputTokens };
    }
    if (stream) this.options.checkStreamedRequest?.(routed, prepared.request);
    // A streamed answer follows every event anyway; a non-streamed one waits for the end only
    // (a background response, in the standard lane, is not waited for here).
    const endsChannel =
      stream || context.lane === 'standard' ? undefined : this.options.ends?.channel;
    // A job waited for here by its end alone may run in this process, when the accept finds
    // the lane with nothing waiting: the accept takes it (see `InlineRunner`). Streamed jobs
    // stay with the workers.
    const inline = endsChannel !== undefined ? this.options.inline : undefined;
    const take = inline?.claim();
    let outcome: SubmitOutcome;
    try {
      outcome = await this.options.submitter.submit({
        tenant,
        request,
        prepared,
        conversation,
        lane: 'interactive',
        stream,
        ...context,
        ...(findings ? { inputFindings: findings } : {}),
        ...(endsChannel ? { endsChannel } : {}),
        ...(take ? { take } : {}),
      });
    } catch (error) {
      if (take) inline?.release();
      throw error;
    }
    if (take) {
      if (outcome.created && outcome.taken) inline?.run(outcome.jobId, outcome.taken);
      else inline?.release();
    }
    return {
      kind: 'queued',
      jobId: outcome.jobId,
      created: outcome.created,
      model: routed,
      provider,
      inputTokens,
      // A replayed Idempotency-Key's job was submitted earlier, maybe by another process.
      announced: endsChannel !== undefined && outcome.created,
    };
  }

  /**
   * Yields the job's events until its final status. A client that disconnects ends the
   * iteration quietly and, unless it opted out, cancels the job (a queued job at once, an
   * active one by asking its worker to stop). Past the wait timeout it throws
   * `504 job_wait_timeout` carrying the job id; the job keeps running and can be polled.
   */
  async *follow(jobId: string, request: Request, response: Response): AsyncGenerator<JobEvent> {
    // The stream's blocking read takes an `AbortSignal`; the announced wait does not need one.
    const controller = new AbortController();
    const wait = this.openWait(response, (reason) => controller.abort(reason));
    try {
      for await (const event of this.options.reader.events(jobId, '0', controller.signal))
        yield event;
    } catch {
      await this.waitEnded(jobId, request, response, wait);
    } finally {
      wait.close();
    }
  }

  /**
   * The job's final status event, announced to this process (see `JobEndWatcher`), with the
   * same deadline, disconnect and Redis failures as {@link follow}; undefined when the client
   * left first.
   */
  private async finalEvent(
    jobId: string,
    request: Request,
    response: Response,
    ends: JobEndWatcher,
  ): Promise<JobEvent | undefined> {
    const pending = ends.wait(jobId);
    const wait = this.openWait(response, (reason) => pending.cancel(reason));
    try {
      return await pending.event;
    } catch {
      await this.waitEnded(jobId, request, response, wait);
      return undefined;
    } finally {
      wait.close();
    }
  }

  /**
   * A wait for a job: ended by the client's disconnect or the wait timeout, which call `abort`
   * once with the reason. One timer, cleared when the wait ends. `AbortSignal.timeout` and
   * `AbortSignal.any` cost about four times as much per wait: the timeout's timer stays armed
   * until the garbage collector takes its signal, and `any` links the signals through weak
   * references and a finalization registry. The announced wait takes no `AbortController` at
   * all (~5 µs per request on Node 20; docs/performance.md, session 15).
   */
  private openWait(response: Response, abort: (reason: Error) => void): JobWait {
    const wait: JobWait = {
      ended: undefined,
      close: () => {
        clearTimeout(timer);
        response.off('close', onClose);
      },
    };
    const end = (why: 'disconnect' | 'timeout', reason: Error) => {
      if (wait.ended) return;
      wait.ended = why;
      abort(reason);
    };
    const onClose = () => {
      if (!response.writableFinished) end('disconnect', new Error('client disconnected'));
    };
    response.on('close', onClose);
    const timer = setTimeout(
      () => end('timeout', new Error('the wait for the job timed out')),
      this.options.waitTimeoutMs,
    );
    // As `AbortSignal.timeout`'s: a pending wait does not keep the process alive.
    timer.unref();
    return wait;
  }

  /**
   * Why a wait ended without the job's end: a client that left (its job cancelled unless it
   * opted out) returns; a timeout or a Redis failure throws the matching API error.
   */
  private async waitEnded(
    jobId: string,
    request: Request,
    response: Response,
    wait: JobWait,
  ): Promise<void> {
    if (wait.ended === 'disconnect') {
      if (this.cancelsOnDisconnect(request)) await this.abandon(jobId, tenantOf(response));
      return;
    }
    if (wait.ended === 'timeout') {
      throw new ClientError(
        'job_wait_timeout',
        `the job did not finish within ${this.options.waitTimeoutMs} ms; it keeps running: poll ${jobLinks(jobId).self}`,
        { job_id: jobId, links: jobLinks(jobId) },
        // The official SDKs would otherwise retry a 504 and queue the same prompt again.
        { 'x-should-retry': 'false' },
      );
    }
    // Redis went away or the server is stopping: the job itself is safe, so say where it is.
    throw new ClientError(
      'redis_unavailable',
      `the job's events could not be read; poll ${jobLinks(jobId).self}`,
      { job_id: jobId, links: jobLinks(jobId) },
      { 'Retry-After': '1', 'x-should-retry': 'false' },
    );
  }

  /** Cancels a job whose client left: in the store while queued, via its worker while active. */
  async abandon(jobId: string, tenant: string): Promise<void> {
    const cancel = await this.options.store.cancel(jobId, tenant);
    if (cancel.outcome === 'cancelled') {
      await this.options.interactiveQueue.remove(jobId).catch(() => 0);
    } else if (cancel.outcome === 'not_cancellable' && cancel.status === 'active') {
      await requestJobStop(this.options.redis, this.options.keys, jobId);
    }
  }

  /**
   * Follows a job to its end and returns its result, with the llmq facts only known then
   * (routed model, provider, cost) set as headers; undefined when the client left first.
   * A failed or cancelled job throws the matching API error. `announced`: the job's end is
   * announced to this process (`InteractiveStart`), so only its final event is read.
   */
  async waitForResult(
    jobId: string,
    request: Request,
    response: Response,
    announced = false,
  ): Promise<JobResult | undefined> {
    const ends = announced ? this.options.ends : undefined;
    if (ends) {
      const event = await this.finalEvent(jobId, request, response, ends);
      return event && this.resultOf(jobId, event, response);
    }
    for await (const event of this.follow(jobId, request, response)) {
      if (event.name !== 'status' || !isFinalStatus(event.data.status)) continue;
      return this.resultOf(jobId, event, response);
    }
    return undefined;
  }

  /** A final status event's result, its facts set as headers; throws for a job without one. */
  private resultOf(jobId: string, event: JobEvent, response: Response): JobResult | undefined {
    const result = event.name === 'status' ? event.data.result : undefined;
    if (event.name !== 'status' || event.data.status !== 'completed' || !result)
      throw jobEndError(jobId, event);
    // Answered already (nothing else answers these routes now): never answer twice.
    if (response.headersSent) return undefined;
    response.setHeader('x-llmq-provider', result.provider);
    response.setHeader('x-llmq-model', result.model);
    if (result.cost_usd !== undefined)
      response.setHeader('x-llmq-cost-usd', String(result.cost_usd));
    return result;
  }

  /** The `x-llmq-cancel-on-disconnect: true|false` header, else the configured default. */
  private cancelsOnDisconnect(request: Request): boolean {
    const header = request.headers['x-llmq-cancel-on-disconnect'];
    if (header === 'false') return false;
    if (header === 'true') return true;
    // A client that sent an Idempotency-Key means to retry: its retry reattaches to the job.
    if (request.headers['idempotency-key'] !== undefined) return false;
    return this.options.cancelOnDisconnect;
  }
}

/** A client's wait for its job: why it ended, and how to let it go. */
interface JobWait {
  /** What ended the wait (the client's disconnect or the timeout); undefined while it runs. */
  ended: 'disconnect' | 'timeout' | undefined;
  /** Clears the timer and stops listening for the disconnect. */
  close(): void;
}

/**
 * The llmq facts known when an answer starts, as response headers. A non-streamed answer adds
 * the routed model and `x-llmq-cost-usd` once its result is in; a stream's headers are sent first.
 */
export function setLlmqHeaders(
  response: Response,
  facts: { jobId?: string; model: string; provider: string },
  cached: boolean,
): void {
  if (facts.jobId) response.setHeader('x-llmq-job-id', facts.jobId);
  response.setHeader('x-llmq-model', facts.model);
  if (facts.provider) response.setHeader('x-llmq-provider', facts.provider);
  response.setHeader('x-llmq-cached', String(cached));
}

/**
 * The error for a job that ended without a result (failed or cancelled): a failure with the
 * code @llmq/core `failureClientCode` gives it (which batch lines answer with too).
 */
export function jobEndError(jobId: string, event: JobEvent): ClientError {
  const data = event.name === 'status' ? event.data : undefined;
  if (data?.status === 'cancelled') {
    // The official SDKs retry a 409 (a lock timeout to them): this one must not queue it again.
    return new ClientError(
      'job_cancelled',
      'the job was cancelled',
      { job_id: jobId },
      { 'x-should-retry': 'false' },
    );
  }
  const failure = data?.error;
  return new ClientError(
    failureClientCode(failure),
    failure?.message ?? 'the job failed',
    { job_id: jobId, failure },
    { 'x-should-retry': 'false' },
  );
}

export function tenantOf(response: Response): string {
  return response.locals.tenant as string;
}

/**
 * A dialect's request in the neutral model, held to the neutral model's own rules (a message or
 * tool name's pattern, the lengths of ids, names and keys). The dialects' schemas check their
 * wire shape, not every rule the worker parses the job with; a request breaking one is the
 * client's 400 (a ZodError, naming the field) here, not a job the worker fails as invalid.
 */
function checkedConversation(conversation: ChatRequest): ChatRequest {
  const checked = chatRequestSchema.safeParse(conversation);
  if (!checked.success) throw checked.error;
  return conversation;
}

/**
 * Prepares a compatible endpoint's request: an unknown model is a 404 `model_not_found` there,
 * as both providers answer it (their SDKs raise `NotFoundError`), not llmq's 400.
 */
function prepareForDialect<T>(prepare: () => T): T {
  try {
    return prepare();
  } catch (error) {
    if (isClientError(error) && error.code === 'unknown_model')
      throw new ClientError('model_not_found', error.message, error.details);
    throw error;
  }
}
