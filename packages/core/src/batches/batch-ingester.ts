import type { Queue } from 'bullmq';
import type { ModelCatalog } from '../catalog/model-catalog';
import type { BudgetStore } from '../cost/budget-store';
import { lineCostNanoUsd } from '../cost/estimate-job-cost';
import { fromNanoUsd } from '../cost/money';
import type { FileStorage } from '../files/file-storage';
import { jobCatalog } from '../jobs/job-catalog';
import type { FairPriority } from '../lanes/fair-priority';
import type { BatchTurnarounds } from '../provider-batches/batch-turnarounds';
import { planProviderBatches, type WaitingLine } from '../provider-batches/plan-provider-batches';
import type { ProviderBatchStore } from '../provider-batches/provider-batch-store';
import { chooseLineTier } from '../tiers/choose-line-tier';
import type { BatchLineJobData, EndpointLineJobData } from './batch-jobs';
import type { BatchLimits } from './batch-limits';
import type { BatchRecord, BatchValidationError } from './batch-record';
import type { BatchStore } from './batch-store';
import { endpointLineCostNanoUsd } from './endpoint-line-cost';
import { parseBatchLine, readValidatedBatchLine } from './parse-batch-line';
import { queueFinalize } from './queue-finalize';
import { readJsonlLines } from './read-jsonl-lines';

export interface BatchIngesterOptions {
  store: BatchStore;
  files: FileStorage;
  /** The `prompts-bulk` queue. */
  lineQueue: Queue;
  /** The `batch-control` queue, for finalising a batch cancelled while it validated. */
  controlQueue: Queue;
  catalog: ModelCatalog;
  defaultModel: string;
  /** Attempts per line (env `JOB_ATTEMPTS`). */
  attempts: number;
  limits: BatchLimits;
  /** Lines per `addBulk` call (default 1000). */
  chunkSize?: number;
  /** Errors kept in a failed batch's `errors` (default 1000); the rest are counted. */
  maxReportedErrors?: number;
  /**
   * Tenant-fair priorities for the bulk lane (one Lua call per chunk); absent: lines are
   * queued FIFO without a priority.
   */
  fair?: FairPriority;
  /**
   * Tenants' budgets: a valid batch reserves the worst-case cost of all its lines before any
   * is queued, or fails validation with `budget_exceeded`. Each line's end frees its share.
   */
  budgets?: BudgetStore;
  /** How long a batch's reservation may live, seconds (default 48 h: the completion window and retries). */
  batchReservationTtlSeconds?: number;
  /**
   * Provider batches: lines whose tier is `batch` are put in provider batches here instead of
   * the bulk lane, for the accounts in `providers` (those with a batch API). Absent: no line
   * takes the batch tier.
   */
  providerBatches?: {
    store: ProviderBatchStore;
    providers: ReadonlySet<string>;
    /** Measured turnarounds, preferred to the catalog's when choosing the batch tier. */
    turnarounds?: BatchTurnarounds;
  };
}

/** Batch lines carry no priority of their own: they run at the default, 5. */
const batchLinePriority = 5;

export type IngestOutcome = 'enqueued' | 'invalid' | 'cancelled' | 'skipped';

/**
 * Why an ingest gave up: every attempt failed, an error retrying cannot fix, its workers
 * stopped too many times (the job stalled out), or its job ended without failing the batch
 * (`lost`: failing it errored, or the job is gone; found by the batch end sweeper).
 */
export type IngestFailureCause =
  | { kind: 'attempts'; attempts: number }
  | { kind: 'unrecoverable' }
  | { kind: 'stalled' }
  | { kind: 'lost' };

/**
 * The error a batch whose ingest gave up reports (`errors.data[]`): a fixed sentence per
 * cause, so no storage or Redis message (which may name hosts, keys or input text) reaches
 * the client; the worker logs the error itself.
 */
export function ingestFailedError(cause: IngestFailureCause): BatchValidationError {
  return { code: 'ingest_failed', message: ingestFailedMessage(cause), param: null, line: null };
}

function ingestFailedMessage(cause: IngestFailureCause): string {
  switch (cause.kind) {
    case 'attempts':
      return `the batch's input could not be ingested: all ${cause.attempts} attempts failed on an internal error`;
    case 'unrecoverable':
      return "the batch's input could not be ingested: it failed on an internal error that retrying cannot fix";
    case 'stalled':
      return "the batch's input could not be ingested: the workers ingesting it stopped too many times";
    case 'lost':
      return "the batch's input could not be ingested: its ingest stopped before it finished";
    default: {
      const unreachable: never = cause;
      return unreachable;
    }
  }
}

/**
 * Validates a batch's input file, then queues its lines: two streaming passes over the
 * stored file, so an invalid file fails the batch without anything being queued and no
 * more than one chunk of lines is ever in memory (plus the set of custom_ids).
 */
