// The public surface of @llmq/core: apps, the client, tests and benchmarks import from here
// only, and only these names. A name becomes public by being added here, next to the module
// that declares it; everything else in core is internal and free to change.

export { TokenTally } from '@llmq/tokenizer';
export { type AuditEvent, AuditLog } from './audit/audit-log';
export { hashApiKey, keyFingerprint } from './auth/api-key-format';
export { type ApiKeyLimits, apiKeyLimitsSchema } from './auth/api-key-limits';
export { type ApiKeyScope, apiKeyScopeSchema, hasScope, tenantScopes } from './auth/api-key-scopes';
export { ApiKeyStore, isKeyActive, toApiKeyView } from './auth/api-key-store';
export { BatchAcceptRepair, type BatchRepairOutcome } from './batches/batch-accept-repair';
export { type BatchEndRecovery, BatchEndRepair } from './batches/batch-end-repair';
export { BatchFinalizer } from './batches/batch-finalizer';
export {
  BatchIngester,
  type IngestFailureCause,
  type IngestOutcome,
} from './batches/batch-ingester';
export {
  type BatchLineJobData,
  batchControlJobDataSchema,
  batchLineIdentitySchema,
  batchLineJobDataSchema,
  type EndpointLineJobData,
  endpointLineJobDataSchema,
  type ProviderBatchJobData,
  providerBatchJobDataSchema,
} from './batches/batch-jobs';
export { type BatchLimits, defaultBatchLimits } from './batches/batch-limits';
export {
  completedBatchLine,
  failedBatchLine,
  outputLimitBatchLine,
  skippedBatchLine,
  toAnthropicMessageBody,
  toChatCompletionBody,
  toResponseBody,
} from './batches/batch-output-line';
export { type BatchRecord, type BatchStopReason, toBatchView } from './batches/batch-record';
export { BatchService, createBatchRequestSchema, newId } from './batches/batch-service';
export { type BatchExpiry, BatchStore, type RecordLineResult } from './batches/batch-store';
export { endpointLineCostNanoUsd } from './batches/endpoint-line-cost';
export { toEmbeddingsBody, toTextCompletionBody } from './batches/endpoint-response-body';
export {
  type CreateMessageBatchRequest,
  createMessageBatchRequestSchema,
  type MessageBatchLimits,
  messageBatchLimitsOf,
  readMessageBatchRequests,
} from './batches/message-batches/message-batch-request';
export {
  type MessageBatchResultLine,
  toMessageBatchResultLine,
} from './batches/message-batches/message-batch-result-line';
export {
  MessageBatchService,
  messageBatchIdPattern,
} from './batches/message-batches/message-batch-service';
export {
  messageBatchResultsPath,
  toMessageBatchView,
} from './batches/message-batches/message-batch-view';
export { finalizeJobId, queueFinalize } from './batches/queue-finalize';
export { cacheEnvShape, toCacheDefaults } from './cache/cache-env';
export type { CacheMode } from './cache/cache-mode';
export { type CacheRequestOptions, cachePolicySchema } from './cache/cache-policy';
export { CachePolicyStore } from './cache/cache-policy-store';
export { asCacheHit, ExactCache, isCacheable } from './cache/exact-cache';
export { type CacheLookup, ResponseCaches } from './cache/response-caches';
export { embedderFrom, SemanticCache } from './cache/semantic-cache';
export { loadModelCatalog } from './catalog/load-model-catalog';
export { ModelCatalog, type ModelEntry, type ModelEntryInput } from './catalog/model-catalog';
export {
  type DeploymentStrategy,
  deploymentsOf,
  type ModelDeployment,
} from './catalog/model-deployments';
export { costOfUsage, pricingOfTier, roundUsd } from './catalog/model-pricing';
export {
  type AnthropicModelPage,
  type AnthropicModelView,
  findUsableModel,
  type OpenAIModelView,
  pageAnthropicModels,
  toAnthropicModel,
  toOpenAIModel,
  toOpenAIModelList,
  usableModels,
} from './catalog/model-views';
export {
  type RequestedServiceTier,
  requestedServiceTierSchema,
  type ServiceTier,
  serviceTierSchema,
} from './catalog/service-tier';
export { batchEnvShape, toBatchLimits } from './config/batch-env-schema';
export { costEnvShape, toBudgetDefaults } from './config/cost-env-schema';
export { accountMaxTokensDefaults, defaultProviderAccounts } from './config/default-catalog';
export {
  commonEnvShape,
  parseEnvironment,
  providerEnvShape,
  toProviderSettings,
} from './config/env-schema';
export { rateLimitEnvShape, toRateLimiterOptions } from './config/rate-limit-env-schema';
export {
  catalogEnvShape,
  resilienceEnvShape,
  toCircuitBreakerOptions,
  toRetryPolicy,
} from './config/routing-env-schema';
export { type BudgetLimits, budgetSchema, limitsInUsd } from './cost/budget';
export { BudgetStore } from './cost/budget-store';
export { CostLedger, type LedgerWrite } from './cost/cost-ledger';
export { lineCostNanoUsd } from './cost/estimate-job-cost';
export { estimateRequest } from './cost/estimate-request';
export { ledgerLineFromCacheHit, ledgerLinesFromAttempts } from './cost/ledger-line';
export { fromNanoUsd, toNanoUsd } from './cost/money';
export { readUsageReport, usageQuerySchema } from './cost/usage-report';
export {
  deploymentAccounts,
  deploymentKeyNames,
} from './deployments/deployment-accounts';
export {
  type DeploymentChooser,
  DeploymentPicker,
  weightedChooser,
} from './deployments/deployment-picker';
export {
  type DeploymentState,
  rankDeployments,
  weightedOrder,
} from './deployments/rank-deployments';
export {
  type AnthropicCountTokensRequest,
  anthropicCountTokensRequestSchema,
  countAnthropicInputTokens,
} from './dialects/anthropic-messages/anthropic-count-tokens';
export { anthropicErrorType } from './dialects/anthropic-messages/anthropic-error-type';
export {
  AnthropicEventWriter,
  type AnthropicEventWriterOptions,
} from './dialects/anthropic-messages/anthropic-event-writer';
export {
  type AnthropicMessagesRequest,
  anthropicMessagesRequestSchema,
} from './dialects/anthropic-messages/anthropic-messages-request-schema';
export {
  type AnthropicMessagesCall,
  convertAnthropicMessagesRequest,
} from './dialects/anthropic-messages/convert-anthropic-messages-request';
export {
  anthropicStopReason,
  anthropicUsage,
  convertToAnthropicMessage,
} from './dialects/anthropic-messages/convert-to-anthropic-message';
export type { DialectAnswer } from './dialects/dialect-answer';
export {
  convertOpenAIChatRequest,
  type OpenAIChatCall,
} from './dialects/openai-chat/convert-openai-chat-request';
export {
  convertToOpenAIChatCompletion,
  type OpenAIAnswerOptions,
  openAIFinishReason,
  openAIUsage,
} from './dialects/openai-chat/convert-to-openai-chat-completion';
export {
  OpenAIChatChunkWriter,
  type OpenAIChatChunkWriterOptions,
} from './dialects/openai-chat/openai-chat-chunk-writer';
export {
  type OpenAIChatRequest,
  openAIChatRequestSchema,
} from './dialects/openai-chat/openai-chat-request-schema';
export { openaiErrorType } from './dialects/openai-error-type';
export {
  chatRequestOfTurn,
  convertOpenAIResponsesRequest,
  type OpenAIResponsesCall,
} from './dialects/openai-responses/convert-openai-responses-request';
export {
  convertToResponseOutput,
  parseOutputItemId,
  type ResponseObject,
  type ResponseOutputItem,
  type ResponseStatus,
  responseEnd,
  responseObject,
} from './dialects/openai-responses/convert-to-openai-response';
export {
  OpenAIResponsesEventWriter,
  type ResponseStreamEvent,
} from './dialects/openai-responses/openai-responses-event-writer';
export {
  type OpenAIResponsesRequest,
  openAIResponsesRequestSchema,
  responsesInputItemSchema,
} from './dialects/openai-responses/openai-responses-request-schema';
export { jobIdOfResponse, responseIdOfJob } from './dialects/openai-responses/response-id';
export {
  type ResponseInputListItem,
  responseInputItems,
} from './dialects/openai-responses/response-input-items';
export {
  type ResponseSettings,
  settingsWithoutPrompt,
} from './dialects/openai-responses/response-settings';
export {
  isPreviousResponseGone,
  ResponseStore,
  type ResponseTurn,
  type StoredResponse,
} from './dialects/openai-responses/response-store';
export {
  type OpenAIOutputLimitField,
  type OutputLimitRefusal,
  openaiOutputLimitField,
  outputLimitAnswer,
  outputLimitRefusalOf,
  outputLimitStatus,
} from './dialects/output-limit-refusal';
export {
  toOpenAICompletionChunks,
  toOpenAICompletionResponse,
  toOpenAIEmbeddingsResponse,
} from './embeddings-and-completions/convert-endpoint-result';
export {
  convertOpenAICompletionsRequest,
  type OpenAICompletionsCall,
  type OpenAICompletionsRequest,
  openAICompletionsRequestSchema,
} from './embeddings-and-completions/openai-completions-request';
export {
  convertOpenAIEmbeddingsRequest,
  type OpenAIEmbeddingsRequest,
  openAIEmbeddingsRequestSchema,
} from './embeddings-and-completions/openai-embeddings-request';
export { ClientError, clientErrorCodeSchema, isClientError } from './errors/client-error';
export type { FileListQuery, FilePage, FileStorage } from './files/file-storage';
export { RedisFileStorage } from './files/redis-file-storage';
export {
  type FilePurpose,
  filePurposeSchema,
  type StoredFile,
  toFileView,
} from './files/stored-file';
export {
  type AnswerChoices,
  answerChoicesTextsOf,
  answerTextsOf,
  type BrokenRedaction,
  chatTextsOf,
  redactAnswer,
  redactAnswerChoices,
  withChatTexts,
} from './filters/chat-texts';
export {
  type FilterFinding,
  type FilterPart,
  type FilterVerdict,
  inspectInput,
  inspectOutput,
} from './filters/content-filter';
export { filterEnvShape } from './filters/filter-env';
export { InputRejectedError, isInputRejectedError } from './filters/filter-error';
export { filterChatRequest, screenJobRequest } from './filters/filter-job-request';
export {
  defaultFilterPolicy,
  type FilterPolicy,
  filterPolicyPatchSchema,
  mergeFilterPolicy,
  type StagePolicy,
} from './filters/filter-policy';
export { FilterPolicyStore } from './filters/filter-policy-store';
export { StreamOutputFilter } from './filters/stream-output-filter';
export type { CompanionWrite } from './jobs/companion-write';
export { createQueue } from './jobs/create-queue';
export {
  type EndpointAnswer,
  type EndpointJobData,
  endpointJobDataSchema,
} from './jobs/endpoint-job';
export { failureClientCode, failureHttpStatus } from './jobs/failure-answer';
export {
  carriesProviderText,
  eventWithoutProviderText,
  failureSummary,
  recordWithoutProviderText,
  resultWithoutProviderText,
  withoutProviderText,
} from './jobs/failure-text';
export { IdempotencyStore, sha256 } from './jobs/idempotency-store';
export {
  jobCatalog,
  type PromptJobData,
  promptJobDataSchema,
  reservationToRelease,
  type WebhookDeliveryJobData,
  webhookDeliveryJobDataSchema,
} from './jobs/job-catalog';
export {
  isStreamId,
  type JobEvent,
  parseStreamEntry,
  type SpeculativeEventName,
} from './jobs/job-event';
export { JobExplorer, type JobPage, type JobPageOptions } from './jobs/job-explorer';
export {
  failureCodeForProviderError,
  failureCodeForRoute,
  type JobFailure,
} from './jobs/job-failure';
export {
  filterInputFromQuery,
  type JobFilter,
  type JobFilterInput,
  jobFilterQueryShape,
  jobFilterSchema,
  toJobFilter,
} from './jobs/job-filter';
export { type JobProgress, jobProgressSchema } from './jobs/job-progress';
export {
  type JobLane,
  type JobRecord,
  type JobResult,
  type JobToolCall,
  jobLanes,
} from './jobs/job-record';
export {
  type JobRequest,
  jobRequestSchema,
  type NormalizedRequest,
  normalizeJobRequest,
  type SpeculativeRequest,
  speculativeSchema,
} from './jobs/job-request';
export { responseStatusOfJob } from './jobs/job-response-status';
export { isFinalStatus } from './jobs/job-status';
export { JobStore, type RunningCap, type StartOptions, type StartOutcome } from './jobs/job-store';
export {
  canonicalJson,
  JobSubmitter,
  type SubmitOptions,
  type SubmitOutcome,
  type TakenJob,
} from './jobs/job-submitter';
export { jobLinks, toJobView } from './jobs/job-view';
export { jsonDepthExceeds, maxJsonDepth } from './jobs/json-depth';
export { plainPromptJobData } from './jobs/plain-prompt-job-data';
export { type PreparedJobRequest, prepareJobRequest } from './jobs/prepare-job-request';
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
  type JobTake,
  SubmissionStore,
  type SubmissionStoreOptions,
} from './jobs/submission-store';
export { SubmissionSweeper, type SubmissionSweeperOptions } from './jobs/submission-sweeper';
export { FairPriority, type TenantWeights } from './lanes/fair-priority';
export { clearIdleMarker } from './lanes/lane-marker';
export { planLaneConcurrency } from './lanes/lane-shares';
export { LaneThroughput } from './lanes/lane-throughput';
export { type QueuePosition, queuePositionOf } from './lanes/queue-position';
export type { CallGateFactory } from './limits/call-gate';
export { GatewayRateLimiter, type RateLimitDecision } from './limits/gateway-rate-limiter';
export {
  type AcquireOutcome,
  type ConcurrencySlot,
  KeyConcurrencyLimiter,
  type KeyConcurrencyLimiterOptions,
} from './limits/key-concurrency-limiter';
export {
  ProviderRateLimiter,
  type ProviderRateLimiterListeners,
} from './limits/provider-rate-limiter';
export { runningCapRetryDelayMs } from './limits/running-cap-scripts';
export {
  type ChatMessage,
  type ChatRole,
  chatMessageSchema,
  type TextChatMessage,
} from './messages/chat-message';
export { type ChatRequest, chatRequestSchema } from './messages/chat-request';
export {
  answerText,
  type ChatAnswer,
  type TokenLogprob,
  toolCallsOf,
} from './messages/chat-result';
export {
  type AssistantContentPart,
  assistantContentPartSchema,
  type CacheControl,
  type ContentPart,
  type DocumentPart,
  type ImagePart,
  type MediaSource,
  type ReasoningPart,
  type TextPart,
  type ToolCallPart,
  type ToolResultPart,
  type UserContentPart,
  userContentPartSchema,
} from './messages/content-part';
export { reasoningBudgetFor, reasoningEffortFor } from './messages/reasoning-translation';
export { type ContentStreamPart, StreamAnswer } from './messages/stream-answer';
export { choiceOf } from './messages/stream-part';
export { partsOf, textOf, textsOfParts } from './messages/text-of';
export {
  type JsonSchemaObject,
  type ReasoningOptions,
  type ResponseFormat,
  responseFormatSchema,
  type ToolChoice,
  type ToolDefinition,
  toolChoiceSchema,
  toolDefinitionSchema,
} from './messages/tool-definition';
export {
  isUnsupportedParameterError,
  UnsupportedParameterError,
} from './messages/unsupported-parameter-error';
export {
  type BatchedCallReport,
  BatchedModelCalls,
  type LineCallOutcome,
} from './micro-batching/batched-model-calls';
export { AnthropicBatchClient } from './provider-batches/anthropic-batch-client';
export { BatchTurnarounds, type MeasuredTurnaround } from './provider-batches/batch-turnarounds';
export { createProviderBatchClients } from './provider-batches/create-provider-batch-clients';
export { OpenAIBatchClient } from './provider-batches/openai-batch-client';
export {
  type PlannedProviderBatch,
  planProviderBatches,
  type WaitingLine,
} from './provider-batches/plan-provider-batches';
export type {
  ProviderBatchClient,
  ProviderBatchRequest,
  ProviderBatchResult,
  ProviderBatchState,
} from './provider-batches/provider-batch-client';
export { providerBatchWillMissDeadline } from './provider-batches/provider-batch-deadline';
export {
  type ProviderBatchRecord,
  ProviderBatchStore,
} from './provider-batches/provider-batch-store';
export {
  type AccountParameterRules,
  callRequest,
  createProviderRegistry,
  type FinishReason,
  findAccountUnsupportedParameter,
  type GenerateRequest,
  type GenerateResult,
  isProviderError,
  type LanguageModel,
  type ModelTraits,
  modelTraitsOf,
  ProviderError,
  type ProviderRegistry,
  type StreamPart,
} from './providers';
export { queueNames } from './queues/queue-names';
export { coalesceWrites } from './redis/coalesced-writes';
export {
  createRedisConnection,
  isRedisClusterUrl,
  isRedisUnavailableError,
} from './redis/redis-connection';
export { type RedisStateListener, watchRedisConnection } from './redis/redis-health';
export { RedisKeys } from './redis/redis-keys';
export type { AttemptRecord } from './resilience/attempt-record';
export {
  CallJournal,
  type CallJournalOptions,
  type CallRecorder,
  type InterruptedCall,
  JobNotStartedError,
  type JournalClose,
  type OpenCall,
  withInterruptedCalls,
} from './resilience/call-journal';
export { CircuitBreaker } from './resilience/circuit-breaker';
export { createRequestExecutor, type RequestExecutor } from './resilience/execute-routed-request';
export type { RetryPolicy } from './resilience/retry-policy';
export {
  fromJobUsage,
  type JobUsage,
  jobUsageSchema,
  type TokenCounts,
  toAttemptUsage,
  toJobUsage,
} from './resilience/usage-records';
export {
  chooseSpeculativeModels,
  type SpeculativeModels,
} from './routing/choose-speculative-models';
export {
  type CapabilityInput,
  missingCapabilities,
  type RequestCapability,
  requiredCapabilities,
} from './routing/model-capabilities';
export { type RoutableJob, routeJob } from './routing/route-job';
export { type RoutingDecision, routeRequest } from './routing/route-request';
export { JobDeltaPublisher } from './streaming/job-delta-publisher';
export {
  type JobEndWait,
  JobEndWatcher,
  type JobEndWatcherOptions,
} from './streaming/job-end-watcher';
export { JobEventReader } from './streaming/job-event-reader';
export { requestJobStop } from './streaming/job-stop-request';
export { logRedisStateChanges, logWorkerError } from './telemetry/log-redis-health';
export { createLogger, type Logger } from './telemetry/logger';
export { createMetrics, type LlmqMetrics } from './telemetry/metrics';
export { metricsScrapeAllowed } from './telemetry/metrics-access';
export { observedModel } from './telemetry/observe-model-call';
export { catchShutdownSignals } from './telemetry/shutdown-signals';
export {
  contextFromTraceHeaders,
  createTracing,
  type Tracing,
  traceHeaders,
  traceIdOf,
  tracerName,
  tracingEnvShape,
} from './telemetry/tracing';
export {
  defaultTenantWeight,
  type TenantFlow,
  TenantFlowStore,
  tenantFlowSchema,
} from './tenants/tenant-flow-store';
export {
  chooseServiceTier,
  type TierChoice,
  type TierChoiceInput,
  type TierOption,
} from './tiers/choose-service-tier';
export { deadlineOf } from './tiers/work-deadline';
export { AddressPolicy } from './webhooks/address-policy';
export { type OpenAiWebhookBody, openAiEventForJob } from './webhooks/openai-webhook-event';
export { webhookEnvShape, webhookRetryDelay } from './webhooks/webhook-config';
export {
  type DeliveryStatus,
  toDeliveryView,
  WebhookDeliveryStore,
} from './webhooks/webhook-delivery-store';
export { type WebhookEndpoint, WebhookEndpointStore } from './webhooks/webhook-endpoint-store';
export {
  type OpenAiWebhookEventType,
  type WebhookDeliveryEvent,
  type WebhookFormat,
  webhookEndpointRequestSchema,
} from './webhooks/webhook-event';
export { WebhookMetrics } from './webhooks/webhook-metrics';
export { WebhookOutboxRelay } from './webhooks/webhook-outbox-relay';
export { signingSecrets } from './webhooks/webhook-secret';
export { WebhookSender } from './webhooks/webhook-sender';
export { signWebhook } from './webhooks/webhook-signer';
export { checkWebhookUrl, isWebhookUrlError, type ResolveHost } from './webhooks/webhook-url-guard';
