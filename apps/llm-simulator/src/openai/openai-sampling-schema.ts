import { z } from 'zod';

/** Sampling fields shared by chat completions and completions; they seed the reply. */
export const openAiSamplingFields = {
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  /** Only one choice per prompt: more would only repeat the same deterministic reply. */
  n: z
    .number()
    .int()
    .refine((n) => n === 1, { message: 'the simulator supports only n = 1' })
    .nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
};

/** The `stop` field as a list. */
export function stopSequencesOf(stop: string | string[] | null | undefined): string[] {
  if (stop === null || stop === undefined) return [];
  return typeof stop === 'string' ? [stop] : stop;
}