export class BatchIngester {
  constructor(private readonly options: BatchIngesterOptions) {}

  async ingest(batchId: string): Promise<IngestOutcome> {
    const { store } = this.options;
    const batch = await store.get(batchId);
    if (!batch || batch.linesEnqueued) return 'skipped';
    if (!['validating', 'in_progress', 'cancelling'].includes(batch.status)) return 'skipped';

    // Pricing every line costs a token count per line: only done when a hard budget applies.
    const budgeted = (await this.options.budgets?.hasHardLimit(batch.tenant)) ?? false;
    const { total, errors, estimate } = await this.validate(
      batch.inputFileId,
      batch.endpoint,
      budgeted,
    );
    if (errors.length > 0) {
      await store.failValidation(batchId, errors, total);
      return 'invalid';
    }
    if (this.options.budgets && budgeted && estimate > 0) {
      const reserved = await this.options.budgets.reserve(
        batch.tenant,
        batchId,
        estimate,
        Date.now(),
        this.options.batchReservationTtlSeconds ?? 48 * 3600,
      );
      if (!reserved.ok) {
        const message = `the batch (estimated at most $${fromNanoUsd(estimate)}) would exceed the tenant's ${reserved.period} budget`;
        await store.failValidation(
          batchId,
          [{ code: 'budget_exceeded', message, param: null, line: null }],
          total,
        );
        return 'invalid';
      }
    }
    const previous = await store.begin(batchId, total);
    if (previous !== 'validating' && previous !== 'in_progress' && previous !== 'cancelling') {
      // It expired or failed while this ran: nothing is queued, the reservation goes back.
      await this.options.budgets?.release(batch.tenant, batchId);
      return 'skipped';
    }
    if (previous === 'cancelling') {
      // Cancelled before its lines were all queued: none is queued now, finalise at once. A
      // second ingest (a retry after a crash) queues the finalisation again (same job id) but
      // never the lines, whoever claimed it: lines queued after the claim would not be counted.
      await store.claimFinalize(batchId);
      await queueFinalize(this.options.controlQueue, batchId);
      return 'cancelled';
    }
    await this.enqueue(batch);
    await store.markEnqueued(batchId);
    return 'enqueued';
  }

  /**
   * The ingest gave up (its job's last attempt failed, or it stalled out): the batch fails with
   * `ingest_failed` and a fixed message naming `cause` (never the error as thrown: that goes to
   * the log), unless it moved on meanwhile (its lines all queued, finalising, ended), and its
   * budget reservation goes back. A batch being cancelled ends `cancelled` instead, with the
   * same error. A batch that had begun queuing its lines is finalised (see
   * `BatchStore.failIngest`): it ends with the answers its lines gave before, the others listed
   * as `batch_failed` (`batch_cancelled` after a cancel). Its expiry job is dropped. Returns
   * what failing it did.
   */
  async fail(batchId: string, cause: IngestFailureCause, now = Date.now()) {
    const { store, budgets, controlQueue } = this.options;
    const failure = await store.failIngest(batchId, [ingestFailedError(cause)], now);
    if (failure.outcome === 'ended') return failure;
    const batch = await store.get(batchId);
    if (batch) await budgets?.release(batch.tenant, batchId);
    // Its deadline no longer matters: the batch ends now.
    await controlQueue.remove(`expire-${batchId}`).catch(() => 0);
    if (failure.outcome === 'finalize') await queueFinalize(controlQueue, batchId);
    return failure;
  }

  private async validate(
    fileId: string,
    endpoint: Parameters<typeof parseBatchLine>[1]['endpoint'],
    priced: boolean,
  ) {
    const { files, catalog, defaultModel, limits } = this.options;
    const maxReported = this.options.maxReportedErrors ?? 1000;
    const errors: BatchValidationError[] = [];
    let errorCount = 0;
    let total = 0;
    let estimate = 0;
    const context = { endpoint, catalog, defaultModel, seenCustomIds: new Set<string>() };
    for await (const { number, text } of readJsonlLines(files.read(fileId))) {
      total += 1;
      if (total > limits.maxLines) {
        errors.push({
          code: 'too_many_lines',
          message: `the file has more than ${limits.maxLines} requests`,
          param: null,
          line: number,
        });
        return { total, errors, estimate };
      }
      const result = parseBatchLine(text, context);
      if (result.ok) {
        if (priced) {
          const { line } = result;
          estimate +=
            'request' in line
              ? lineCostNanoUsd(catalog, line)
              : endpointLineCostNanoUsd(catalog, line.model, line);
        }
        continue;
      }
      errorCount += 1;
      if (errors.length < maxReported)
        errors.push({
          code: result.code,
          message: result.message,
          param: result.param,
          line: number,
        });
    }
    if (total === 0)
      errors.push({
        code: 'empty_file',
        message: 'the file holds no requests',
        param: null,
        line: null,
      });
    if (errorCount > errors.length) {
      errors.push({
        code: 'too_many_errors',
        message: `${errorCount - maxReported} more lines are invalid`,
        param: null,
        line: null,
      });
    }
    return { total, errors, estimate };
  }

