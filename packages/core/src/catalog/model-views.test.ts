import { ModelCatalog, type ModelEntryInput } from './model-catalog';
import {
  findUsableModel,
  pageAnthropicModels,
  toAnthropicModel,
  toOpenAIModelList,
  usableModels,
} from './model-views';

const entry = (id: string, overrides: Partial<ModelEntryInput> = {}): ModelEntryInput => ({
  id,
  provider: 'simulator-openai',
  upstream_model: id,
  tier: 'fast',
  context_window: 1000,
  max_output_tokens: 100,
  pricing: { input: 1, output: 2, cached_input: 0.5 },
  expected_latency_ms: 100,
  ...overrides,
});

const catalog = new ModelCatalog(
  [
    entry('m-1', { aliases: ['one'] }),
    entry('m-2', { enabled: false }),
    entry('m-3', { provider: 'openai' }),
    entry('m-4', { endpoints: ['embeddings'] }),
    entry('m-5'),
    entry('m-6', { endpoints: ['completions'] }),
  ],
  { availableProviders: ['simulator-openai'] },
);

describe('usable models', () => {
  it('lists enabled models of configured providers, whatever endpoint they serve, by id only', () => {
    expect(usableModels(catalog).map((model) => model.id)).toEqual(['m-1', 'm-4', 'm-5', 'm-6']);
    expect(findUsableModel(catalog, 'one')?.id).toBe('m-1');
    expect(findUsableModel(catalog, 'm-2')).toBeUndefined();
    expect(findUsableModel(catalog, 'm-3')).toBeUndefined();
    expect(findUsableModel(catalog, 'nope')).toBeUndefined();
  });

  it("answers OpenAI's list shape", () => {
    expect(toOpenAIModelList(usableModels(catalog)).data[0]).toEqual({
      id: 'm-1',
      object: 'model',
      created: 0,
      owned_by: 'simulator-openai',
    });
  });

  it("answers Anthropic's model shape, with the catalog's token limits", () => {
    const [first] = usableModels(catalog);
    expect(first).toBeDefined();
    if (!first) return;
    expect(toAnthropicModel(first)).toMatchObject({
      type: 'model',
      id: 'm-1',
      display_name: 'm-1',
      created_at: '1970-01-01T00:00:00Z',
      max_input_tokens: 1000,
      max_tokens: 100,
      lifecycle: 'active',
    });
  });
});

describe("Anthropic's model pages", () => {
  const entries = usableModels(catalog);
  const ids = (page: ReturnType<typeof pageAnthropicModels>) => page?.data.map((model) => model.id);

  it('pages forward with after_id until has_more is false', () => {
    const first = pageAnthropicModels(entries, { limit: 3 });
    expect(first).toMatchObject({ has_more: true, first_id: 'm-1', last_id: 'm-5' });
    const second = pageAnthropicModels(entries, { limit: 3, afterId: 'm-5' });
    expect(ids(second)).toEqual(['m-6']);
    expect(second).toMatchObject({ has_more: false, first_id: 'm-6', last_id: 'm-6' });
  });

  it('pages backward with before_id, has_more saying whether more lie before', () => {
    const page = pageAnthropicModels(entries, { limit: 2, beforeId: 'm-6' });
    expect(ids(page)).toEqual(['m-4', 'm-5']);
    expect(page?.has_more).toBe(true);
    const start = pageAnthropicModels(entries, { limit: 2, beforeId: 'm-4' });
    expect(ids(start)).toEqual(['m-1']);
    expect(start?.has_more).toBe(false);
  });

  it('gives an empty page with null ids past the end, and undefined for an unknown cursor', () => {
    expect(pageAnthropicModels(entries, { limit: 5, afterId: 'm-6' })).toEqual({
      data: [],
      has_more: false,
      first_id: null,
      last_id: null,
    });
    expect(pageAnthropicModels(entries, { limit: 5, afterId: 'm-2' })).toBeUndefined();
    expect(pageAnthropicModels(entries, { limit: 5, beforeId: 'zzz' })).toBeUndefined();
  });
});
