import { loadModelCatalog } from '../routing/load-model-catalog';
import { parseBatchLine, readValidatedBatchLine } from './parse-batch-line';

const catalog = loadModelCatalog(undefined, {
  availableProviders: ['simulator-openai', 'simulator-anthropic', 'local'],
});

function context() {
  return {
    endpoint: '/v1/chat/completions' as const,
    catalog,
    defaultModel: 'sim-gpt-fast',
    seenCustomIds: new Set<string>(),
  };
}

function line(fields: Record<string, unknown>): string {
  return JSON.stringify({
    custom_id: 'a',
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'sim-gpt-fast', messages: [{ role: 'user', content: 'hi' }] },
    ...fields,
  });
}

test('a valid line becomes a normalized request with its model resolved', () => {
  const result = parseBatchLine(
    line({ body: { messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 7 } }),
    context(),
  );
  expect(result).toEqual({
    ok: true,
    line: {
      customId: 'a',
      model: 'sim-gpt-fast',
      request: { messages: [{ role: 'user', content: 'hi' }], maxTokens: 7 },
    },
  });
});

test.each([
  ['{oops', 'invalid_json_line'],
  ['[1,2]', 'invalid_json_line'],
  [line({ custom_id: undefined }), 'missing_custom_id'],
  [line({ custom_id: '' }), 'missing_custom_id'],
  [line({ method: 'GET' }), 'invalid_method'],
  [line({ url: '/v1/embeddings' }), 'invalid_url'],
  [line({ body: 'text' }), 'invalid_body'],
  [line({ body: { messages: [], model: 'sim-gpt-fast' } }), 'invalid_body'],
  [line({ body: { prompt: 'x', unknown_field: 1 } }), 'invalid_body'],
  [line({ body: { prompt: 'x', model: 'no-such-model' } }), 'unknown_model'],
])('%s is refused with %s', (text, code) => {
  const result = parseBatchLine(text, context());
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.code).toBe(code);
});

test('a custom_id seen earlier in the file is a duplicate', () => {
  const shared = context();
  expect(parseBatchLine(line({}), shared).ok).toBe(true);
  const second = parseBatchLine(line({}), shared);
  expect(second).toMatchObject({ ok: false, code: 'duplicate_custom_id', param: 'custom_id' });
});

test('reading a validated line gives the same result without the schema checks', () => {
  const text = line({
    body: { messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 7 },
  });
  const checked = parseBatchLine(text, context());
  expect(checked.ok && checked.line).toEqual(readValidatedBatchLine(text, context()));
});
