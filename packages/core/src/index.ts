// The public surface of @llmq/core: apps import from here only.

export * from './audit/audit-log';
export * from './auth/api-key-format';
export * from './auth/api-key-limits';
export * from './auth/api-key-scopes';
export * from './auth/api-key-store';
export * from './batches/batch-finalizer';
export * from './batches/batch-ingester';
export * from './batches/batch-jobs';
export * from './batches/batch-limits';
export * from './batches/batch-output-line';
export * from './batches/batch-record';
export * from './batches/batch-request-error';
export * from './batches/batch-service';
export * from './batches/batch-store';
export * from './batches/completions-line-request';
export * from './batches/embeddings-line-request';
export * from './batches/endpoint-line-cost';
export * from './batches/endpoint-response-body';
export * from './batches/parse-batch-line';
export * from './batches/read-jsonl-lines';
export * from './batching/batched-model-calls';
export * from './batching/micro-batcher';
export * from './batching/split-usage';
export * from './cache/cache-env';
export * from './cache/cache-mode';
export * from './cache/cache-policy';
export * from './cache/cache-policy-store';
export * from './cache/exact-cache';
export * from './cache/lsh-index';
export * from './cache/response-caches';
export * from './cache/semantic-cache';
export * from './cache/semantic-guards';
export * from './config/batch-env-schema';
export * from './config/cost-env-schema';
export * from './config/default-catalog';
export * from './config/default-catalog';
export * from './config/env-schema';
export * from './config/env-schema';
export * from './config/rate-limit-env-schema';
export * from './config/routing-env-schema';
export * from './config/routing-env-schema';
export * from './cost/budget';
export * from './cost/budget-store';
export * from './cost/cost-ledger';
export * from './cost/count-tokens';
export * from './cost/estimate-job-cost';
export * from './cost/estimate-request';
export * from './cost/ledger-line';
export * from './cost/money';
export * from './cost/optimize-prompt';
export * from './cost/submit-cost-checks';
export * from './cost/usage-report';
export * from './cost/utc-period';
export * from './files/file-storage';
export * from './files/redis-file-storage';
export * from './files/stored-file';
export * from './filters/checksums';
export * from './filters/content-filter';
export * from './filters/detectors';
export * from './filters/filter-env';
export * from './filters/filter-error';
export * from './filters/filter-job-request';
export * from './filters/filter-policy';
export * from './filters/filter-policy-store';
export * from './jobs/dead-letter-store';
export * from './jobs/idempotency-store';
export * from './jobs/job-catalog';
export * from './jobs/job-failure';
export * from './jobs/job-record';
export * from './jobs/job-request';
export * from './jobs/job-status';
export * from './jobs/job-store';
export * from './jobs/job-submitter';
export * from './jobs/job-view';
export {
  enqueueSubmission,
  type LaneQueues,
  type Submission,
  submissionSchema,
} from './jobs/submission';
export { type RepairOutcome, SubmissionRepair, type SweepTally } from './jobs/submission-repair';
export {
  type AcceptOutcome,
  type AcceptRequest,
  SubmissionStore,
  type SubmissionStoreOptions,
} from './jobs/submission-store';
export { SubmissionSweeper, type SubmissionSweeperOptions } from './jobs/submission-sweeper';
export * from './jobs/submit-error';
export * from './lanes/fair-priority';
export * from './lanes/lane-shares';
export * from './limits/call-gate';
export * from './limits/gateway-rate-limiter';
export * from './limits/provider-rate-limiter';
export * from './limits/rate-limits';
export * from './providers';
export * from './queues/create-queue';
export * from './queues/queue-names';
export * from './redis/redis-connection';
export {
  logRedisStateChanges,
  logWorkerError,
  type RedisStateListener,
  watchRedisConnection,
} from './redis/redis-health';
export * from './redis/redis-keys';
export * from './resilience/attempt-record';
export {
  CallJournal,
  type CallJournalOptions,
  type CallRecorder,
  type InterruptedCall,
  withInterruptedCalls,
} from './resilience/call-journal';
export * from './resilience/call-model';
export * from './resilience/circuit-breaker';
export * from './resilience/execute-routed-request';
export * from './resilience/retry-policy';
export * from './resilience/run-hedged';
export * from './resilience/run-model-chain';
export * from './routing/assess-complexity';
export * from './routing/choose-hedge-model';
export * from './routing/estimate-input-tokens';
export * from './routing/load-model-catalog';
export * from './routing/model-catalog';
export * from './routing/model-pricing';
export * from './routing/route-request';
export * from './streaming/job-delta-publisher';
export * from './streaming/job-event';
export * from './streaming/job-event-reader';
export * from './streaming/job-stop-request';
export * from './telemetry/logger';
export * from './telemetry/metrics';
export * from './telemetry/metrics-access';
export * from './telemetry/observe-model-call';
export * from './telemetry/shutdown-signals';
export * from './telemetry/tracing';
export * from './tenants/tenant-setting-store';
export * from './webhooks/address-policy';
export * from './webhooks/webhook-config';
export * from './webhooks/webhook-delivery-store';
export * from './webhooks/webhook-endpoint-store';
export * from './webhooks/webhook-event';
export * from './webhooks/webhook-metrics';
export * from './webhooks/webhook-outbox-relay';
export * from './webhooks/webhook-secret';
export * from './webhooks/webhook-sender';
export * from './webhooks/webhook-signer';
export * from './webhooks/webhook-url-guard';
