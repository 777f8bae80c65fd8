import { ClientError, type ResponseInputListItem } from '@llmq/core';
import { z } from 'zod';

/** The query of `GET /v1/responses/:id/input_items`. */
export const inputItemsQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    order: z.enum(['asc', 'desc']).default('desc'),
    after: z.string().min(1).optional(),
  })
  .strict();

/** A page of input items, in OpenAI's list shape. */
export interface InputItemList {
  object: 'list';
  data: ResponseInputListItem[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/**
 * `GET /v1/responses/:id/input_items`: the response's input items, newest first by default
 * (`order`), `limit` at a time, after the item id `after`. `include` is refused: the items
 * are listed whole.
 */
export function listInputItems(
  items: readonly ResponseInputListItem[],
  query: unknown,
): InputItemList {
  const parsed = inputItemsQuerySchema.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ClientError(
      issue?.code === 'unrecognized_keys' ? 'unsupported_parameter' : 'invalid_request',
      `input_items: ${issue?.message ?? 'invalid query'}`,
      {
        issues: parsed.error.issues.map((entry) => ({
          path: entry.path.join('.'),
          message: entry.message,
        })),
      },
    );
  }
  const { limit, order, after } = parsed.data;
  const ordered = order === 'asc' ? [...items] : [...items].reverse();
  let start = 0;
  if (after !== undefined) {
    const index = ordered.findIndex((item) => item.id === after);
    if (index < 0) throw new ClientError('invalid_request', `no input item with id '${after}'`);
    start = index + 1;
  }
  const data = ordered.slice(start, start + limit);
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: start + limit < ordered.length,
  };
}
