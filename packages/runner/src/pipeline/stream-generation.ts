import {
  answerText,
  type ChatAnswer,
  callRequest,
  choiceOf,
  type FinishReason,
  type GenerateRequest,
  type GenerateResult,
  type JobDeltaPublisher,
  type LanguageModel,
  type LlmqMetrics,
  type ModelEntry,
  ProviderError,
  type StagePolicy,
  StreamAnswer,
  StreamOutputFilter,
} from '@llmq/core';

/** How often the stop flag is read while no delta arrives (before the first token), ms. */
const stopPollIntervalMs = 250;

/** Reads the job's stop flag every {@link stopPollIntervalMs} and aborts `controller` when set. */
function pollStopFlag(watch: JobDeltaPublisher, controller: AbortController): NodeJS.Timeout {
  return setInterval(() => {
    void watch
      .checkStop()
      .then((stop) => {
        if (stop) controller.abort();
      })
      .catch(() => undefined);
  }, stopPollIntervalMs);
}

export type StreamGenerationOutcome =
  | { outcome: 'completed'; answer: GenerateResult }
  | { outcome: 'stopped' };

/**
 * Runs a provider call as a stream, handing each delta (and an `n` > 1 answer's end) to the
 * job's publisher as it arrives (through `filter` when the tenant's output policy redacts or blocks: then a little
 * behind the model, redacted), and returns the same answer `generate` would, unfiltered (the
 * job's output filter then judges it whole). Stops (aborting the upstream call) when the
 * job's client asked to; a broken upstream stream throws, after the deltas released so far
 * were written. Whether a retry is still safe is `publisher.published`.
 */
export async function streamGeneration(
  model: LanguageModel,
  request: GenerateRequest,
  publisher: JobDeltaPublisher,
  onFirstToken?: (seconds: number) => void,
  filter?: StreamOutputFilter,
): Promise<StreamGenerationOutcome> {
  const startedAt = performance.now();
  let firstTokenSeen = false;
  const controller = new AbortController();
  const signal = request.signal
    ? AbortSignal.any([request.signal, controller.signal])
    : controller.signal;
  const poll = pollStopFlag(publisher, controller);
  // One per answer: with `n` > 1 the parts of several answers arrive interleaved.
  const answers: StreamAnswer[] = [];
  try {
    if (await publisher.checkStop()) return { outcome: 'stopped' };
    if (await publisher.detectEarlierDeltas()) {
      throw new ProviderError({
        code: 'stream_interrupted',
        message: 'an earlier attempt streamed part of the answer before its worker stopped',
        provider: model.provider,
        isRetryable: false,
      });
    }
    for await (const part of model.stream(callRequest(request, { signal }))) {
      if (part.type === 'response-metadata') {
        // Not content: no first token, nothing to filter; it goes out with the first content.
        publisher.pushPart(part);
        continue;
      }
      if (part.type !== 'finish') {
        // An `n` > 1 answer's end carries no content (the `finish` part repeats its reason);
        // through the filter it first releases what is held of that answer, so its client
        // sees it end while the others stream on.
        if (part.type !== 'choice-end') {
          if (!firstTokenSeen) {
            firstTokenSeen = true;
            onFirstToken?.((performance.now() - startedAt) / 1000);
          }
          answers[choiceOf(part)] ??= new StreamAnswer();
          answers[choiceOf(part)]?.add(part);
        }
        if (filter === undefined) publisher.pushPart(part);
        else for (const released of filter.push(part)) publisher.pushPart(released);
        if (publisher.stopRequested) controller.abort();
        continue;
      }
      // What the filter still holds goes out before the job's end.
      if (filter !== undefined)
        for (const released of filter.finish()) publisher.pushPart(released);
      await publisher.flush();
      const first = chatAnswerOf(answers[0], part.finishReason);
      const others = part.otherFinishReasons?.map((reason, index) =>
        chatAnswerOf(answers[index + 1], reason),
      );
      return {
        outcome: 'completed',
        answer: {
          ...first,
          text: answerText(first.content),
          ...(part.stopSequence !== undefined ? { stopSequence: part.stopSequence } : {}),
          ...(others !== undefined ? { otherChoices: others } : {}),
          usage: part.usage,
          responseModel: part.responseModel,
          ...(part.responseId !== undefined ? { responseId: part.responseId } : {}),
          ...(part.systemFingerprint !== undefined
            ? { systemFingerprint: part.systemFingerprint }
            : {}),
          ...(part.serviceTier !== undefined ? { serviceTier: part.serviceTier } : {}),
        },
      };
    }
    throw new Error('the provider stream ended without a finish part');
  } catch (error) {
    if (controller.signal.aborted && publisher.stopRequested) return { outcome: 'stopped' };
    // Whatever reached us before the break is written, so readers see exactly what was sent.
    await publisher.flush().catch(() => undefined);
    throw error;
  } finally {
    clearInterval(poll);
  }
}

