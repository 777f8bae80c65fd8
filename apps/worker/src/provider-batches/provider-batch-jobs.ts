import {
  type BatchLineJobData,
  type BatchStore,
  type BatchTurnarounds,
  batchLineJobDataSchema,
  type FilterPolicyStore,
  jobCatalog,
  type Logger,
  type ModelCatalog,
  modelTraitsOf,
  type ProviderBatchClient,
  type ProviderBatchRecord,
  type ProviderBatchRequest,
  type ProviderBatchStore,
  providerBatchWillMissDeadline,
} from '@llmq/core';
import type { Queue } from 'bullmq';
import { filterLineInput } from '../batches/line-input-filter';
import type { ProviderLineSettler, SettledLine } from './settle-provider-line';

export interface ProviderBatchJobsOptions {
  store: ProviderBatchStore;
  batches: BatchStore;
  /** Batch clients by provider account id. */
  clients: ReadonlyMap<string, ProviderBatchClient>;
  settler: ProviderLineSettler;
  catalog: ModelCatalog;
  /** The `batch-control` queue, where the polls are queued. */
  controlQueue: Queue;
  /** Time between two polls of a provider batch, ms (env `PROVIDER_BATCH_POLL_MS`). */
  pollIntervalMs: number;
  filterPolicies?: FilterPolicyStore;
  /** Measured turnarounds: each provider batch that ends uncancelled adds one. */
  turnarounds?: BatchTurnarounds;
  logger: Logger;
}

const parseLine = (value: unknown) => batchLineJobDataSchema.parse(value);

/** Lines settled at once while a provider batch's results are mapped back. */
const settleConcurrency = 64;

/**
 * Submits provider batches and polls them, one control job at a time, from their records in
 * Redis: a worker that dies mid-way leaves the job to another, which resumes from the record.
 * Mapping results back goes through the batch's done bitmap, so a re-run maps nothing twice.
 */
export class ProviderBatchJobs {
  constructor(private readonly options: ProviderBatchJobsOptions) {}

  /** Submits the provider batch; its lines blocked by the input filter fail at once. */
  async submit(id: string): Promise<void> {
    const { store, logger } = this.options;
    const record = await store.get(id);
    if (!record) return;
    if (record.status === 'submitted') return this.queuePoll(id, 1);
    if (record.status !== 'pending') return;
    const client = this.options.clients.get(record.provider);
    // No batch API for the account, or the llmq batch stopped: the lines end without one.
    if (!client || (await this.options.batches.stopReason(record.batchId)))
      return this.runLinesInLlmq(record);
    const lines = await store.lines(id, parseLine);
    const policy = await this.options.filterPolicies?.policyFor(record.tenant);
    const requests: ProviderBatchRequest[] = [];
    for (const data of lines) {
      const request = policy ? filterLineInput(data.request, policy) : data.request;
      if ('failure' in request) await this.options.settler.failed(data, request.failure);
      else requests.push({ customId: String(data.index), request });
    }
    if (requests.length === 0) {
      await store.markEnded(id);
      return;
    }
    // A provider batch holds one upstream model; its lines' catalog entry says what it takes.
    const entry = lines[0] && this.options.catalog.resolve(lines[0].model);
    const providerBatchId = await client.submit(
      record.upstreamModel,
      requests,
      entry && modelTraitsOf(entry),
    );
    await store.markSubmitted(id, providerBatchId);
    logger.info('provider-batch-submit', {
      event: 'provider-batch-submit',
      batch_id: record.batchId,
      provider_batch: id,
      provider: record.provider,
      provider_batch_id: providerBatchId,
      lines: requests.length,
    });
    await this.queuePoll(id, 1);
  }

  /**
   * A submit that failed for good: llmq runs every line itself (those recorded already, such
   * as input-filtered ones, stay as they are).
   */
  async runInstead(id: string): Promise<void> {
    const record = await this.options.store.get(id);
    if (record?.status !== 'pending') return;
    await this.runLinesInLlmq(record);
  }

  private async runLinesInLlmq(record: ProviderBatchRecord): Promise<void> {
    const id = record.id;
    const lines = await this.options.store.lines(id, parseLine);
    const stopReason = await this.options.batches.stopReason(record.batchId);
    await this.settleAll(lines, (data) => this.options.settler.unanswered(data, stopReason));
    await this.options.store.markEnded(id);
  }

