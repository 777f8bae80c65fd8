import {
  type AssistantContentPart,
  answerChoicesTextsOf,
  answerText,
  type ChatAnswer as ChoiceAnswer,
  type FilterPolicy,
  failureCodeForRoute,
  type GenerateResult,
  type JobFailure,
  type JobProgress,
  type LanguageModel,
  type LlmqMetrics,
  type Logger,
  type ModelEntry,
  observedModel,
  type RequestExecutor,
  type RoutingDecision,
  redactAnswerChoices,
  type routeRequest,
} from '@llmq/core';
import type { Context, Tracer } from '@opentelemetry/api';
import { describeFailure } from './describe-failure';
import type { JobRun, OutputVerdict, StageOutcome } from './job-runner';

/** A chat answer and the catalog model that gave it. */
export interface ChatAnswer {
  answer: GenerateResult;
  entry: ModelEntry;
}

/** Who gave a chat answer, for log lines. */
export function chatAnsweredBy({ entry }: ChatAnswer): Record<string, unknown> {
  return { provider: entry.provider, routed_model: entry.id };
}

/**
 * The output filter of a chat answer: every text, reasoning and tool-argument part of every
 * choice (`n` > 1) under the tenant's policy. `structured`: the request asked for JSON, which a
 * redaction must not break.
 */
export function chatOutput(
  policy: () => Promise<FilterPolicy | undefined>,
  structured: boolean,
): NonNullable<JobRun<ChatAnswer>['output']> {
  return {
    texts: ({ answer }) => answerChoicesTextsOf(answer),
    policy,
    unredactable({ answer }, verdict) {
      const redacted = redactAnswerChoices(answer, verdict.texts, structured);
      return 'broken' in redacted
        ? `${redacted.broken.reason} (${redacted.broken.location})`
        : undefined;
    },
  };
}

/** True when the request asked for JSON output (a JSON object or a JSON schema). */
export function asksForJson(request: { responseFormat?: { type: string } }): boolean {
  return request.responseFormat !== undefined && request.responseFormat.type !== 'text';
}

/**
 * The answer, every choice of it, with the output filter's redactions applied (the verdict was
 * checked applicable).
 */
export function redactedAnswer(answer: GenerateResult, verdict?: OutputVerdict): GenerateResult {
  if (!verdict || verdict.findings.length === 0) return answer;
  const redacted = redactAnswerChoices(answer, verdict.texts, false);
  if ('broken' in redacted) return answer;
  const otherChoices = answer.otherChoices?.map((choice, index) =>
    redactedChoice(choice, redacted.otherChoices[index] ?? choice.content),
  );
  return {
    ...redactedChoice(answer, redacted.content),
    text: answerText(redacted.content),
    ...(otherChoices !== undefined ? { otherChoices } : {}),
  };
}

/**
 * A choice with its redacted parts. A redaction in its text drops its token logprobs: they
 * spell out, token by token, the text the redaction took away.
 */
function redactedChoice<Choice extends ChoiceAnswer>(
  choice: Choice,
  content: AssistantContentPart[],
): Choice {
  const textChanged = answerText(content) !== answerText(choice.content);
  return { ...choice, content, ...(textChanged ? { logprobs: undefined } : {}) };
}

/** A route that found no model: the job ends at once, before any provider call. */
export function routeRejected(
  route: Extract<ReturnType<typeof routeRequest>, { ok: false }>,
): StageOutcome<never> {
  return {
    kind: 'rejected',
    failure: { code: failureCodeForRoute(route.code), message: route.message },
  };
}

/** One run of the chat provider stage (prompt jobs and chat batch lines). */
export interface ChatStageRequest {
  execute: RequestExecutor;
  decision: RoutingDecision;
  request: Parameters<RequestExecutor>[0]['request'];
  hedge?: Parameters<RequestExecutor>[0]['hedge'];
  /** Run on the flex tier first, until this deadline allows (see @llmq/core `runFlex`). */
  flex?: Parameters<RequestExecutor>[0]['flex'];
  /** Calls of earlier attempts, and where a parked job resumes. */
  progress?: JobProgress;
  /** The id sent as `x-llmq-job-id` with every call. */
  requestId: string;
  log: Record<string, unknown>;
  /** The job span's context: provider spans are its children. */
  context: Context;
  telemetry: { tracer: Tracer; logger: Logger; metrics?: LlmqMetrics };
  /** Wraps each adapter inside the telemetry (streaming, a stop watch). */
  wrap?: (entry: ModelEntry, model: LanguageModel) => LanguageModel;
  /** Records each call as started before it is made: a crash mid-call is still counted. */
  recorder?: Parameters<RequestExecutor>[0]['recorder'];
}

/**
 * Runs the routed chain (hedge, fallbacks, retries, circuit breakers, rate limits) with a
 * span, metrics and `llm-*` log lines around every provider call, and says what came of it.
 */
export async function runChatStage(stage: ChatStageRequest): Promise<StageOutcome<ChatAnswer>> {
  const { log, telemetry } = stage;
  const outcome = await stage.execute({
    decision: stage.decision,
    request: stage.request,
    hedge: stage.hedge,
    ...(stage.flex ? { flex: stage.flex } : {}),
    progress: stage.progress,
    recorder: stage.recorder,
    headers: (callNumber) => ({
      'x-llmq-job-id': stage.requestId,
      'x-llmq-attempt': String(callNumber),
    }),
    logFields: log,
    wrapModel: (entry, model, deployment) =>
      observedModel(stage.wrap ? stage.wrap(entry, model) : model, telemetry, {
        parent: stage.context,
        catalogModel: entry.id,
        ...(deployment.id !== undefined ? { deployment: deployment.id } : {}),
        logFields: log,
      }),
  });
  if (outcome.kind === 'success') {
    const { answer, entry, attempts } = outcome;
    return { kind: 'success', answer: { answer, entry }, attempts };
  }
  if (outcome.kind === 'failed') return outcome;
  return {
    kind: 'wait',
    delayMs: outcome.delayMs,
    attempts: outcome.attempts,
    resume: outcome.resume,
    reason: outcome.throttle,
    failure: waitFailure(outcome),
  };
}

/** What a parked chat job waits on, as its last error. */
function waitFailure(
  outcome: Extract<Awaited<ReturnType<RequestExecutor>>, { kind: 'wait' }>,
): JobFailure {
  if (outcome.throttle !== undefined)
    return {
      code: 'provider_rate_limited',
      message: `waiting ${outcome.delayMs} ms for the rate limit of ${outcome.resume.model} (${outcome.throttle})`,
    };
  if (outcome.error === undefined)
    return {
      code: 'provider_rate_limited',
      message: `waiting ${outcome.delayMs} ms for the retry-after of ${outcome.resume.model}`,
    };
  return describeFailure(outcome.error, outcome.attempts).failure;
}