/** One streamed answer, assembled (an answer that streamed no content is empty). */
function chatAnswerOf(answer: StreamAnswer | undefined, finishReason: FinishReason): ChatAnswer {
  const logprobs = answer?.logprobs();
  return {
    content: answer?.content() ?? [],
    finishReason,
    ...(logprobs !== undefined ? { logprobs } : {}),
  };
}

/**
 * The same model, called as a stream whose deltas go to the job's publisher: the resilience
 * executor keeps its retries, fallbacks and circuit breakers for streamed jobs, under two
 * rules. Once a delta went out, a failure is final (a retry or another model would repeat
 * text the client already has); and a stop asked by the client ends the call as a
 * non-retryable abort, which the pipeline recognises by `publisher.stopRequested`.
 */
export function streamingModel(
  model: LanguageModel,
  publisher: JobDeltaPublisher,
  /** Called once per call with the seconds to its first token (`llm_time_to_first_token_seconds`). */
  onFirstToken?: (seconds: number) => void,
  /** The tenant's output policy: what it redacts or blocks is filtered from the deltas too. */
  outputPolicy?: StagePolicy,
): LanguageModel {
  return {
    provider: model.provider,
    modelId: model.modelId,
    async generate(request) {
      let streamed: StreamGenerationOutcome;
      try {
        streamed = await streamGeneration(
          model,
          request,
          publisher,
          onFirstToken,
          StreamOutputFilter.for(outputPolicy),
        );
      } catch (error) {
        if (!publisher.published) throw error;
        throw new ProviderError({
          code: 'stream_interrupted',
          message: error instanceof Error ? error.message : String(error),
          provider: model.provider,
          isRetryable: false,
          cause: error,
        });
      }
      if (streamed.outcome === 'stopped') {
        throw new ProviderError({
          code: 'aborted',
          message: 'the client stopped the stream',
          provider: model.provider,
          isRetryable: false,
        });
      }
      return streamed.answer;
    },
    stream: (request) => model.stream(request),
  };
}

/**
 * The same model, with a non-streamed call aborted when the job's client asks to stop (a sync
 * request whose client disconnected): the stop flag is read every {@link stopPollIntervalMs}.
 * A stopped call throws a non-retryable abort the pipeline recognises by `stopRequested`.
 */
export function stoppableModel(
  model: LanguageModel,
  watch: JobDeltaPublisher,
  /** Reads the stop flag before a call (default: a read then; see {@link earlyStopCheck}). */
  checkStop: () => Promise<boolean> = () => watch.checkStop(),
): LanguageModel {
  return {
    provider: model.provider,
    modelId: model.modelId,
    async generate(request) {
      const controller = new AbortController();
      const poll = pollStopFlag(watch, controller);
      try {
        if (await checkStop()) controller.abort();
        const signal = request.signal
          ? AbortSignal.any([request.signal, controller.signal])
          : controller.signal;
        return await model.generate(callRequest(request, { signal }));
      } catch (error) {
        if (controller.signal.aborted && watch.stopRequested) {
          throw new ProviderError({
            code: 'aborted',
            message: 'the client left, so its job was stopped',
            provider: model.provider,
            isRetryable: false,
          });
        }
        throw error;
      } finally {
        clearInterval(poll);
      }
    },
    stream: (request) => model.stream(request),
  };
}

/**
 * A read of the stop flag started now, while the run's guards (circuit breaker, call journal)
 * are still on their way, and handed to the run's first call; later calls (retries, fallbacks,
 * a hedge) read it again. Saves a sync job a round trip before its provider call; a stop asked
 * after this read is seen by the poll during the call, as one asked during it always was.
 */
export function earlyStopCheck(watch: JobDeltaPublisher): () => Promise<boolean> {
  let early: Promise<boolean> | undefined = watch.checkStop();
  // Not awaited until the first call: a failed read must not be an unhandled rejection.
  early.catch(() => undefined);
  return () => {
    const read = early ?? watch.checkStop();
    early = undefined;
    return read;
  };
}

/**
 * How a prompt job's adapters are wrapped: streamed to its publisher (time to first token
 * observed), or stopped when its sync client leaves, or left alone.
 */
export function deltaModel(
  publisher: JobDeltaPublisher | undefined,
  stopWatch: JobDeltaPublisher | undefined,
  metrics: LlmqMetrics | undefined,
  /** A streamed job's output policy (see {@link streamingModel}). */
  outputPolicy?: StagePolicy,
): (entry: ModelEntry, model: LanguageModel) => LanguageModel {
  const checkStop = stopWatch && !publisher ? earlyStopCheck(stopWatch) : undefined;
  return (entry, model) => {
    if (publisher)
      return streamingModel(
        model,
        publisher,
        (seconds) => metrics?.timeToFirstToken.observe({ model: entry.id }, seconds),
        outputPolicy,
      );
    return stopWatch ? stoppableModel(model, stopWatch, checkStop) : model;
  };
}