  /**
   * One poll: a running provider batch is cancelled when its llmq batch stopped or when it
   * will miss its deadline, and polled again later; an ended one has every result mapped back
   * to its line, and its lines without a result run in llmq.
   */
  async poll(id: string, poll: number): Promise<void> {
    const { store, logger } = this.options;
    const record = await store.get(id);
    if (record?.status !== 'submitted' || !record.providerBatchId) return;
    const client = this.options.clients.get(record.provider);
    // The account lost its batch API (configuration changed): llmq runs the lines itself.
    if (!client) return this.runLinesInLlmq(record);
    const state = await client.state(record.providerBatchId);
    if (!state.ended) {
      await this.cancelIfNeeded(client, record);
      return this.queuePoll(id, poll + 1);
    }
    const lines = await store.lines(id, parseLine);
    const byIndex = new Map(lines.map((data) => [String(data.index), data]));
    const stopReason = await this.options.batches.stopReason(record.batchId);
    const counts: Record<SettledLine, number> = { recorded: 0, duplicate: 0, rerun: 0 };
    let pending: Promise<void>[] = [];
    for await (const result of client.results(record.providerBatchId)) {
      const data = byIndex.get(result.customId);
      if (!data) continue;
      byIndex.delete(result.customId);
      pending.push(
        this.options.settler.settle(record, data, result, stopReason).then((outcome) => {
          counts[outcome] += 1;
        }),
      );
      if (pending.length >= settleConcurrency) {
        await Promise.all(pending);
        pending = [];
      }
    }
    await Promise.all(pending);
    // Lines the provider gave no result for (and input-filtered ones, already recorded: a
    // second record is a no-op) run in llmq.
    await this.settleAll([...byIndex.values()], async (data) => {
      counts[await this.options.settler.unanswered(data, stopReason)] += 1;
      return 'rerun';
    });
    await store.markEnded(id);
    const turnaroundMs = Date.now() - (record.submittedAt ?? record.createdAt);
    // A cancelled batch says nothing of how long the provider takes.
    if (!record.cancelReason)
      await this.options.turnarounds?.record(record.provider, record.upstreamModel, turnaroundMs);
    logger.info('provider-batch-end', {
      event: 'provider-batch-end',
      batch_id: record.batchId,
      provider_batch: id,
      provider: record.provider,
      ...(record.cancelReason ? { cancel_reason: record.cancelReason } : {}),
      answered: counts.recorded,
      duplicates: counts.duplicate,
      run_by_llmq: counts.rerun,
      turnaround_ms: turnaroundMs,
    });
  }

  /**
   * A submit job BullMQ gave up on (its workers died too often): a batch the provider took is
   * polled; one it never got is run by llmq.
   */
  async recoverSubmit(id: string): Promise<void> {
    const record = await this.options.store.get(id);
    if (record?.status === 'submitted') return this.queuePoll(id, 1);
    return this.runInstead(id);
  }

  /** A poll that failed for good: the provider keeps the batch, so it is asked again later. */
  async pollLater(id: string, poll: number): Promise<void> {
    await this.queuePoll(id, poll + 1);
  }

  /** Cancels a running provider batch whose llmq batch stopped or that will miss its deadline. */
  private async cancelIfNeeded(
    client: ProviderBatchClient,
    record: ProviderBatchRecord,
  ): Promise<void> {
    if (record.cancelReason || !record.providerBatchId) return;
    const stopReason = await this.options.batches.stopReason(record.batchId);
    const reason = stopReason ? 'stopped' : (await this.willMiss(record)) ? 'deadline' : undefined;
    if (!reason) return;
    await client.cancel(record.providerBatchId);
    await this.options.store.markCancelled(record.id, reason);
    this.options.logger.warn('provider-batch-cancel', {
      event: 'provider-batch-cancel',
      batch_id: record.batchId,
      provider_batch: record.id,
      provider: record.provider,
      reason,
    });
  }

  /** The deadline check, on the measured turnaround when there is one, else the catalog's. */
  private async willMiss(record: ProviderBatchRecord): Promise<boolean> {
    const entry = this.options.catalog.resolve(record.model);
    const tier = entry?.service_tiers.batch;
    if (!entry || !tier) return false;
    const measured = await this.options.turnarounds?.get(record.provider, record.upstreamModel);
    return providerBatchWillMissDeadline({
      now: Date.now(),
      submittedAt: record.submittedAt ?? record.createdAt,
      completeBy: record.completeBy,
      expectedTurnaroundMs: measured ?? tier.expected_turnaround_ms,
      standardLatencyMs: entry.expected_latency_ms,
      pollIntervalMs: this.options.pollIntervalMs,
    });
  }

  /** Queues poll number `poll`; its job id makes a second request for it a no-op. */
  private async queuePoll(id: string, poll: number): Promise<void> {
    await this.options.controlQueue.add(
      'provider-batch-poll',
      { providerBatchId: id, poll },
      {
        ...jobCatalog['provider-batch-poll'].defaultOptions,
        jobId: `pbpoll-${id}-${poll}`,
        delay: this.options.pollIntervalMs,
      },
    );
  }

  private async settleAll(
    lines: readonly BatchLineJobData[],
    settle: (data: BatchLineJobData) => Promise<SettledLine>,
  ): Promise<void> {
    for (let start = 0; start < lines.length; start += settleConcurrency)
      await Promise.all(lines.slice(start, start + settleConcurrency).map(settle));
  }
}
