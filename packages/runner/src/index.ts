/**
 * The job runner: what an app needs to run a job, shared by the worker (every lane) and the API
 * (interactive sync jobs). It builds its parts from a typed {@link RunnerEnv} and reads no
 * `process.env`.
 */

export {
  asksForJson,
  type ChatAnswer,
  chatAnsweredBy,
  chatOutput,
  redactedAnswer,
  routeRejected,
  runChatStage,
} from './pipeline/chat-stage';
export { describeFailure } from './pipeline/describe-failure';
export { failExhaustedAttempts } from './pipeline/exhausted-attempts';
export { JournalCloser } from './pipeline/interrupted-calls';
// The job runner and the chat stage, which batch lines and endpoint jobs run too.
export {
  blockingDetectors,
  createJobRunner,
  type JobRun,
  type JobRunnerOptions,
  type JobSink,
  type OutputVerdict,
  type StageOutcome,
} from './pipeline/job-runner';
export type { ObservedJob } from './pipeline/job-telemetry';
export { parseJobData } from './pipeline/parse-job-data';
// Prompt jobs.
export { createPromptJobProcessor } from './pipeline/prompt-job-processor';
export { createPromptPipeline, type PromptPipelineOptions } from './pipeline/prompt-pipeline';
export { recordCallMetrics } from './pipeline/record-call-metrics';
export { responseCachesFromEnv } from './pipeline/response-caches-from-env';
// What a job run is built from.
export { type RunnerEnv, runnerEnvShape } from './runner-env';
export {
  createRunnerServices,
  type ReadDeploymentKeys,
  type RunnerHost,
  type RunnerServices,
} from './runner-services';
