import { JobDeltaPublisher, type LaneThroughput, type Logger } from '@llmq/core';
import type { RunnerEnv } from '../runner-env';
import type { RunnerServices } from '../runner-services';
import { JournalCloser } from './interrupted-calls';
import { createPromptPipeline } from './prompt-pipeline';
import { responseCachesFromEnv } from './response-caches-from-env';

/**
 * The prompt pipeline as an app's BullMQ worker runs it (the worker's lanes, the API's sync runs):
 * built from the run's services, with the response caches of `env`, and wrapped so the call
 * journal is closed after each run that did not close it (a re-executed call counted on
 * `llm_provider_calls_reexecuted_total`).
 */
export function createPromptJobProcessor(options: {
  services: RunnerServices;
  env: RunnerEnv;
  logger: Logger;
  /** The lanes' start and end counts (`queue.starts_per_second`). */
  throughput: LaneThroughput;
}) {
  const { services, env, logger, throughput } = options;
  const { connection, keys, providers, eventLimits } = services;
  const journalCloser = new JournalCloser(
    services.journal,
    (models) => {
      for (const model of models) services.metrics.providerCallsReexecuted.inc({ model });
    },
    (error) =>
      logger.warn('call-journal-error', {
        event: 'call-journal-error',
        error: error instanceof Error ? error.message : String(error),
      }),
  );
  return journalCloser.after(
    createPromptPipeline({
      ...services,
      logger,
      tracer: services.tracing.tracer,
      openDeltaPublisher: (jobId) => new JobDeltaPublisher(connection, keys, jobId, eventLimits),
      caches: responseCachesFromEnv({ env, connection, keys, providers, logger }),
      throughput,
      journalCloser,
    }),
  );
}