  private async enqueue(batch: BatchRecord): Promise<void> {
    const { id: batchId, tenant, inputFileId: fileId, endpoint } = batch;
    const { files, catalog, defaultModel, lineQueue, attempts, fair } = this.options;
    const chunkSize = this.options.chunkSize ?? 1000;
    const context = { catalog, defaultModel, endpoint };
    const lineOptions = { ...jobCatalog['batch-line'].defaultOptions, attempts };
    const createdAt = Date.now();
    let chunk: Array<{
      name: string;
      data: BatchLineJobData | EndpointLineJobData;
      opts: typeof lineOptions & { jobId: string; priority?: number };
    }> = [];
    // One addBulk in flight while the next chunk is parsed: Redis I/O overlaps the parsing.
    let inflight: Promise<unknown> = Promise.resolve();
    const send = async (jobs: typeof chunk) => {
      await inflight;
      if (fair) {
        // Tagged after the previous chunk landed, so the lane is not seen empty in between.
        const priorities = await fair.assign(lineQueue, tenant, batchLinePriority, jobs.length);
        jobs.forEach((job, position) => {
          job.opts.priority = priorities[position];
        });
      }
      inflight = lineQueue.addBulk(jobs);
      // Handled when awaited next; this only keeps Node from reporting it as unhandled meanwhile.
      inflight.catch(() => undefined);
    };
    const providerBatches = this.options.providerBatches;
    const tierOptions = {
      batchProviders: providerBatches?.providers,
      measuredTurnaround: await providerBatches?.turnarounds?.snapshot(),
    };
    const waiting: Array<WaitingLine & { data: BatchLineJobData }> = [];
    let index = 0;
    for await (const { text } of readJsonlLines(files.read(fileId))) {
      // Validation passed on the same bytes: read the line without checking it again.
      const line = readValidatedBatchLine(text, context);
      // A batch that asked for tier choice: each chat line gets the cheapest tier meeting it.
      if ('request' in line) {
        const tier = chooseLineTier(catalog, line, batch, createdAt, tierOptions);
        const entry = tier.serviceTier === 'batch' ? catalog.resolve(line.model) : undefined;
        if (entry) {
          // Waits for its provider batch, planned once every line is read.
          const data = { batchId, tenant, index, createdAt, ...line, ...tier };
          waiting.push({ customId: String(index), entry, data });
          index += 1;
          continue;
        }
      }
      const tier = 'request' in line ? chooseLineTier(catalog, line, batch, createdAt) : {};
      chunk.push({
        name: 'batch-line',
        data: { batchId, tenant, index, createdAt, ...line, ...tier },
        // A deterministic job id: a retried ingest does not queue a line twice.
        opts: { ...lineOptions, jobId: `${batchId}-${index}` },
      });
      index += 1;
      if (chunk.length >= chunkSize) {
        await send(chunk);
        chunk = [];
      }
    }
    if (chunk.length > 0) await send(chunk);
    await inflight;
    if (waiting.length > 0) await this.planProviderBatches(batch, waiting, createdAt);
  }

  /**
   * Groups the lines that take the batch tier into provider batches (by account and model,
   * within the model's `max_lines`), records each with its lines, and queues its submit. The
   * ids are deterministic, so a retried ingest records and queues the same ones.
   */
  private async planProviderBatches(
    batch: BatchRecord,
    waiting: ReadonlyArray<WaitingLine & { data: BatchLineJobData }>,
    createdAt: number,
  ): Promise<void> {
    const providerBatches = this.options.providerBatches;
    if (!providerBatches) return;
    const byIndex = new Map(waiting.map((line) => [line.customId, line]));
    const planned = planProviderBatches(waiting);
    for (const [position, plan] of planned.entries()) {
      const lines = plan.customIds.flatMap((customId) => byIndex.get(customId) ?? []);
      const first = lines[0];
      if (!first) continue;
      const id = `${batch.id}-pb${position}`;
      await providerBatches.store.create(
        {
          id,
          batchId: batch.id,
          tenant: batch.tenant,
          provider: plan.provider,
          model: first.entry.id,
          upstreamModel: plan.upstreamModel,
          completeBy: lines.reduce(
            (earliest, line) => Math.min(earliest, line.data.completeBy ?? batch.expiresAt),
            batch.expiresAt,
          ),
          createdAt,
        },
        lines.map((line) => line.data),
      );
      await this.options.controlQueue.add(
        'provider-batch-submit',
        { providerBatchId: id, poll: 0 },
        { ...jobCatalog['provider-batch-submit'].defaultOptions, jobId: `pbsubmit-${id}` },
      );
    }
  }
}
