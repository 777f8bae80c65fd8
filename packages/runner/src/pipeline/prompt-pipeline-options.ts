import type {
  CallJournal,
  CostLedger,
  FilterPolicyStore,
  JobDeltaPublisher,
  JobStore,
  LaneThroughput,
  LlmqMetrics,
  Logger,
  ModelCatalog,
  RequestExecutor,
  ResponseCaches,
  TenantFlowStore,
} from '@llmq/core';
import type { Tracer } from '@opentelemetry/api';
import type { JournalCloser } from './interrupted-calls';

export interface PromptPipelineOptions {
  store: JobStore;
  catalog: ModelCatalog;
  /** The provider stage: hedge, fallback chain, retries, circuit breakers (see @llmq/core). */
  execute: RequestExecutor;
  logger: Logger;
  /** Tenants' filter policies for the output filter; without it answers are not filtered. */
  filterPolicies?: FilterPolicyStore;
  /** Tracer for job and provider spans; the no-op tracer when absent (tracing off). */
  tracer?: Tracer;
  /** This process's metrics; absent in tests that do not read them. */
  metrics?: LlmqMetrics;
  /** Opens the delta publisher of a job that asked for streaming (`stream: true` in its data). */
  openDeltaPublisher?: (jobId: string) => JobDeltaPublisher;
  /** The exact and semantic response caches; absent, every job calls its provider. */
  caches?: ResponseCaches;
  /**
   * The cost ledger: each job's billed calls (or its cache hit) are written with its final
   * transition, which also releases its budget reservation. Absent, nothing is recorded.
   */
  ledger?: CostLedger;
  /** Records provider calls before they are made; absent, a call cut off by a crash is not counted. */
  journal?: CallJournal;
  /**
   * Closes the journal of a job a run ends, in its final transition (see `JournalCloser`);
   * absent, the journal is left to whatever closes it after the run.
   */
  journalCloser?: JournalCloser;
  /** Tenants' running-job caps (`max_running_jobs`); absent, only key caps apply. */
  flows?: TenantFlowStore;
  /** Counts the jobs each lane starts (the queued jobs' wait estimate); absent, not counted. */
  throughput?: LaneThroughput;
}
