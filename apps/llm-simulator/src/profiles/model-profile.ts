import { z } from 'zod';
import { batchSettingsPatchSchema } from '../provider-batches/batch-settings';

// The profile types are written out (rather than inferred from the schemas) so their TSDoc
// reaches the engineers who configure the simulator; `satisfies` keeps the two in step.

/**
 * How often a model answers with a fault instead of a reply. Each rate is a probability from
 * 0 to 1, drawn per request with `Math.random`; when several are set they are tried in the
 * order below and the first hit wins.
 */
export interface FaultProfile {
  /** Rate of 400 invalid-request errors (a final error: clients must not retry). Default 0. */
  status400: number;
  /** Rate of 429 rate-limit errors. Default 0. */
  status429: number;
  /** Rate of 500 server errors. Default 0. */
  status500: number;
  /** Rate of 503 service-unavailable errors. Default 0. */
  status503: number;
  /** Rate of 529 overloaded errors (Anthropic's). Default 0. */
  status529: number;
  /** Rate of requests that are accepted and never answered. Default 0. */
  hang: number;
  /** Rate of answers whose connection is destroyed part-way through the body. Default 0. */
  cutStream: number;
  /** Rate of 200 answers with an invalid JSON body or stream event. Default 0. */
  malformed: number;
  /** Seconds announced in `retry-after` on 429, 503 and 529 answers. Default 1. */
  retryAfterSeconds: number;
}

/**
 * What a model can take. A request using a capability the model lacks is refused with a 400
 * in the provider's error shape, naming the parameter, as the real providers do.
 */
export interface ModelCapabilities {
  /** OpenAI `tools`/`tool_choice`, Anthropic `tools`/`tool_choice`. Default true. */
  tools: boolean;
  /** Image parts (OpenAI `image_url`, Anthropic `image`). Default true. */
  vision: boolean;
  /** OpenAI `response_format` of type `json_schema` or `json_object`. Default true. */
  jsonSchema: boolean;
  /**
   * A reasoning model: OpenAI `reasoning_effort` (and then `max_tokens` is refused for
   * `max_completion_tokens`, as on o-series models), Anthropic `thinking`. Default false.
   */
  reasoning: boolean;
  /**
   * Anthropic `thinking: {type: "adaptive"}`, on a reasoning model (Claude Opus and Sonnet 4.6
   * on); false refuses it with 400 as Anthropic refuses it to Claude 4.5. Default true.
   */
  adaptiveThinking: boolean;
  /**
   * The most output tokens one answer may have: above it a request is refused as each provider
   * refuses it, with a 400 naming the field (Anthropic's and OpenAI's `max_tokens`, OpenAI's
   * `max_completion_tokens`, Gemini's `maxOutputTokens`). Absent: no limit.
   */
  maxOutputTokens?: number;
  /** Documents (OpenAI `file` parts, Anthropic `document` blocks). Default true. */
  documents: boolean;
  /**
   * OpenAI `parallel_tool_calls`; false refuses it (400 `unsupported_parameter`), as OpenAI's
   * o-series reasoning models do. Default true.
   */
  parallelToolCalls: boolean;
  /**
   * The tool call ids the model takes and gives on OpenAI's chat route: `any` (OpenAI's
   * `call_…`), or `alphanumeric-9`, Mistral's rule (its API and its chat templates refuse any
   * other id in a conversation with 400, and answer with such ids). Default `any`.
   */
  toolCallIds: 'any' | 'alphanumeric-9';
  /**
   * The field the model's sampling seed goes in on OpenAI's chat route: `seed` (OpenAI's), or
   * `random_seed`, Mistral's (its API refuses `seed` with 422 `extra_forbidden`; OpenAI refuses
   * `random_seed` as an unrecognized argument). Default `seed`.
   */
  seedField: 'seed' | 'random_seed';
  /**
   * How many choices the model answers on OpenAI's chat route: `n`, as asked (OpenAI's), or
   * `one` whatever `n` asks, as an OpenAI-compatible server that ignores `n` does. Default `n`.
   */
  choices: 'n' | 'one';
  /**
   * The shape of the model's error bodies on OpenAI's routes once the model is known (faults,
   * rate limits, refusals): `openai` (`{error: {message, type, param, code}}`), or `mistral`,
   * the top-level `{object: "error", message, type, param, code}` of Mistral's API (and vLLM's
   * server), 429 as Mistral's `rate_limited` / `1300`. Default `openai`.
   */
  errorShape: 'openai' | 'mistral';
}

