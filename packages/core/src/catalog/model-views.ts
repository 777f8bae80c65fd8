import type { ModelCatalog, ModelEntry } from './model-catalog';

/**
 * The catalog models a tenant can call here: enabled, with their provider account configured,
 * serving at least one endpoint. llmq has no per-tenant or per-key model allow-list, so every
 * tenant sees the same list. Aliases are not listed: each model appears once, under its id.
 */
export function usableModels(catalog: ModelCatalog): ModelEntry[] {
  return catalog
    .list()
    .filter((entry) => entry.endpoints.some((endpoint) => catalog.isAvailable(entry, endpoint)));
}

/** The usable model named `name` (an id or an alias), or undefined. */
export function findUsableModel(catalog: ModelCatalog, name: string): ModelEntry | undefined {
  const entry = catalog.resolve(name);
  if (!entry) return undefined;
  return entry.endpoints.some((endpoint) => catalog.isAvailable(entry, endpoint))
    ? entry
    : undefined;
}

/**
 * The catalog records no release date, so every model reports the epoch (`created: 0`,
 * `created_at: "1970-01-01T00:00:00Z"`): a fixed value, unlike a process start time, so two
 * API instances answer alike.
 */
const createdSeconds = 0;

/** OpenAI's `Model` object (`GET /v1/models/:id`, items of `GET /v1/models`). */
export interface OpenAIModelView {
  id: string;
  object: 'model';
  created: number;
  /** The catalog's provider account (`openai`, `simulator-anthropic`, …). */
  owned_by: string;
}

export function toOpenAIModel(entry: ModelEntry): OpenAIModelView {
  return { id: entry.id, object: 'model', created: createdSeconds, owned_by: entry.provider };
}

/** OpenAI's model list: every usable model in one page (OpenAI does not paginate it). */
export function toOpenAIModelList(entries: readonly ModelEntry[]) {
  return { object: 'list' as const, data: entries.map(toOpenAIModel) };
}

/**
 * Anthropic's `ModelInfo`. Fields the catalog cannot fill (`capabilities`, `line`, dates of
 * deprecation and retirement) are `null`, as Anthropic answers them when unknown.
 */
export interface AnthropicModelView {
  type: 'model';
  id: string;
  display_name: string;
  created_at: string;
  capabilities: null;
  deprecated_at: null;
  lifecycle: 'active';
  line: null;
  max_input_tokens: number;
  max_tokens: number;
  retires_at: null;
}

export function toAnthropicModel(entry: ModelEntry): AnthropicModelView {
  return {
    type: 'model',
    id: entry.id,
    display_name: entry.id,
    created_at: new Date(createdSeconds * 1000).toISOString().replace('.000Z', 'Z'),
    capabilities: null,
    deprecated_at: null,
    // A disabled model is not listed at all, so every listed one is active.
    lifecycle: 'active',
    line: null,
    max_input_tokens: entry.context_window,
    max_tokens: entry.max_output_tokens,
    retires_at: null,
  };
}

/** A page request of Anthropic's list endpoints: `limit` (1–1000), and one cursor at most. */
export interface AnthropicPageQuery {
  limit: number;
  afterId?: string;
  beforeId?: string;
}

/** Anthropic's page: items in catalog order, the ids at both ends, and whether more follow. */
export interface AnthropicModelPage {
  data: AnthropicModelView[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

/**
 * One page of Anthropic's model list. `after_id` gives the models after that one; `before_id`
 * those just before it (`has_more` then says whether more lie before the page, which is how
 * the SDK pages backwards). A cursor that names no listed model gives `undefined`.
 */
export function pageAnthropicModels(
  entries: readonly ModelEntry[],
  query: AnthropicPageQuery,
): AnthropicModelPage | undefined {
  const ids = entries.map((entry) => entry.id);
  let start = 0;
  let end = entries.length;
  if (query.afterId !== undefined) {
    const index = ids.indexOf(query.afterId);
    if (index < 0) return undefined;
    start = index + 1;
    end = Math.min(entries.length, start + query.limit);
  } else if (query.beforeId !== undefined) {
    const index = ids.indexOf(query.beforeId);
    if (index < 0) return undefined;
    end = index;
    start = Math.max(0, end - query.limit);
  } else {
    end = Math.min(entries.length, query.limit);
  }
  const data = entries.slice(start, end).map(toAnthropicModel);
  const hasMore = query.beforeId !== undefined ? start > 0 : end < entries.length;
  return {
    data,
    has_more: hasMore,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null,
  };
}
