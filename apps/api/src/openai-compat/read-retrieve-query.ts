import { ClientError, UnsupportedParameterError } from '@llmq/core';
import { z } from 'zod';

const includeSchema = z.union([z.string(), z.array(z.string())]).optional();

/** The query of `GET /v1/responses/:id`; `include` may come as `include[]` (openai-node's form). */
export const retrieveQuerySchema = z
  .object({
    stream: z.enum(['true', 'false']).optional(),
    starting_after: z
      .string()
      .regex(/^\d{1,9}$/, 'starting_after must be a sequence number')
      .optional(),
    // llmq never obfuscates stream events: asking it not to asks for nothing.
    include_obfuscation: z.literal('false').optional(),
    include: includeSchema,
    'include[]': includeSchema,
  })
  .strict();

/** What a retrieve asks for: a stream (from which event), and reasoning's encrypted content. */
export interface RetrieveQuery {
  stream: boolean;
  /** Events numbered up to this one are skipped; -1 for all. */
  startingAfter: number;
  encryptedReasoning: boolean;
}

/** Reads the query of `GET /v1/responses/:id`, refusing by name what it cannot honour. */
export function readRetrieveQuery(query: unknown): RetrieveQuery {
  const parsed = retrieveQuerySchema.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue?.code === 'unrecognized_keys')
      throw new UnsupportedParameterError(String(issue.keys[0]), 'llmq');
    throw new ClientError('invalid_request', issue?.message ?? 'invalid query');
  }
  const include = [parsed.data.include ?? [], parsed.data['include[]'] ?? []].flat();
  for (const value of include) {
    if (value !== 'reasoning.encrypted_content')
      throw new UnsupportedParameterError(`include (${value})`, 'llmq');
  }
  return {
    stream: parsed.data.stream === 'true',
    startingAfter:
      parsed.data.starting_after === undefined ? -1 : Number(parsed.data.starting_after),
    encryptedReasoning: include.length > 0,
  };
}