/**
 * How a model answers calls made with OpenAI's `service_tier: "flex"`: cheaper on the real API,
 * slower, and refused with 429 `resource_unavailable` when capacity is short.
 */
export interface FlexProfile {
  /** Rate (0 to 1) of flex calls refused with 429 `resource_unavailable`. Default 0. */
  status429: number;
  /** Delay in ms added to every flex answer, on top of `latencyMs`. Default 0. */
  extraLatencyMs: number;
}

/** How a simulated model behaves. Every field has a default; see `DEFAULT_MODEL_PROFILE`. */
export interface ModelProfile {
  /** Delay in ms before a non-streamed answer, or before a stream's headers. Default 0. */
  latencyMs: number;
  /** Delay in ms between a stream's headers and its first content delta. Default 0. */
  timeToFirstTokenMs: number;
  /** Stream pacing in tokens per second; 0 sends the whole stream at once. Default 0. */
  tokensPerSecond: number;
  /**
   * Fixed delay in ms added to every HTTP call whatever its size, so batching several prompts
   * into one call visibly saves time. Default 0.
   */
  perCallOverheadMs: number;
  /**
   * Calls served at once, like a local inference server with that many slots; further calls
   * wait in line (not refused). Absent or 0 for no limit.
   */
  maxConcurrentCalls?: number;
  /** Requests per sliding 60 s window before 429s; absent or 0 for no limit. */
  rpm?: number;
  /** Prompt plus completion tokens per sliding 60 s window before 429s; absent or 0 for no limit. */
  tpm?: number;
  /**
   * A shorter (or longer) sliding window for `rpm` and `tpm`, ms: it then admits
   * `floor(rpm × rateWindowMs / 60000)` requests, and tokens alike. Absent: 60000. Tests use
   * a window of a second or two so a limit binds within a short run.
   */
  rateWindowMs?: number;
  /** Random fault rates. */
  faults: FaultProfile;
  /** What the model can take. */
  capabilities: ModelCapabilities;
  /** How `service_tier: "flex"` calls are served. */
  flex: FlexProfile;
}

/** Changes to a fault profile; absent fields keep their value. */
export type FaultProfilePatch = Partial<FaultProfile>;

/** Changes to a model profile, merged field by field (`faults` too); absent fields keep their value. */
export type ModelProfilePatch = Omit<Partial<ModelProfile>, 'faults' | 'capabilities' | 'flex'> & {
  faults?: FaultProfilePatch;
  capabilities?: Partial<ModelCapabilities>;
  flex?: Partial<FlexProfile>;
};

export const DEFAULT_FLEX_PROFILE: Readonly<FlexProfile> = Object.freeze({
  status429: 0,
  extraLatencyMs: 0,
});

export const DEFAULT_MODEL_CAPABILITIES: Readonly<ModelCapabilities> = Object.freeze({
  tools: true,
  vision: true,
  jsonSchema: true,
  reasoning: false,
  adaptiveThinking: true,
  documents: true,
  parallelToolCalls: true,
  toolCallIds: 'any',
  seedField: 'seed',
  choices: 'n',
  errorShape: 'openai',
});

export const DEFAULT_FAULT_PROFILE: Readonly<FaultProfile> = Object.freeze({
  status400: 0,
  status429: 0,
  status500: 0,
  status503: 0,
  status529: 0,
  hang: 0,
  cutStream: 0,
  malformed: 0,
  retryAfterSeconds: 1,
});

