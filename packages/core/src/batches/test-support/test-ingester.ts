import { loadModelCatalog } from '../../catalog/load-model-catalog';
import { BatchIngester, type BatchIngesterOptions } from '../batch-ingester';

/** What a batch test gives its ingester: its store, files and queues, and any option it tests. */
export type TestIngesterParts = Pick<
  BatchIngesterOptions,
  'store' | 'files' | 'lineQueue' | 'controlQueue'
> &
  Partial<BatchIngesterOptions>;

/**
 * A `BatchIngester` as the batch tests run it: the shipped catalog over the simulator's and the
 * local providers, `sim-gpt-fast` by default, 2 attempts per line, files up to 1 MB and 100
 * lines; `parts` adds or replaces any option.
 */
export function testIngester(parts: TestIngesterParts): BatchIngester {
  return new BatchIngester({
    catalog: loadModelCatalog(undefined, {
      availableProviders: ['simulator-openai', 'simulator-anthropic', 'local'],
    }),
    defaultModel: 'sim-gpt-fast',
    attempts: 2,
    limits: { maxFileBytes: 1_000_000, maxLines: 100 },
    ...parts,
  });
}
