/**
 * The groups the API reference shows operations in, in this order: each operation belongs to
 * the first group whose prefix its path starts with (routes added later fall into "Other").
 */
const operationTags = [
  {
    name: 'Jobs',
    description: 'Submit a prompt job, poll it, stream its events, cancel or retry it.',
    prefixes: ['/v1/jobs', '/v1/dead-letters'],
  },
  {
    name: 'OpenAI- and Anthropic-compatible',
    description:
      'The providers’ own wire formats, run through the queue: point the official SDKs at llmq.',
    prefixes: [
      '/v1/chat/completions',
      '/v1/messages',
      '/v1/responses',
      '/v1/completions',
      '/v1/embeddings',
      '/v1/models',
    ],
  },
  {
    name: 'Batches and files',
    description: 'OpenAI Batch API-compatible bulk jobs from JSONL files.',
    prefixes: ['/v1/files', '/v1/batches'],
  },
  {
    name: 'Webhooks',
    description: 'Endpoints, signing secrets and the delivery log.',
    prefixes: ['/v1/webhook-'],
  },
  {
    name: 'Cost and usage',
    description: 'Usage reports and pre-flight cost estimates.',
    prefixes: ['/v1/usage', '/v1/estimate'],
  },
  {
    name: 'Administration',
    description: 'API keys, the audit log and per-tenant budgets, cache and filter policies.',
    prefixes: ['/v1/admin'],
  },
  {
    name: 'This reference',
    description: 'The OpenAPI document and this page.',
    prefixes: ['/openapi.json', '/docs'],
  },
] as const;

const otherTag = { name: 'Other', description: 'Routes not yet placed in a group.' };

function placeOf(path: string): { group: number; prefix: number } {
  for (const [group, tag] of operationTags.entries()) {
    const prefix = tag.prefixes.findIndex((candidate) => path.startsWith(candidate));
    if (prefix >= 0) return { group, prefix };
  }
  return { group: operationTags.length, prefix: 0 };
}

/** The group of an operation, by its (Express-style) path. */
export function operationTagOf(path: string): string {
  return operationTags[placeOf(path).group]?.name ?? otherTag.name;
}

/** Orders paths as the reference lists them: by group, then by prefix, then alphabetically. */
export function compareOperationPaths(first: string, second: string): number {
  const a = placeOf(first);
  const b = placeOf(second);
  return a.group - b.group || a.prefix - b.prefix || first.localeCompare(second);
}

/** The document's top-level `tags`: the groups that hold at least one operation, in order. */
export function documentTags(usedNames: ReadonlySet<string>) {
  return [...operationTags, otherTag]
    .filter((tag) => usedNames.has(tag.name))
    .map(({ name, description }) => ({ name, description }));
}