/** The profile of every model nobody configured. */
export const DEFAULT_MODEL_PROFILE: Readonly<ModelProfile> = Object.freeze({
  latencyMs: 0,
  timeToFirstTokenMs: 0,
  tokensPerSecond: 0,
  perCallOverheadMs: 0,
  faults: DEFAULT_FAULT_PROFILE,
  capabilities: DEFAULT_MODEL_CAPABILITIES,
  flex: DEFAULT_FLEX_PROFILE,
});

/** Every simulated model name starts with this, so none is ever mistaken for a real model. */
export const SIMULATED_MODEL_PREFIX = 'sim-';

/** Whether the simulator answers for `model`. */
export function isSimulatedModelName(model: string): boolean {
  return model.startsWith(SIMULATED_MODEL_PREFIX) && model.length > SIMULATED_MODEL_PREFIX.length;
}

const rate = z.number().min(0).max(1);
const milliseconds = z.number().min(0).max(3_600_000);
const limit = z.number().int().min(0);

export const faultProfilePatchSchema = z.strictObject({
  status400: rate.optional(),
  status429: rate.optional(),
  status500: rate.optional(),
  status503: rate.optional(),
  status529: rate.optional(),
  hang: rate.optional(),
  cutStream: rate.optional(),
  malformed: rate.optional(),
  retryAfterSeconds: z.number().min(0).max(3600).optional(),
}) satisfies z.ZodType<FaultProfilePatch>;

export const modelProfilePatchSchema = z.strictObject({
  latencyMs: milliseconds.optional(),
  timeToFirstTokenMs: milliseconds.optional(),
  tokensPerSecond: z.number().min(0).optional(),
  perCallOverheadMs: milliseconds.optional(),
  maxConcurrentCalls: limit.optional(),
  rpm: limit.optional(),
  tpm: limit.optional(),
  rateWindowMs: z.number().int().min(100).max(3_600_000).optional(),
  faults: faultProfilePatchSchema.optional(),
  capabilities: z
    .strictObject({
      tools: z.boolean().optional(),
      vision: z.boolean().optional(),
      jsonSchema: z.boolean().optional(),
      reasoning: z.boolean().optional(),
      adaptiveThinking: z.boolean().optional(),
      maxOutputTokens: z.number().int().min(1).optional(),
      documents: z.boolean().optional(),
      parallelToolCalls: z.boolean().optional(),
      toolCallIds: z.enum(['any', 'alphanumeric-9']).optional(),
      seedField: z.enum(['seed', 'random_seed']).optional(),
      choices: z.enum(['n', 'one']).optional(),
      errorShape: z.enum(['openai', 'mistral']).optional(),
    })
    .optional(),
  flex: z
    .strictObject({ status429: rate.optional(), extraLatencyMs: milliseconds.optional() })
    .optional(),
}) satisfies z.ZodType<ModelProfilePatch>;

/** Per-model profile patches, keyed by model name (which must start with `sim-`). */
export const modelPatchesSchema = z
  .record(z.string(), modelProfilePatchSchema)
  .superRefine((patches, context) => {
    for (const name of Object.keys(patches)) {
      if (!isSimulatedModelName(name)) {
        context.addIssue({
          code: 'custom',
          path: [name],
          message: `model names must start with "${SIMULATED_MODEL_PREFIX}"`,
        });
      }
    }
  });

/** The body of `PUT /_sim/config` and the file named by `SIMULATOR_CONFIG`. */
export const simulatorConfigSchema = z.strictObject({
  models: modelPatchesSchema.optional(),
  batches: batchSettingsPatchSchema.optional(),
});

/** A profile with `patch` merged over it; `undefined` fields in the patch change nothing. */
export function mergeModelProfile(profile: ModelProfile, patch: ModelProfilePatch): ModelProfile {
  const { faults, capabilities, flex, ...rest } = patch;
  return {
    ...profile,
    ...withoutUndefined(rest),
    faults: { ...profile.faults, ...withoutUndefined(faults ?? {}) },
    capabilities: { ...profile.capabilities, ...withoutUndefined(capabilities ?? {}) },
    flex: { ...profile.flex, ...withoutUndefined(flex ?? {}) },
  };
}

function withoutUndefined<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(patch).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}
