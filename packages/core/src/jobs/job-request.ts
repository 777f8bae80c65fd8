import { z } from 'zod';
import { cacheModeSchema } from '../cache/cache-mode';
import { cacheRequestOptionsSchema } from '../cache/cache-policy';
import { requestedServiceTierSchema } from '../catalog/service-tier';
import { promptOptimizationSchema } from '../cost/optimize-prompt';
import {
  convertOpenAIChatRequest,
  type OpenAIChatCall,
} from '../dialects/openai-chat/convert-openai-chat-request';
import {
  checkToolMessageNames,
  type OpenAIChatRequest,
  openAIChatMessageSchema,
  openAIChatRequestSchema,
} from '../dialects/openai-chat/openai-chat-request-schema';
import { type ChatRequest, chatRequestSchema } from '../messages/chat-request';
import type { GenerateRequest } from '../providers/language-model';
import { completeBySchema, deadlineMsSchema } from '../tiers/work-deadline';
import { jobWebhookSchema } from '../webhooks/webhook-event';
import { maxStartWindowMs } from './start-deadline';

/**
 * One chat message as clients send it, in OpenAI's chat format: text, image and file parts,
 * assistant `tool_calls`, `tool` results (see `openAIChatMessageSchema`).
 */
export const messageSchema = openAIChatMessageSchema;

/** The OpenAI chat request fields a job takes as they are (tools, formats, reasoning, sampling). */
const chatOptions = openAIChatRequestSchema.pick({
  tools: true,
  tool_choice: true,
  functions: true,
  function_call: true,
  parallel_tool_calls: true,
  response_format: true,
  reasoning_effort: true,
  verbosity: true,
  prompt_cache_key: true,
  n: true,
  logprobs: true,
  top_logprobs: true,
  safety_identifier: true,
  presence_penalty: true,
  frequency_penalty: true,
}).shape;

const metadataSchema = z
  .record(z.string().min(1).max(64), z.string().max(512))
  .refine((value) => Object.keys(value).length <= 16, { message: 'at most 16 metadata keys' });

/** What `model: "auto"` should weigh; `max_cost_usd` also caps an explicit model. */
export const requirementsSchema = z
  .object({
    /** Prefer the model expected to answer soonest. */
    low_latency: z.boolean().optional(),
    /** Route to the strong tier whatever the prompt looks like. */
    high_quality: z.boolean().optional(),
    /** Refuse (400 cost_limit_exceeded) when no usable model's estimated cost fits, USD. */
    max_cost_usd: z.number().positive().max(10_000).optional(),
  })
  .strict();

/**
 * Speculative execution: a second model is called at once (`after_ms` 0, a race) or when the
 * first has not answered within `after_ms`; the first answer wins, the other call is aborted.
 */
export const hedgeSchema = z
  .object({
    /** The second model (id or alias); default: a fast model for a strong one and vice versa. */
    model: z.string().min(1).max(200).optional(),
    /** Latency budget of the first call, ms; 0 races both. Default 0. */
    after_ms: z.number().int().min(0).max(600_000).default(0),
  })
  .strict();

/**
 * Speculative execution (seed: "show a fast answer, upgrade it"): a fast model and a strong
 * model are both called; the job's result first carries the fast answer (`stage: "initial"`),
 * then the strong one (`stage: "final"`). Unlike `hedge`, both answers are kept.
 */
export const speculativeSchema = z
  .object({
    /** The model of the initial answer (id or alias); default: the quickest fast-tier model. */
    fast_model: z.string().min(1).max(200).optional(),
    /** The model of the final answer (id or alias); default: the cheapest strong-tier model. */
    upgrade_model: z.string().min(1).max(200).optional(),
  })
  .strict();
export type SpeculativeRequest = z.infer<typeof speculativeSchema>;

/**
 * Body of `POST /v1/jobs`: one prompt job. Exactly one of `messages` or `prompt`.
 * Unknown fields are rejected so a typo never silently changes behaviour.
 */
