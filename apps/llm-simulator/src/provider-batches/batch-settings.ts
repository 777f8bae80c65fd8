import { z } from 'zod';

/**
 * How the simulator runs provider batches (OpenAI Batch API, Anthropic Message Batches). A
 * batch's lines finish one after another, evenly spread over `turnaroundMs` from its creation
 * (on the simulator's clock), so a batch retrieved halfway shows half its lines done.
 */
export interface BatchSettings {
  /** Time from creation until the last line is done, ms. Default 1000. */
  turnaroundMs: number;
  /**
   * Time after creation when a batch expires, ms: lines not done by then end `expired`.
   * Default 86,400,000 (the providers' 24 hours).
   */
  expiresAfterMs: number;
  /** Rate (0 to 1) of lines answered with a 500 server error, drawn per line. Default 0. */
  lineFailureRate: number;
  /** Most lines one batch may hold. Default 50,000 (OpenAI's limit; Anthropic's is 100,000). */
  maxLines: number;
}

export type BatchSettingsPatch = Partial<BatchSettings>;

export const DEFAULT_BATCH_SETTINGS: Readonly<BatchSettings> = Object.freeze({
  turnaroundMs: 1000,
  expiresAfterMs: 86_400_000,
  lineFailureRate: 0,
  maxLines: 50_000,
});

export const batchSettingsPatchSchema = z.strictObject({
  turnaroundMs: z
    .number()
    .min(0)
    .max(30 * 86_400_000)
    .optional(),
  expiresAfterMs: z
    .number()
    .min(1)
    .max(30 * 86_400_000)
    .optional(),
  lineFailureRate: z.number().min(0).max(1).optional(),
  maxLines: z.number().int().min(1).max(1_000_000).optional(),
}) satisfies z.ZodType<BatchSettingsPatch>;

/** `settings` with the defined fields of `patch` over it. */
export function mergeBatchSettings(
  settings: BatchSettings,
  patch: BatchSettingsPatch,
): BatchSettings {
  const defined = Object.entries(patch).filter(([, value]) => value !== undefined);
  return { ...settings, ...Object.fromEntries(defined) };
}