export const jobRequestSchema = z
  .object({
    messages: z.array(messageSchema).min(1).max(1000).superRefine(checkToolMessageNames).optional(),
    /** Shorthand for a single user message. */
    prompt: z.string().min(1).optional(),
    /** A catalog model id or alias, or `auto`; defaults to the configured default model. */
    model: z.string().min(1).max(200).optional(),
    requirements: requirementsSchema.optional(),
    hedge: hedgeSchema.optional(),
    /** Two answers: a fast initial one, then an upgrade (see `speculativeSchema`). */
    speculative: speculativeSchema.optional(),
    /** false: no fallback chain, only the chosen model. Default true. */
    fallbacks: z.boolean().optional(),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().min(1).max(1_000_000).optional(),
    top_p: z.number().min(0).max(1).optional(),
    stop: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(4)]).optional(),
    seed: z.number().int().optional(),
    ...chatOptions,
    /** 1 (first) to 10 (last), as BullMQ orders priorities; default 5. */
    priority: z.number().int().min(1).max(10).default(5),
    metadata: metadataSchema.optional(),
    /** Where to POST the job's end (signed, retried); see `jobWebhookSchema`. */
    webhook: jobWebhookSchema.optional(),
    /** How this request uses the exact cache (default `auto`: deterministic requests only). */
    cache: cacheModeSchema.optional(),
    /** This request's cache TTL (at most the tenant's), similarity threshold, semantic opt-out. */
    cache_options: cacheRequestOptionsSchema.optional(),
    /** Publish token deltas to `GET /v1/jobs/:id/events` as they are generated (default false). */
    stream: z.boolean().optional(),
    /** Prompt optimisation (off by default); what it changed is reported as the job's `optimization`. */
    optimize: promptOptimizationSchema.optional(),
    /**
     * The latest time a worker may start the job (RFC 3339 with an offset); not started by
     * then, it fails `deadline_exceeded` without a provider call. See docs/flow-control.md.
     */
    start_by: z.iso.datetime({ offset: true }).optional(),
    /** `start_by` relative to when the job is accepted, ms (1 ms to 7 days). */
    start_within_ms: z.number().int().min(1).max(maxStartWindowMs).optional(),
    /**
     * When the job must be complete: an RFC 3339 date-time or unix seconds. With a deadline,
     * the job runs on the cheapest tier expected to meet it; without one, now (standard).
     */
    complete_by: completeBySchema.optional(),
    /** The same deadline, as ms from the submit. */
    deadline_ms: deadlineMsSchema.optional(),
    /** Pins a tier (`standard`, `flex`, `batch`); default `auto` (see `complete_by`). */
    service_tier: requestedServiceTierSchema.optional(),
  })
  .strict()
  .superRefine((value, context) => {
    if (value.start_by !== undefined && value.start_within_ms !== undefined) {
      context.addIssue({
        code: 'custom',
        message: 'give "start_by" or "start_within_ms", not both',
        path: ['start_within_ms'],
      });
    }
    if (value.messages === undefined && value.prompt === undefined) {
      context.addIssue({
        code: 'custom',
        message: 'one of "messages" or "prompt" is required',
        path: ['messages'],
      });
    }
    if (value.messages !== undefined && value.prompt !== undefined) {
      context.addIssue({
        code: 'custom',
        message: 'give "messages" or "prompt", not both',
        path: ['prompt'],
      });
    }
    if (value.complete_by !== undefined && value.deadline_ms !== undefined) {
      context.addIssue({
        code: 'custom',
        message: 'give "complete_by" or "deadline_ms", not both',
        path: ['deadline_ms'],
      });
    }
    if (value.speculative === undefined) return;
    for (const field of ['model', 'hedge', 'stream'] as const) {
      if (value[field] === undefined || value[field] === false) continue;
      context.addIssue({
        code: 'custom',
        message: `"speculative" cannot be combined with "${field}"${field === 'model' ? ': name the models in speculative.fast_model and speculative.upgrade_model' : ''}`,
        path: ['speculative'],
      });
    }
  });
export type JobRequest = z.infer<typeof jobRequestSchema>;

/**
 * The provider-neutral request a worker runs, stored inside the queued job: the whole
 * {@link ChatRequest} (parts, tools, formats, reasoning, cache hints), passed to the provider as is.
 */
export const normalizedRequestSchema = chatRequestSchema;
export type NormalizedRequest = ChatRequest;

/**
 * Turns a validated job request into the provider-neutral form. The job body is OpenAI's chat
 * format (a subset of its fields), so it is read by that dialect's one converter.
 */
export function normalizeJobRequest(request: JobRequest): NormalizedRequest {
  return readJobRequest(request).request;
}

/**
 * A validated job request read by the openai-chat dialect: the neutral request, and whether it
 * used the legacy `functions` (a chat batch line's answer is then written in their shape).
 * @throws ClientError `invalid_request` naming the field for legacy functions misused (with
 *   `tools`, `function_call` alone, a function result answering no call), as on the chat route
 */
export function readJobRequest(
  request: JobRequest,
): Pick<OpenAIChatCall, 'request' | 'legacyFunctions'> {
  const { messages, prompt, max_tokens, temperature, top_p, stop, seed, ...rest } = request;
  const options = pickChatOptions(rest);
  return convertOpenAIChatRequest({
    model: request.model ?? 'default',
    messages: messages ?? [{ role: 'user', content: prompt ?? '' }],
    ...options,
    ...(max_tokens !== undefined ? { max_tokens } : {}),
    ...(temperature !== undefined ? { temperature } : {}),
    ...(top_p !== undefined ? { top_p } : {}),
    ...(stop !== undefined ? { stop } : {}),
    ...(seed !== undefined ? { seed } : {}),
  });
}

function pickChatOptions(request: Partial<JobRequest>): Partial<OpenAIChatRequest> {
  const options: Partial<OpenAIChatRequest> = {};
  for (const key of Object.keys(chatOptions) as Array<keyof typeof chatOptions>) {
    if (request[key] !== undefined) Object.assign(options, { [key]: request[key] });
  }
  return options;
}

/** The generate request for a provider, from a stored normalized request. */
export function toGenerateRequest(
  request: NormalizedRequest,
  extra: Pick<GenerateRequest, 'signal' | 'headers'> = {},
): GenerateRequest {
  return { ...request, ...extra };
}
